import { escapeXml } from './escape-xml.ts';
import { niceTicks, type NiceTicks } from './nice-ticks.ts';

/** One named line. Non-finite values (NaN, e.g. an epoch without validation) leave a gap. */
export interface LineSeries {
  name: string;
  values: readonly number[];
  /** Any CSS colour; defaults to matplotlib's palette in series order (blue, orange, green, ...). */
  color?: string;
}

/** What to draw; sizes are SVG user units (pixels when shown at 1:1). */
export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly LineSeries[];
  /** x of each point, shared by all series; defaults to 1..n (epoch numbers). */
  x?: readonly number[];
  width?: number;
  height?: number;
  /** Formats y tick labels and legend values, e.g. as percentages; `decimals` suits the tick step. */
  formatY?: (value: number, decimals: number) => string;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';
const MARGIN = { top: 44, right: 20, bottom: 56, left: 72 };

interface Frame {
  left: number;
  top: number;
  width: number;
  height: number;
  xTicks: NiceTicks;
  yTicks: NiceTicks;
  /** Data -> SVG coordinates. */
  px: (x: number) => number;
  py: (y: number) => number;
}

/**
 * A self-contained SVG line chart (title, axes with ticks and labels, grid, one line per series and
 * a legend placed in the plot corner the lines cross least), in the style of the notebook's
 * matplotlib "Model Accuracy" / "Model Loss" plots. Needs no fonts or scripts beyond a sans-serif.
 * Series with no finite values still get a legend entry; a chart with no data says so.
 */
export function renderLineChart(options: LineChartOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  const length = Math.max(0, ...options.series.map((s) => s.values.length));
  const xs = options.x ?? Array.from({ length }, (_, i) => i + 1);
  const formatY = options.formatY ?? ((v: number, d: number) => v.toFixed(d));
  const frame = layout(width, height, xs, options.series);
  const body = frame
    ? [axes(frame, options, formatY), ...options.series.map((s, i) => seriesPath(frame, xs, s, colorOf(s, i))),
      legend(frame, xs, options.series, formatY)]
    : [`<text x="${width / 2}" y="${height / 2}" text-anchor="middle" font-size="14" fill="#666">no data</text>`];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(options.title)}" ${FONT}>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="26" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(options.title)}</text>`,
    ...body,
    '</svg>',
  ].join('\n');
}

function colorOf(series: LineSeries, index: number): string {
  return series.color ?? PALETTE[index % PALETTE.length];
}

function finitePoints(xs: readonly number[], values: readonly number[]): Array<[number, number]> {
  const points: Array<[number, number]> = [];
  values.forEach((v, i) => {
    if (Number.isFinite(v) && Number.isFinite(xs[i])) points.push([xs[i], v]);
  });
  return points;
}

function layout(width: number, height: number, xs: readonly number[], series: readonly LineSeries[]): Frame | undefined {
  const points = series.flatMap((s) => finitePoints(xs, s.values));
  if (points.length === 0) return undefined;
  const px = points.map((p) => p[0]);
  const py = points.map((p) => p[1]);
  const xTicks = niceTicks(Math.min(...px), Math.max(...px), 6, px.every(Number.isInteger));
  const yTicks = niceTicks(Math.min(...py), Math.max(...py), 5);
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  return {
    left: MARGIN.left,
    top: MARGIN.top,
    width: plotW,
    height: plotH,
    xTicks,
    yTicks,
    px: (x) => MARGIN.left + ((x - xTicks.min) / (xTicks.max - xTicks.min)) * plotW,
    py: (y) => MARGIN.top + plotH - ((y - yTicks.min) / (yTicks.max - yTicks.min)) * plotH,
  };
}

function axes(f: Frame, options: LineChartOptions, formatY: (v: number, d: number) => string): string {
  const bottom = f.top + f.height;
  const out: string[] = [];
  for (const t of f.yTicks.ticks) {
    const y = f.py(t).toFixed(1);
    out.push(`<line x1="${f.left}" y1="${y}" x2="${f.left + f.width}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<line x1="${f.left - 5}" y1="${y}" x2="${f.left}" y2="${y}" stroke="#333"/>`);
    out.push(`<text x="${f.left - 8}" y="${y}" dy="0.35em" text-anchor="end" font-size="12">${escapeXml(formatY(t, f.yTicks.decimals))}</text>`);
  }
  for (const t of f.xTicks.ticks) {
    const x = f.px(t).toFixed(1);
    out.push(`<line x1="${x}" y1="${f.top}" x2="${x}" y2="${bottom}" stroke="#f0f0f0"/>`);
    out.push(`<line x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 5}" stroke="#333"/>`);
    out.push(`<text x="${x}" y="${bottom + 19}" text-anchor="middle" font-size="12">${escapeXml(t.toFixed(f.xTicks.decimals))}</text>`);
  }
  out.push(`<rect x="${f.left}" y="${f.top}" width="${f.width}" height="${f.height}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${f.left + f.width / 2}" y="${bottom + 44}" text-anchor="middle" font-size="13">${escapeXml(options.xLabel)}</text>`);
  const cy = f.top + f.height / 2;
  out.push(`<text x="18" y="${cy}" transform="rotate(-90 18 ${cy})" text-anchor="middle" font-size="13">${escapeXml(options.yLabel)}</text>`);
  return out.join('\n');
}

