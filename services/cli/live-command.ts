import { EmotionStreamError } from '../../common/errors.ts';
import { loadPipelineConfig } from '../../config/load.ts';
import { checkWebcamDevice } from '../../pipeline/sources/check-webcam-device.ts';
import { toVideoSource } from '../../pipeline/sources/to-video-source.ts';
import { parseCommandArgs } from './parse-args.ts';
import { PIPELINE_FLAGS, PIPELINE_FLAGS_USAGE, pipelineOverrides } from './pipeline-flags.ts';
import { runWithProgress } from './run-with-progress.ts';

const DEFAULT_LIVE_WS_PORT = 8765;

const USAGE = `usage: emotion-stream live [--webcam <device>] [--rtsp <url>] [options]
  Analyse a live camera until Ctrl-C (frames that cannot be processed in time are dropped, oldest first).
  --webcam <device>         /dev/video<N> or a /dev/v4l/by-id|by-path link on Linux (default /dev/video0),
                            a device index/name on macOS (avfoundation), a device name on Windows (dshow)
  --rtsp <url>              an RTSP stream instead of a webcam
  --rtsp-transport <t>      tcp (default) or udp
  (events are served on ws://127.0.0.1:${DEFAULT_LIVE_WS_PORT}/events unless --ws-port says otherwise)
${PIPELINE_FLAGS_USAGE}`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { ...PIPELINE_FLAGS, webcam: { type: 'string' }, rtsp: { type: 'string' }, 'rtsp-transport': { type: 'string' } }, USAGE);
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.webcam && values.rtsp) throw new EmotionStreamError('ERR_USAGE', `choose --webcam or --rtsp, not both\n${USAGE}`);
  const webcam = { type: 'webcam', device: values.webcam ?? (process.platform === 'linux' ? '/dev/video0' : undefined) };
  const source = values.rtsp ? { type: 'rtsp', url: values.rtsp, transport: values['rtsp-transport'] ?? 'tcp' } : values.webcam ? webcam : undefined;
  // Defaults sit under the config file: without --webcam/--rtsp the file's camera is used (else
  // the default webcam), and live cameras are watched through the event stream, so it is
  // served unless the file or --ws-port says otherwise.
  const defaults = { source: webcam, output: { websocket: { port: DEFAULT_LIVE_WS_PORT } } };
  const config = loadPipelineConfig({ file: values.config, defaults, overrides: { ...pipelineOverrides(values), source, mode: 'live' } });
  // A device that cannot be a camera (/dev/zero, a file, a missing node) is refused here, not retried.
  checkWebcamDevice(toVideoSource(config.source));
  return runWithProgress(config, { json: values.json === true, explicitLogLevel: typeof values['log-level'] === 'string' });
}
