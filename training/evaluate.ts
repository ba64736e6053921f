import type { Logger } from '../pipeline/logger.ts';
import { silentLogger } from '../pipeline/logger.ts';
import { initBackend } from './engine/backend.ts';
import type { BackendChoice } from '../config/schema.ts';
import { loadDataset } from './datasets/load-dataset.ts';
import { resolveModelDir } from '../pipeline/models/model-registry.ts';
import { TfjsEmotionClassifier } from '../pipeline/classifiers/tfjs-emotion-classifier.ts';
import { scoreDataset } from './predict-dataset.ts';
import { formatMetricsTable } from './metrics/format-metrics-table.ts';
import type { EvaluationMetrics } from '../pipeline/models/evaluation-result.ts';
import type { TtaMode } from '../config/schema.ts';

export interface EvaluateOptions {
  modelDir: string;
  data: string;
  usage?: 'Training' | 'PublicTest' | 'PrivateTest';
  target?: 'majority' | 'distribution';
  tta?: TtaMode;
  backend?: BackendChoice;
  logger?: Logger;
}

export interface EvaluateResult {
  modelVersion: string;
  dataName: string;
  metrics: EvaluationMetrics;
  table: string;
  skipped: number;
  seconds: number;
}

/** Evaluates a model directory on any labelled dataset form loadDataset accepts. */
export async function evaluateModel(options: EvaluateOptions): Promise<EvaluateResult> {
  const logger = options.logger ?? silentLogger();
  const backend = await initBackend(options.backend ?? 'auto');
  const dir = resolveModelDir(options.modelDir);
  // Loading through the classifier applies the same checks the pipeline does.
  const classifier = await TfjsEmotionClassifier.load(dir);
  const ds = await loadDataset(options.data, { usage: options.usage, target: options.target, logger });
  const started = performance.now();
  const { metrics } = scoreDataset(classifier.model, ds, { tta: options.tta });
  const seconds = (performance.now() - started) / 1000;
  logger.info({ backend, model: classifier.version, count: ds.count, accuracy: metrics.accuracy, seconds }, 'evaluated');
  classifier.dispose();
  return { modelVersion: classifier.version, dataName: ds.name, metrics, table: formatMetricsTable(metrics), skipped: ds.skipped.length, seconds };
}
