import { EmotionStreamError, errorMessage, isEmotionStreamError } from '../common/errors.ts';

/**
 * `emotion-stream <command>`: the one entry point users run. Each command lives in its own
 * module and is loaded on demand, so `evaluate` does not load OpenCV and `replay` does not
 * load the training engine.
 */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  replay: { summary: 'analyse a video file: annotated mp4, JSONL events, WebSocket', load: () => import('./cli/replay-command.ts') },
  live: { summary: 'analyse a live camera (webcam or RTSP)', load: () => import('./cli/live-command.ts') },
  demo: { summary: 'build a demo clip from package-shipped photos and replay it (no camera needed)', load: () => import('./cli/demo-command.ts') },
  train: { summary: 'train an emotion model (FER2013 / FER+ / csv / image folders)', load: () => import('./cli/train-command.ts') },
  up: { summary: 'run every stage as workers in one process (in-memory bus, or Redis with --redis)', load: () => import('./cli/up-command.ts') },
  worker: { summary: 'run stage workers on Redis (BullMQ): capture, detector, classifier, sinks, gateway, trainer', load: () => import('./cli/worker-command.ts') },
  evaluate: { summary: 'evaluate a model directory on a labelled dataset', load: () => import('./cli/evaluate-command.ts') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return ['usage: emotion-stream <command> [options]   (emotion-stream <command> --help for its options)', '', 'commands:', ...lines].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) throw new EmotionStreamError('ERR_USAGE', `unknown command "${name}"\n${usage()}`);
  return (await command.load()).run(rest);
}

/**
 * One clear line on stderr for expected failures: `emotion-stream: <what went wrong> [CODE]`; a
 * usage text carried by the message follows that line. A stack only with DEBUG set.
 */
function report(err: unknown): number {
  if (isEmotionStreamError(err)) {
    const [first, ...rest] = err.message.split('\n');
    const details = rest.length > 0 ? `\n${rest.join('\n')}\n` : '';
    process.stderr.write(`emotion-stream: ${first} [${err.code}]\n${details}`);
    if (process.env.DEBUG) process.stderr.write(`${err.stack}\n`);
    return err.code === 'ERR_USAGE' ? 2 : 1;
  }
  process.stderr.write(`emotion-stream: unexpected error: ${errorMessage(err).split('\n')[0]}\n`);
  if (process.env.DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.exitCode = report(err); },
);
