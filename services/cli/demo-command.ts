import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadPipelineConfig } from '../../config/load.ts';
import { buildDemoClip } from '../../pipeline/sources/demo-clip.ts';
import { parseCommandArgs } from './parse-args.ts';
import { PIPELINE_FLAGS, PIPELINE_FLAGS_USAGE, pipelineOverrides } from './pipeline-flags.ts';
import { runWithProgress } from './run-with-progress.ts';

const USAGE = `usage: emotion-stream demo [--dir <folder>] [options]
  For machines without a camera: builds a 640x480 clip from the sample photos shipped in the
  @vladmandic/face-api package, replays it through the whole pipeline and writes
  <folder>/demo-annotated.mp4 and <folder>/demo-events.jsonl (default folder: ./emotion-stream-demo).
${PIPELINE_FLAGS_USAGE}`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { ...PIPELINE_FLAGS, dir: { type: 'string' } }, USAGE);
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const dir = resolve(values.dir ?? 'emotion-stream-demo');
  await mkdir(dir, { recursive: true });
  const clip = await buildDemoClip({ outPath: join(dir, 'demo-input.mp4'), width: 640, height: 480, fps: 15, secondsPerPhoto: 2 });
  const out = resolve(values.out ?? join(dir, 'demo-annotated.mp4'));
  const events = resolve(values.events ?? join(dir, 'demo-events.jsonl'));
  const config = loadPipelineConfig({
    file: values.config,
    overrides: { ...pipelineOverrides({ ...values, out, events }), source: { type: 'file', path: clip }, mode: 'replay' },
  });
  process.stderr.write(`emotion-stream: demo clip ${clip} (built from the face-api sample photos)\n`);
  const code = await runWithProgress(config, { json: values.json === true, explicitLogLevel: typeof values['log-level'] === 'string' });
  process.stderr.write(`emotion-stream: look at ${out} (annotated video) and ${events} (events); try \`emotion-stream replay <your video> --out annotated.mp4\`\n`);
  return code;
}
