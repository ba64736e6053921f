/**
 * The layers of the code and which imports which, read from the sources' own import lines.
 * Imports point one way: common at the bottom, then config, pipeline, training, services, and the
 * entry points (bench, bin) on top; nothing imports from a layer above it. Used by
 * `npm run docs:architecture` (writes docs/architecture.md) and by a test that fails on an
 * import pointing up.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Bottom first. A folder may import from its own layer and the ones before it. */
export const LAYERS = ['common', 'config', 'pipeline', 'training', 'services', 'bench', 'bin'] as const;
export type Layer = (typeof LAYERS)[number];

/** One file importing another, by the folders they sit in (`pipeline/stages`, `training`, ...). */
export interface ImportEdge {
  from: string;
  to: string;
  /** Source file and the file it imports, relative to the repository root. */
  file: string;
  target: string;
}

const SOURCE = /\.(ts|mjs|js)$/;
const IMPORT = /(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return SOURCE.test(name) ? [path] : [];
  });
}

/** The folder a file stands for at `depth` path segments (e.g. depth 2: `pipeline/stages`). */
export function folderOf(file: string, depth: number): string {
  const parts = file.split(sep).slice(0, -1);
  return parts.slice(0, depth).join('/') || parts[0];
}

/** Every relative import between files of the layers, as folder edges at `depth`. */
export function importEdges(root: string, depth = 1): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const layer of LAYERS) {
    if (!existsSync(join(root, layer))) continue;
    for (const path of sourceFiles(join(root, layer))) {
      const file = relative(root, path);
      for (const match of readFileSync(path, 'utf8').matchAll(IMPORT)) {
        const target = relative(root, resolve(dirname(path), match[1]));
        if (target.startsWith('..')) continue;
        edges.push({ from: folderOf(file, depth), to: folderOf(target, depth), file, target });
      }
    }
  }
  return edges;
}

/** The layer a folder belongs to, or undefined for a folder outside them (node_modules, models). */
export function layerOf(folder: string): Layer | undefined {
  const top = folder.split('/')[0];
  return (LAYERS as readonly string[]).includes(top) ? (top as Layer) : undefined;
}

/** Imports from a layer above the importer's: each one breaks the layering. */
export function upwardImports(edges: ImportEdge[]): ImportEdge[] {
  return edges.filter((e) => {
    const from = layerOf(e.from);
    const to = layerOf(e.to);
    return from !== undefined && to !== undefined && LAYERS.indexOf(to) > LAYERS.indexOf(from);
  });
}

/** Folder-to-folder import counts between different folders, sorted by layer then name. */
export function folderGraph(edges: ImportEdge[]): { from: string; to: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const e of edges) if (e.from !== e.to) counts.set(`${e.from} ${e.to}`, (counts.get(`${e.from} ${e.to}`) ?? 0) + 1);
  const rank = (f: string) => LAYERS.indexOf(layerOf(f) as Layer);
  return [...counts].map(([key, count]) => {
    const [from, to] = key.split(' ');
    return { from, to, count };
  }).sort((a, b) => rank(b.from) - rank(a.from) || a.from.localeCompare(b.from) || rank(b.to) - rank(a.to) || a.to.localeCompare(b.to));
}