function seriesPath(f: Frame, xs: readonly number[], series: LineSeries, rawColor: string): string {
  const color = escapeXml(rawColor);
  let d = '';
  let pen = false;
  const dots: string[] = [];
  series.values.forEach((v, i) => {
    if (!Number.isFinite(v) || !Number.isFinite(xs[i])) {
      pen = false; // a gap: the next finite point starts a new sub-path
      return;
    }
    const x = f.px(xs[i]).toFixed(1);
    const y = f.py(v).toFixed(1);
    d += `${pen ? 'L' : 'M'}${x} ${y} `;
    pen = true;
    dots.push(`<circle cx="${x}" cy="${y}" r="2.5" fill="${color}"/>`);
  });
  if (d === '') return `<g data-series="${escapeXml(series.name)}"></g>`;
  // Dots mark single points and keep short runs readable; on long runs they would only add clutter.
  const markers = dots.length <= 60 ? dots.join('') : '';
  return `<g data-series="${escapeXml(series.name)}"><path d="${d.trim()}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round"/>${markers}</g>`;
}

function legend(f: Frame, xs: readonly number[], series: readonly LineSeries[], formatY: (v: number, d: number) => string): string {
  // One decimal more than the ticks: the legend value should be more precise than the axis.
  const labels = series.map((s) => {
    const last = finitePoints(xs, s.values).at(-1);
    return last ? `${s.name} (last ${formatY(last[1], f.yTicks.decimals + 1)})` : `${s.name} (no data)`;
  });
  // About 0.6 em per character for a sans-serif at 12px: enough to size the box without measuring text.
  const boxW = 40 + 7.2 * Math.max(...labels.map((l) => l.length));
  const boxH = 10 + 20 * series.length;
  const [bx, by] = legendCorner(f, xs, series, boxW, boxH);
  const rows = labels.map((label, i) => {
    const y = by + 15 + 20 * i;
    const color = escapeXml(colorOf(series[i], i));
    return `<line x1="${bx + 8}" y1="${y}" x2="${bx + 30}" y2="${y}" stroke="${color}" stroke-width="2.5"/>` +
      `<text x="${bx + 36}" y="${y}" dy="0.35em" font-size="12">${escapeXml(label)}</text>`;
  });
  return `<g class="legend"><rect x="${bx}" y="${by}" width="${boxW.toFixed(0)}" height="${boxH}" rx="3" fill="#ffffff" fill-opacity="0.9" stroke="#bbb"/>${rows.join('')}</g>`;
}

/** The plot corner whose legend box would cover the fewest line samples (matplotlib's loc="best", simplified). */
function legendCorner(f: Frame, xs: readonly number[], series: readonly LineSeries[], w: number, h: number): [number, number] {
  const pad = 8;
  const corners: Array<[number, number]> = [
    [f.left + f.width - w - pad, f.top + pad],
    [f.left + f.width - w - pad, f.top + f.height - h - pad],
    [f.left + pad, f.top + pad],
    [f.left + pad, f.top + f.height - h - pad],
  ];
  const samples = series.flatMap((s) => densify(finitePoints(xs, s.values).map(([x, y]) => [f.px(x), f.py(y)])));
  const covered = corners.map(([cx, cy]) => samples.filter(([x, y]) => x >= cx && x <= cx + w && y >= cy && y <= cy + h).length);
  return corners[covered.indexOf(Math.min(...covered))];
}

/** Points along each segment too, so a line that crosses a corner without a vertex there still counts. */
function densify(points: Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = points.slice(0, 1);
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1];
    const [x1, y1] = points[i];
    for (let k = 1; k <= 8; k++) out.push([x0 + ((x1 - x0) * k) / 8, y0 + ((y1 - y0) * k) / 8]);
  }
  return out;
}
