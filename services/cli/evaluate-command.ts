import { resolve } from 'node:path';
import { createLogger } from '../../pipeline/logger.ts';
import { EmotionStreamError } from '../../common/errors.ts';
import { parseCommandArgs } from './parse-args.ts';
import { BACKEND_CHOICES, TTA_MODES, type BackendChoice, type TtaMode } from '../../config/schema.ts';

const USAGE = `usage: emotion-stream evaluate --model <dir> --data <dir|csv> [options]
  --model <dir>     model directory (model.json, weights.bin, metadata.json) or a model family folder
  --data <path>     labelled data: Kaggle folders (e.g. fer2013/test), a FER+ split, fer2013.csv, or <class>/<image> folders
  --usage <split>   PublicTest | PrivateTest | Training (fer2013.csv / Kaggle file-name prefixes)
  --target <t>      majority | distribution (FER+)
  --tta <mode>      test-time augmentation: none (default) | flip (mirror image, 2x work) |
                    shift (mirror + 2 px shifts, 10x work)
  --backend <b>     auto | tensorflow | wasm | cpu
  --json            print one JSON object as the last line (accuracy, macro_f1, per-class recall, confusion, count)`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    model: { type: 'string' }, data: { type: 'string' }, usage: { type: 'string' }, target: { type: 'string' },
    tta: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' },
  }, USAGE);
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.model || !values.data) throw new EmotionStreamError('ERR_USAGE', `--model and --data are required\n${USAGE}`);
  const usage = values.usage as 'Training' | 'PublicTest' | 'PrivateTest' | undefined;
  if (usage && !['Training', 'PublicTest', 'PrivateTest'].includes(usage)) throw new EmotionStreamError('ERR_USAGE', `--usage must be PublicTest, PrivateTest or Training, got "${usage}"`);
  const target = (values.target ?? 'majority') as 'majority' | 'distribution';
  if (!['majority', 'distribution'].includes(target)) throw new EmotionStreamError('ERR_USAGE', `--target must be majority or distribution, got "${target}"`);
  const tta = (values.tta ?? 'none') as TtaMode;
  if (!TTA_MODES.includes(tta)) throw new EmotionStreamError('ERR_USAGE', `--tta must be one of ${TTA_MODES.join(', ')}, got "${tta}"`);
  const backend = values.backend ?? 'auto';
  if (!(BACKEND_CHOICES as readonly string[]).includes(backend)) throw new EmotionStreamError('ERR_USAGE', `--backend must be one of ${BACKEND_CHOICES.join(', ')}, got "${backend}"`);
  const logger = createLogger({ name: 'evaluate', level: values.json ? 'warn' : undefined });
  const { evaluateModel } = await import('../../training/evaluate.ts');
  const result = await evaluateModel({
    modelDir: resolve(values.model), data: resolve(values.data), usage, target, tta,
    backend: backend as BackendChoice, logger,
  });
  if (!values.json) process.stdout.write(`${result.table}\n`);
  const recall = Object.fromEntries(Object.entries(result.metrics.perClass).map(([k, v]) => [k, round(v.recall)]));
  const summary = {
    model: result.modelVersion, data: result.dataName, count: result.metrics.count, accuracy: round(result.metrics.accuracy),
    macro_f1: round(result.metrics.macroF1), per_class_recall: recall, confusion: result.metrics.confusion,
    skipped: result.skipped, seconds: round(result.seconds), tta,
  };
  if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  return 0;
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
