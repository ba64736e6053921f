import { EmotionStreamError } from '../../common/errors.ts';
import { createLogger } from '../../pipeline/logger.ts';
import { parseCommandArgs } from './parse-args.ts';
import { STACK_FLAGS, STACK_FLAGS_USAGE, loadStackFromFlags } from './stack-flags.ts';
import { RETIRED_STAGES, STAGE_NAMES, resolveStageName, type StageName } from '../stack.ts';
import { runStack } from '../run-stack.ts';

const USAGE = `usage: emotion-stream worker <stage> [<stage>...] [options]
  Run stage workers joined by Redis; any number of copies of a stage share its queue.
  stages: ${STAGE_NAMES.join(', ')} (broadcaster: the old name of sinks)
  e.g. emotion-stream worker classifier --redis redis://127.0.0.1:6379
${STACK_FLAGS_USAGE}`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, STACK_FLAGS, USAGE);
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length === 0) throw new EmotionStreamError('ERR_USAGE', `name the stage(s) to run\n${USAGE}`);
  const retired = positionals.find((p) => Object.hasOwn(RETIRED_STAGES, p));
  if (retired) throw new EmotionStreamError('ERR_USAGE', RETIRED_STAGES[retired]);
  const bad = positionals.filter((p) => !resolveStageName(p));
  if (bad.length) throw new EmotionStreamError('ERR_USAGE', `unknown stage "${bad[0]}": one of ${STAGE_NAMES.join(', ')}`);
  const stages = [...new Set(positionals.map((p) => resolveStageName(p) as StageName))];
  const config = loadStackFromFlags(values as Record<string, string | boolean | undefined>);
  if (config.bus.transport !== 'redis') {
    throw new EmotionStreamError('ERR_CONFIG', 'a worker joins other processes through Redis: pass --redis <url> or set EMOTION_STREAM_REDIS_URL (for one process, use `emotion-stream up`)');
  }
  const logger = createLogger({ name: `worker:${stages.join('+')}`, level: config.logLevel });
  const summary = await runStack(config, stages, { logger });
  if (summary) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return summary.end?.reason === 'error' ? 1 : 0;
  }
  return 0;
}
