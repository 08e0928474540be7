/**
 * F, the boundary F-measure of the DAVIS benchmark, exactly as davis2017-evaluation's f_measure
 * computes it (rules and edge cases: ../shared/reference/metrics.md). The official code dilates
 * both boundary maps with a disk and intersects them; here boundaries are kept as sorted points
 * per row and each point asks whether the other boundary has a point inside its disk — the same
 * pixel sets (dx² + dy² ≤ r², nothing outside the image), so the same counts, without touching
 * the whole image per dilation.
 */
import { checkMaskSize } from './jaccard.js';

/** davis2017-evaluation's default tolerance: a fraction of the image diagonal. */
export const DAVIS_BOUNDARY_THRESHOLD = 0.008;

/** Boundary pixels grouped by row: the xs of row y are xs[rowStart[y] .. rowStart[y+1]), ascending. */
export interface BoundaryPoints {
  rowStart: Int32Array;
  xs: Int32Array;
  count: number;
}

/**
 * Tolerance radius in pixels: boundTh itself when ≥ 1, else ceil(boundTh · diagonal) with the
 * diagonal computed as sqrt(h² + w²) like numpy's norm (Math.hypot may differ by one ulp).
 */
export function boundaryRadius(width: number, height: number, boundTh = DAVIS_BOUNDARY_THRESHOLD): number {
  const r = boundTh >= 1 ? boundTh : Math.ceil(boundTh * Math.sqrt(height * height + width * width));
  if (!Number.isInteger(r) || r < 0) {
    throw new RangeError(`boundary threshold ${boundTh} gives radius ${r}; a threshold ≥ 1 must be a whole number of pixels`);
  }
  return r;
}

/** Foreground test with void pixels zeroed, as f_measure does before taking boundaries. */
function foregroundOf(mask: Uint8Array, voidMask: Uint8Array | undefined): Uint8Array {
  if (voidMask === undefined) return mask;
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) out[i] = mask[i] !== 0 && voidMask[i] === 0 ? 1 : 0;
  return out;
}

/**
 * The BSDS seg2bmap boundary map as a dense 0/1 array (the literal definition; boundaryF uses the
 * sparse equivalent). A pixel is boundary when it differs from its east, south or south-east
 * neighbour (0 outside the image); the last row compares only east, the last column only south,
 * and the bottom-right pixel is never boundary.
 */
export function seg2bmap(mask: Uint8Array, width: number, height: number): Uint8Array {
  checkMaskSize(mask, width, height, 'mask');
  const b = new Uint8Array(width * height);
  const at = (y: number, x: number): boolean => y < height && x < width && mask[y * width + x] !== 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const m = at(y, x);
      const lastRow = y === height - 1;
      const lastCol = x === width - 1;
      let isBoundary: boolean;
      if (lastRow && lastCol) isBoundary = false;
      else if (lastCol) isBoundary = m !== at(y + 1, x);
      else if (lastRow) isBoundary = m !== at(y, x + 1);
      else isBoundary = m !== at(y, x + 1) || m !== at(y + 1, x) || m !== at(y + 1, x + 1);
      b[y * width + x] = isBoundary ? 1 : 0;
    }
  }
  return b;
}

/**
 * seg2bmap as sorted points per row. Only the foreground's bounding box grown by one pixel up and
 * left can hold boundary pixels (a pixel is boundary only if it or a neighbour to its east, south
 * or south-east is foreground), so only that box is scanned.
 */
