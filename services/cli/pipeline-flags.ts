import { resolve } from 'node:path';
import { EmotionStreamError } from '../../common/errors.ts';
import { numberFlag } from './parse-args.ts';

/** Flags shared by replay, live and demo, and how they map onto the config schema. */
export const PIPELINE_FLAGS = {
  config: { type: 'string' }, out: { type: 'string' }, events: { type: 'string' }, 'ws-port': { type: 'string' },
  'ws-host': { type: 'string' }, 'camera-id': { type: 'string' }, model: { type: 'string' }, resize: { type: 'string' },
  'detect-downscale': { type: 'string' }, 'full-detect-every': { type: 'string' }, tta: { type: 'string' }, 'max-in-flight': { type: 'string' }, json: { type: 'boolean' }, 'log-level': { type: 'string' },
  'no-tracking': { type: 'boolean' }, reid: { type: 'boolean' }, mqtt: { type: 'string' },
} as const;

export const PIPELINE_FLAGS_USAGE = `  --out <file.mp4>          write the annotated video (box + "#3 Happy (93.1%)" per face: track, stable emotion)
  --events <file.jsonl>     write the events: one per frame, plus track-start / emotion-change /
                            track-end per person (schema/events.v2.json)
  --no-tracking             label every frame on its own (no track ids, no smoothing, no track events)
  --reid                    re-identify people who leave and come back within 10 s (face embeddings;
                            a personId on faces and track events; about 130-200 ms per new face)
  --ws-port <n>             serve events on ws://127.0.0.1:<n>/events (0 = any free port)
  --ws-host <ip>            interface for the WebSocket server (default 127.0.0.1)
  --mqtt <url>              publish events, camera and person state to an MQTT broker:
                            mqtt[s]://[user:password@]host[:port] (topics: docs/mqtt.md; more in the config's mqtt section)
  --camera-id <id>          camera id in events (default cam0)
  --model <dir>             emotion model directory (default: the shipped models/emotion)
  --tta <mode>              test-time augmentation: none (default) | flip (average with the mirror
                            image, 2x classifier work) | shift (mirror + 2 px shifts, 10x)
  --resize <W>x<H>          scale frames before analysis
  --detect-downscale <px>   run face detection on a copy whose longer side is <px>
  --full-detect-every <n>   search whole frames every n frames only, tracking known faces in between
                            (default: every frame for replays, every 10th for live cameras; 1 = always whole)
  --max-in-flight <n>       frames in the pipeline at once (default 8)
  --config <file.yaml>      a config file (see config/examples); flags override it
  --json                    print the run summary as one JSON line on stdout
  --log-level <level>       fatal|error|warn|info|debug: JSON logs on stderr (default error; the summary counts drops and faults)`;

type Values = Record<string, string | boolean | undefined>;

/** One flag for replays and live cameras alike. */
const fullDetectEvery = (n: number) => ({ fullDetectEvery: n, liveFullDetectEvery: n });

/** Config overrides from the shared flags (undefined entries leave the file's values alone). */
export function pipelineOverrides(v: Values): Record<string, unknown> {
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const wsPort = str('ws-port');
  return {
    cameraId: str('camera-id'),
    resize: str('resize') ? parseSize(str('resize')!) : undefined,
    maxInFlight: str('max-in-flight') ? numberFlag(str('max-in-flight'), 'max-in-flight', 8, { integer: true, min: 1 }) : undefined,
    detector: {
      downscaleTo: str('detect-downscale') ? numberFlag(str('detect-downscale'), 'detect-downscale', 0, { integer: true, min: 64 }) : undefined,
      ...(str('full-detect-every') ? fullDetectEvery(numberFlag(str('full-detect-every'), 'full-detect-every', 1, { integer: true, min: 1 })) : {}),
    },
    classifier: { modelDir: str('model') ? resolve(str('model')!) : undefined, tta: str('tta') },
    tracking: trackingOverrides(v),
    output: {
      annotatedVideo: str('out') ? resolve(str('out')!) : undefined,
      eventsJsonl: str('events') ? resolve(str('events')!) : undefined,
      websocket: wsPort !== undefined ? { port: numberFlag(wsPort, 'ws-port', 0, { integer: true }), host: str('ws-host') } : undefined,
    },
    mqtt: str('mqtt') !== undefined ? { url: str('mqtt') } : undefined,
    logLevel: str('log-level'),
  };
}

function trackingOverrides(v: Values): Record<string, unknown> | undefined {
  if (v['no-tracking'] && v.reid) throw new EmotionStreamError('ERR_CONFIG', '--reid needs tracking: drop --no-tracking or --reid');
  if (v['no-tracking']) return { enabled: false };
  return v.reid ? { reid: { enabled: true } } : undefined;
}

function parseSize(value: string): { width: number; height: number } {
  const m = /^(\d+)x(\d+)$/.exec(value);
  if (!m) throw new EmotionStreamError('ERR_USAGE', `--resize must look like 640x480, got "${value}"`);
  return { width: Number(m[1]), height: Number(m[2]) };
}
