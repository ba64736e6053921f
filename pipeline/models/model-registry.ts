import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmotionStreamError } from '../../common/errors.ts';

/**
 * Model versions on disk: a model family folder holds one directory per version
 * (`models/emotion/<version>/{model.json, weights.bin, metadata.json, report.html}`) and a
 * `PROMOTED` file naming the version classifiers load. Training writes a new version;
 * promoting it is one small file write that classifiers can watch.
 */
export const PROMOTED_FILE = 'PROMOTED';

/** The model family shipped with the package (models/emotion), independent of the cwd. */
export function shippedModelFamily(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'models', 'emotion');
}

/** A model directory from a version directory, or from a family folder (promoted, else newest version). */
export function resolveModelDir(path: string): string {
  const dir = resolve(path);
  if (existsSync(join(dir, 'model.json'))) return dir;
  if (!existsSync(dir)) throw new EmotionStreamError('ERR_MODEL_LOAD', `model directory not found: ${dir}`, { context: { dir } });
  const promoted = join(dir, PROMOTED_FILE);
  if (existsSync(promoted)) {
    const version = readFileSync(promoted, 'utf8').trim();
    const target = join(dir, version);
    if (!existsSync(join(target, 'model.json'))) {
      throw new EmotionStreamError('ERR_MODEL_LOAD', `${promoted} names version "${version}", but ${target} holds no model.json`, { context: { dir } });
    }
    return target;
  }
  const versions = listVersions(dir);
  if (versions.length === 0) throw new EmotionStreamError('ERR_MODEL_LOAD', `${dir} holds no model (no model.json, no ${PROMOTED_FILE}, no version folders)`, { context: { dir } });
  return join(dir, versions[versions.length - 1]);
}

/** Version folders (those holding a model.json), oldest first by name. */
export function listVersions(familyDir: string): string[] {
  return readdirSync(familyDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(familyDir, e.name, 'model.json')))
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** Makes `version` the one classifiers load from this family. */
export function promoteVersion(familyDir: string, version: string): void {
  if (!existsSync(join(familyDir, version, 'model.json'))) {
    throw new EmotionStreamError('ERR_MODEL_LOAD', `cannot promote ${version}: ${join(familyDir, version)} holds no model.json`);
  }
  writeFileSync(join(familyDir, PROMOTED_FILE), `${version}\n`);
}
