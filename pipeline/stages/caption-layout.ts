import type { BoxPx } from '../messages.ts';

/** A face's box and the size (px) of the caption rectangle to place for it. */
export interface CaptionRequest {
  box: BoxPx;
  width: number;
  height: number;
}

/** Frame dimensions in pixels. */
export interface FrameSize {
  width: number;
  height: number;
}

/**
 * Where captions go, in pixels: `gap` between a caption and its own box (clear of the box's
 * line), `spacing` between captions stacked against each other.
 */
export interface CaptionLayoutOptions {
  gap: number;
  spacing: number;
}

/** Covering someone else's face costs as much as moving this many caption heights further away. */
const COVER_PENALTY_HEIGHTS = 3;

/**
 * Places one caption rectangle per face so that no two captions intersect and every caption
 * stays inside the frame (as long as the frame can hold them all; when it cannot, the leftover
 * captions go to their preferred spot). Pure: no drawing, no OpenCV.
 *
 * Per face, in order of preference: just above the box (or just inside its top edge when there
 * is no room above, as the notebook does); just below the box; then the nearest free spot
 * found by shifting up/down (and, if the column is full, sideways) against the captions placed
 * so far. Spots that cover another face's box are avoided unless nothing near is free. Faces
 * are placed top to bottom so upper faces get the space above them first.
 *
 * @returns the caption rectangles, in the order of `requests`.
 */
export function placeCaptions(requests: readonly CaptionRequest[], frame: FrameSize, options: CaptionLayoutOptions): BoxPx[] {
  const order = requests.map((_, i) => i).sort((a, b) => requests[a].box.y - requests[b].box.y || requests[a].box.x - requests[b].box.x);
  const rects: BoxPx[] = new Array<BoxPx>(requests.length);
  const placed: BoxPx[] = [];
  for (const i of order) {
    const others = requests.filter((_, j) => j !== i).map((r) => r.box);
    rects[i] = placeOne(requests[i], { frame, options, placed, others });
    placed.push(rects[i]);
  }
  return rects;
}

/** True when the two rectangles share at least one pixel. */
export function intersects(a: BoxPx, b: BoxPx): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

interface PlaceContext {
  frame: FrameSize;
  options: CaptionLayoutOptions;
  /** Captions placed so far: hard obstacles. */
  placed: readonly BoxPx[];
  /** Other faces' boxes: soft obstacles. */
  others: readonly BoxPx[];
}

interface Candidate {
  x: number;
  y: number;
  /** Lower is better: the rank of the preferred spots, or 2 + `searchCost` for searched ones. */
  cost: number;
}

function placeOne(request: CaptionRequest, ctx: PlaceContext): BoxPx {
  const { width, height } = request;
  // Sideways only when the face's own column has no free spot: stacking keeps captions near.
  const spot = bestFree(request, ctx, columnCandidates(request, ctx)) ?? bestFree(request, ctx, sidewaysCandidates(request, ctx));
  // Only a frame too full to hold every caption gets here: overlap beats losing the caption.
  return spot ?? { ...preferredSpot(request, ctx), width, height };
}

/** The cheapest candidate that no placed caption intersects, covering other faces at a penalty. */
function bestFree({ width, height }: CaptionRequest, ctx: PlaceContext, list: Candidate[]): BoxPx | undefined {
  let best: BoxPx | undefined;
  let bestCost = Infinity;
  for (const { x, y, cost } of list.sort((a, b) => a.cost - b.cost)) {
    if (cost >= bestCost) break; // penalties only add: no later candidate can win
    const rect = { x, y, width, height };
    if (ctx.placed.some((p) => intersects(rect, p))) continue;
    const total = cost + (ctx.others.some((o) => intersects(rect, o)) ? COVER_PENALTY_HEIGHTS * height : 0);
    if (total < bestCost) [best, bestCost] = [rect, total];
  }
  return best;
}

/** Above the box, or just inside its top edge when the frame has no room above it. */
function preferredSpot({ box, width, height }: CaptionRequest, { frame, options }: PlaceContext): { x: number; y: number } {
  const x = clamp(box.x, 0, frame.width - width);
  const above = box.y - options.gap - height;
  return { x, y: above >= 0 ? above : clamp(box.y + options.gap, 0, frame.height - height) };
}

/** The preferred spot, below the box, then every step up or down in the box's column. */
function columnCandidates(request: CaptionRequest, ctx: PlaceContext): Candidate[] {
  const first = preferredSpot(request, ctx);
  const below = request.box.y + request.box.height + ctx.options.gap;
  const list: Candidate[] = [{ ...first, cost: 0 }];
  if (below + request.height <= ctx.frame.height) list.push({ x: first.x, y: below, cost: 1 });
  return [...list, ...stepsY(request, ctx).map((y) => searched(request, ctx, { x: first.x, y }, first.x))];
}

/** Every step up or down at every step sideways, past the captions placed so far. */
function sidewaysCandidates(request: CaptionRequest, ctx: PlaceContext): Candidate[] {
  const { spacing } = ctx.options;
  const preferredX = preferredSpot(request, ctx).x;
  const xs = ctx.placed.flatMap((p) => [p.x + p.width + spacing, p.x - request.width - spacing]);
  const ys = stepsY(request, ctx);
  return xs.flatMap((x) => ys.map((y) => searched(request, ctx, { x, y }, preferredX)));
}

/** Free spots start at an obstacle's edge, so those edges are the only steps worth trying. */
function stepsY({ box, height }: CaptionRequest, { placed, others, options }: PlaceContext): number[] {
  const edges = [...placed, ...others].flatMap((o) => [o.y + o.height + options.spacing, o.y - height - options.spacing]);
  return [box.y - options.gap - height, box.y + box.height + options.gap, ...edges];
}

/** A searched spot at `at`, moved into the frame. */
function searched({ box, width, height }: CaptionRequest, { frame }: PlaceContext, at: { x: number; y: number }, preferredX: number): Candidate {
  const rect = { x: clamp(at.x, 0, frame.width - width), y: clamp(at.y, 0, frame.height - height), width, height };
  return { x: rect.x, y: rect.y, cost: 2 + searchCost(rect, box, preferredX) };
}

/**
 * How far a searched spot is from its face: the vertical space between caption and box (so
 * captions stack above and below alike), sideways moves double (they lose the link to the face
 * faster), and covering its own face as much as covering another's.
 */
function searchCost(rect: BoxPx, box: BoxPx, preferredX: number): number {
  const apart = Math.max(0, box.y - (rect.y + rect.height), rect.y - (box.y + box.height));
  return apart + 2 * Math.abs(rect.x - preferredX) + (intersects(rect, box) ? COVER_PENALTY_HEIGHTS * rect.height : 0);
}

/** `value` within [lo, hi]; `lo` wins when the range is empty (a caption larger than the frame). */
function clamp(value: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(value, hi));
}
