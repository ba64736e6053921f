import { escapeXml } from './escape-xml.ts';

/** What to draw: `confusion[true][predicted]` counts, rows and columns in `classes` order. */
export interface ConfusionMatrixOptions {
  classes: readonly string[];
  confusion: readonly (readonly number[])[];
  title?: string;
  /** Side of one cell in SVG units; 64 fits counts up to 99,999. */
  cellSize?: number;
}

// matplotlib's "Blues" (ColorBrewer, 9 steps): light for a small share of the row, dark for most of it.
const BLUES = ['#f7fbff', '#deebf7', '#c6dbef', '#9ecae1', '#6baed6', '#4292c6', '#2171b5', '#08519c', '#08306b'];
const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';
const CHAR_W = 7.2; // about 0.6 em at 12px, enough to size label columns without measuring text

interface Grid {
  x0: number;
  y0: number;
  cell: number;
  n: number;
}

/**
 * An SVG heatmap of a confusion matrix: rows are the true label, columns the prediction. Each cell
 * is coloured by its share of the row (so recall reads along the diagonal whatever the class
 * sizes) and shows the count and that share in percent; the row total is printed at the right
 * and a colour scale explains the shading. A row with no images shows "–" instead of a percentage.
 *
 * @throws RangeError when `confusion` is not a `classes.length` square of non-negative counts
 */
export function renderConfusionMatrix(options: ConfusionMatrixOptions): string {
  checkShape(options.classes, options.confusion);
  const cell = options.cellSize ?? 64;
  const n = options.classes.length;
  const labelW = Math.ceil(CHAR_W * Math.max(4, ...options.classes.map((c) => c.length)));
  const rotate = labelW + 8 > cell; // long class names slant under the columns instead of overlapping
  const grid: Grid = { x0: 40 + labelW, y0: options.title ? 48 : 16, cell, n };
  const bottomLabels = rotate ? Math.ceil(labelW * 0.75) + 12 : 22;
  const width = grid.x0 + n * cell + 70 + 60;
  const height = grid.y0 + n * cell + bottomLabels + 34;
  const gridCx = grid.x0 + (n * cell) / 2;
  const gridCy = grid.y0 + (n * cell) / 2;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(options.title ?? 'Confusion matrix')}" ${FONT}>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    options.title ? `<text x="${width / 2}" y="28" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(options.title)}</text>` : '',
    cells(grid, options.confusion),
    classLabels(grid, options.classes, rotate),
    totals(grid, options.confusion),
    scale(grid),
    `<text x="${gridCx}" y="${height - 10}" text-anchor="middle" font-size="13">Predicted label</text>`,
    `<text x="16" y="${gridCy}" transform="rotate(-90 16 ${gridCy})" text-anchor="middle" font-size="13">True label</text>`,
    '</svg>',
  ].filter((s) => s !== '').join('\n');
}

function checkShape(classes: readonly string[], confusion: readonly (readonly number[])[]): void {
  const n = classes.length;
  const square = confusion.length === n && confusion.every((row) => row.length === n);
  if (n === 0 || !square) {
    throw new RangeError(`renderConfusionMatrix: need a ${n}x${n} matrix for ${n} classes, got ${confusion.length} rows`);
  }
  if (!confusion.every((row) => row.every((v) => Number.isInteger(v) && v >= 0))) {
    throw new RangeError('renderConfusionMatrix: counts must be non-negative integers');
  }
}

/** Colour of a share 0..1, interpolated between the BLUES steps. */
function shade(share: number): string {
  const pos = Math.min(1, Math.max(0, share)) * (BLUES.length - 1);
  const i = Math.min(BLUES.length - 2, Math.floor(pos));
  const t = pos - i;
  const a = BLUES[i].match(/\w\w/g)!.map((h) => parseInt(h, 16));
  const b = BLUES[i + 1].match(/\w\w/g)!.map((h) => parseInt(h, 16));
  return `#${a.map((v, k) => Math.round(v + (b[k] - v) * t).toString(16).padStart(2, '0')).join('')}`;
}

function cells(g: Grid, confusion: readonly (readonly number[])[]): string {
  const out: string[] = [];
  confusion.forEach((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, p) => {
      const share = total === 0 ? 0 : count / total;
      const x = g.x0 + p * g.cell;
      const y = g.y0 + t * g.cell;
      const ink = share > 0.5 ? '#ffffff' : '#111111'; // stay readable on the dark end of the scale
      const pct = total === 0 ? '–' : `${(share * 100).toFixed(1)}%`;
      out.push(
        `<g data-cell="${t},${p}"><rect x="${x}" y="${y}" width="${g.cell}" height="${g.cell}" fill="${shade(share)}" stroke="#ffffff"/>` +
          `<text x="${x + g.cell / 2}" y="${y + g.cell / 2 - 4}" text-anchor="middle" font-size="14" font-weight="bold" fill="${ink}">${count.toLocaleString('en-US')}</text>` +
          `<text x="${x + g.cell / 2}" y="${y + g.cell / 2 + 13}" text-anchor="middle" font-size="11" fill="${ink}">${pct}</text></g>`,
      );
    });
  });
  return out.join('\n');
}

function classLabels(g: Grid, classes: readonly string[], rotate: boolean): string {
  const bottom = g.y0 + g.n * g.cell;
  return classes
    .map((name, i) => {
      const label = escapeXml(name);
      const cy = g.y0 + i * g.cell + g.cell / 2;
      const cx = g.x0 + i * g.cell + g.cell / 2;
      const row = `<text x="${g.x0 - 8}" y="${cy}" dy="0.35em" text-anchor="end" font-size="12">${label}</text>`;
      const col = rotate
        ? `<text x="${cx}" y="${bottom + 14}" transform="rotate(-40 ${cx} ${bottom + 14})" text-anchor="end" font-size="12">${label}</text>`
        : `<text x="${cx}" y="${bottom + 16}" text-anchor="middle" font-size="12">${label}</text>`;
      return row + col;
    })
    .join('\n');
}

function totals(g: Grid, confusion: readonly (readonly number[])[]): string {
  const x = g.x0 + g.n * g.cell + 10;
  const head = `<text x="${x}" y="${g.y0 - 6}" font-size="11" fill="#555">images</text>`;
  const rows = confusion.map((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    const cy = g.y0 + t * g.cell + g.cell / 2;
    return `<text x="${x}" y="${cy}" dy="0.35em" font-size="12" fill="#555">${total.toLocaleString('en-US')}</text>`;
  });
  return [head, ...rows].join('\n');
}

/** A vertical colour bar (discrete steps, so the SVG needs no gradient ids) from 0% to 100% of the row. */
function scale(g: Grid): string {
  const x = g.x0 + g.n * g.cell + 70;
  const h = g.n * g.cell;
  const steps = 20;
  const out: string[] = [];
  for (let i = 0; i < steps; i++) {
    const y = g.y0 + h - ((i + 1) * h) / steps;
    out.push(`<rect x="${x}" y="${y.toFixed(1)}" width="14" height="${(h / steps + 0.5).toFixed(1)}" fill="${shade((i + 0.5) / steps)}"/>`);
  }
  out.push(`<rect x="${x}" y="${g.y0}" width="14" height="${h}" fill="none" stroke="#999"/>`);
  for (const share of [0, 0.5, 1]) {
    out.push(`<text x="${x + 18}" y="${g.y0 + h - share * h}" dy="0.35em" font-size="11" fill="#555">${share * 100}%</text>`);
  }
  return out.join('\n');
}
