import { resolve } from 'node:path';
import { EmotionStreamError } from '../../common/errors.ts';
import { loadPipelineConfig } from '../../config/load.ts';
import { parseCommandArgs } from './parse-args.ts';
import { PIPELINE_FLAGS, PIPELINE_FLAGS_USAGE, pipelineOverrides } from './pipeline-flags.ts';
import { runWithProgress } from './run-with-progress.ts';

const USAGE = `usage: emotion-stream replay <file> [options]
  Analyse a recorded video (mp4, mkv, avi, webm, ...): every frame, nothing dropped.
  --realtime                pace the replay at the file's real frame rate (default: as fast as possible)
  --strict                  exit 1 when the video is damaged (frames that could not be decoded); without
                            it a damaged video exits 0 and the summary's integrity says what was lost
${PIPELINE_FLAGS_USAGE}`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { ...PIPELINE_FLAGS, realtime: { type: 'boolean' }, strict: { type: 'boolean' } }, USAGE);
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new EmotionStreamError('ERR_USAGE', `replay takes exactly one video file\n${USAGE}`);
  const config = loadPipelineConfig({
    file: values.config,
    overrides: { ...pipelineOverrides(values), source: { type: 'file', path: resolve(positionals[0]) }, mode: 'replay', realtime: values.realtime },
  });
  return runWithProgress(config, { json: values.json === true, explicitLogLevel: typeof values['log-level'] === 'string', strict: values.strict === true });
}