export function boundaryPoints(mask: Uint8Array, width: number, height: number, voidMask?: Uint8Array): BoundaryPoints {
  const fg = foregroundOf(mask, voidMask);
  let y0 = height, y1 = -1, x0 = width, x1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let first = -1, last = -1;
    for (let x = 0; x < width; x++) {
      if (fg[row + x] !== 0) {
        if (first < 0) first = x;
        last = x;
      }
    }
    if (first < 0) continue;
    if (y < y0) y0 = y;
    y1 = y;
    if (first < x0) x0 = first;
    if (last > x1) x1 = last;
  }
  const rowStart = new Int32Array(height + 1);
  if (y1 < 0) return { rowStart, xs: new Int32Array(0), count: 0 };
  const ys0 = Math.max(0, y0 - 1), xs0 = Math.max(0, x0 - 1);
  const xs: number[] = [];
  for (let y = 0; y < height; y++) {
    rowStart[y] = xs.length;
    if (y < ys0 || y > y1) continue;
    const row = y * width;
    const lastRow = y === height - 1;
    for (let x = xs0; x <= x1; x++) {
      const m = fg[row + x] !== 0;
      const lastCol = x === width - 1;
      let isBoundary: boolean;
      if (lastCol) {
        isBoundary = !lastRow && m !== (fg[row + width + x] !== 0);
      } else if (lastRow) {
        isBoundary = m !== (fg[row + x + 1] !== 0);
      } else {
        isBoundary = m !== (fg[row + x + 1] !== 0) || m !== (fg[row + width + x] !== 0) || m !== (fg[row + width + x + 1] !== 0);
      }
      if (isBoundary) xs.push(x);
    }
  }
  rowStart[height] = xs.length;
  return { rowStart, xs: Int32Array.from(xs), count: xs.length };
}

/** halfWidth[dy + r] = the largest dx with dx² + dy² ≤ r² (the disk's row extents, exact integers). */
function diskHalfWidths(r: number): Int32Array {
  const half = new Int32Array(2 * r + 1);
  for (let dy = -r; dy <= r; dy++) {
    let dx = 0;
    while ((dx + 1) * (dx + 1) + dy * dy <= r * r) dx++;
    half[dy + r] = dx;
  }
  return half;
}

/** How many points of `a` have a point of `b` within the disk of radius r (= |a ∩ dilate(b)|). */
export function countMatched(a: BoundaryPoints, b: BoundaryPoints, height: number, r: number): number {
  const half = diskHalfWidths(r);
  let matched = 0;
  for (let y = 0; y < height; y++) {
    for (let i = a.rowStart[y]!; i < a.rowStart[y + 1]!; i++) {
      const x = a.xs[i]!;
      let found = false;
      for (let dy = -r; dy <= r && !found; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        let lo = b.rowStart[yy]!;
        let hi = b.rowStart[yy + 1]!;
        if (lo === hi) continue;
        const left = x - half[dy + r]!;
        // First point of row yy with x' ≥ left.
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (b.xs[mid]! < left) lo = mid + 1;
          else hi = mid;
        }
        if (lo < b.rowStart[yy + 1]! && b.xs[lo]! <= x + half[dy + r]!) found = true;
      }
      if (found) matched++;
    }
  }
  return matched;
}

/** Boundary precision and recall with the official empty-boundary cases. */
export function boundaryPrecisionRecall(
  gt: Uint8Array, pred: Uint8Array, width: number, height: number, voidMask?: Uint8Array, boundTh = DAVIS_BOUNDARY_THRESHOLD,
): { precision: number; recall: number } {
  checkMaskSize(gt, width, height, 'ground-truth mask');
  checkMaskSize(pred, width, height, 'predicted mask');
  if (voidMask !== undefined) checkMaskSize(voidMask, width, height, 'void mask');
  const r = boundaryRadius(width, height, boundTh);
  const bp = boundaryPoints(pred, width, height, voidMask);
  const bg = boundaryPoints(gt, width, height, voidMask);
  if (bp.count === 0 && bg.count > 0) return { precision: 1, recall: 0 };
  if (bp.count > 0 && bg.count === 0) return { precision: 0, recall: 1 };
  if (bp.count === 0 && bg.count === 0) return { precision: 1, recall: 1 };
  return {
    precision: countMatched(bp, bg, height, r) / bp.count,
    recall: countMatched(bg, bp, height, r) / bg.count,
  };
}

/** F = 2PR / (P + R), 0 when P + R = 0. `voidMask` pixels are zeroed in both masks first. */
export function boundaryF(
  gt: Uint8Array, pred: Uint8Array, width: number, height: number, voidMask?: Uint8Array, boundTh = DAVIS_BOUNDARY_THRESHOLD,
): number {
  const { precision, recall } = boundaryPrecisionRecall(gt, pred, width, height, voidMask, boundTh);
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}
