import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TfjsEmotionClassifier } from '../../pipeline/classifiers/tfjs-emotion-classifier.ts';
import { shippedModelFamily } from '../../pipeline/models/model-registry.ts';
import { TOPICS } from '../../pipeline/runners/bus-envelope.ts';
import type { StageServices } from '../../pipeline/stage-registry.ts';
import type { ClassifierConfig } from '../../config/schema.ts';
import type { Bus } from '../../pipeline/bus/transport.ts';
import type { Logger } from '../../pipeline/logger.ts';
import type { ModelNotice } from '../../training/train-job.ts';

/**
 * Hot reload: when a trainer announces a promoted version of the family this classifier follows,
 * the version is loaded and swapped into `services.classifier` (classify-emotion reads it for
 * every batch). A classifier pinned to one version directory never switches. Resolves to the
 * unsubscribe function once the subscription is active.
 */
export async function followPromotedModel(bus: Bus, services: StageServices, config: ClassifierConfig, logger: Logger): Promise<() => Promise<void>> {
  return bus.topic<ModelNotice>(TOPICS.models).subscribe((notice) => {
    if (!notice.promoted || !followsFamily(config.modelDir, notice.family)) return;
    void swapModel(services, notice, config, logger);
  });
}

/** A classifier pinned to one version directory never switches; one following a family does. */
function followsFamily(modelDir: string | undefined, family: string): boolean {
  const mine = resolve(modelDir ?? shippedModelFamily());
  return mine === resolve(family) && !existsSync(join(mine, 'model.json'));
}

/** Loads the promoted version, then swaps it in; the old model is freed after the swap. A bad model keeps the old one. */
async function swapModel(services: StageServices, notice: ModelNotice, config: ClassifierConfig, logger: Logger): Promise<void> {
  try {
    const next = await TfjsEmotionClassifier.load(notice.dir, { tta: config.tta });
    const previous = services.classifier;
    services.classifier = next;
    // A batch in progress holds the previous model only synchronously (predict is sync), so it is free now.
    previous?.dispose();
    logger.info({ from: previous?.version, to: next.version }, 'promoted model loaded');
  } catch (err) {
    logger.error({ err, dir: notice.dir }, 'promoted model could not be loaded: keeping the current one');
  }
}
