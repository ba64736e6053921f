import { createLogger } from '../../pipeline/logger.ts';
import { parseCommandArgs } from './parse-args.ts';
import { STACK_FLAGS, STACK_FLAGS_USAGE, loadStackFromFlags } from './stack-flags.ts';
import { STAGE_NAMES } from '../stack.ts';
import { runStack } from '../run-stack.ts';

const USAGE = `usage: emotion-stream up [options]
  Run every stage (${STAGE_NAMES.join(', ')}) in this process on the in-memory bus, or on
  Redis with --redis. With a source (--file, or source in --config) capture runs too; with a
  file the stack stops once it is fully processed and prints the summary as JSON.
${STACK_FLAGS_USAGE}`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, STACK_FLAGS, USAGE);
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadStackFromFlags(values as Record<string, string | boolean | undefined>);
  const logger = createLogger({ name: 'up', level: config.logLevel });
  const stages = STAGE_NAMES.filter((s) => s !== 'capture' || config.source);
  const summary = await runStack(config, stages, {
    logger,
    onReady: ({ transport }) => process.stderr.write(`emotion-stream: up on the ${transport} bus: ${stages.join(', ')}\n`),
  });
  if (summary) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return summary.end?.reason === 'error' ? 1 : 0;
  }
  return 0;
}
