/**
 * F, the boundary F-measure of the DAVIS benchmark, exactly as davis2017-evaluation's f_measure
 * computes it (rules and edge cases: docs/metrics.md). The official code dilates
 * both boundary maps with a disk and intersects them; here boundaries are kept as sorted points
 * per row and each point asks whether the other boundary has a point inside its disk — the same
 * pixel sets (dx² + dy² ≤ r², nothing outside the image), so the same counts, without touching
 * the whole image per dilation.
 */
import { checkMaskSize } from './jaccard.js';
import { labelBoxes } from './label_scan.js';

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
 * seg2bmap of a binary mask (non-zero = foreground; `voidMask` pixels are zeroed first, as
 * f_measure does) as sorted points per row.
 */
export function boundaryPoints(mask: Uint8Array, width: number, height: number, voidMask?: Uint8Array): BoundaryPoints {
  const binary = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) binary[i] = mask[i] !== 0 && (voidMask === undefined || voidMask[i] === 0) ? 1 : 0;
  return labelBoundaryPoints(binary, 1, width, height)[0]!;
}

/**
 * seg2bmap of every object mask `labels == k`, k = 1..numLabels, as sorted points per row
 * (result[k − 1]). Pixels where `voidMask` is non-zero count as background. One pass finds each
 * label's bounding box (skipping background words); only that box grown by one pixel up and left can hold boundary pixels (a
 * pixel is boundary only if it or its east, south or south-east neighbour is foreground), so only
 * that box is scanned per label.
 */
export function labelBoundaryPoints(labels: Uint8Array, numLabels: number, width: number, height: number, voidMask?: Uint8Array): BoundaryPoints[] {
  checkMaskSize(labels, width, height, 'label map');
  let values = labels;
  if (voidMask !== undefined) {
    checkMaskSize(voidMask, width, height, 'void mask');
    values = labels.map((v, i) => (voidMask[i] !== 0 ? 0 : v));
  }
  const { y0, y1, x0, x1 } = labelBoxes(values, numLabels, width, height);
  const result: BoundaryPoints[] = [];
  for (let k = 1; k <= numLabels; k++) result.push(scanBoundary(values, k, width, height, y0[k]! - 1, y1[k]!, x0[k]! - 1, x1[k]!));
  return result;
}

/** seg2bmap of `values == k` restricted to rows yFrom..yTo and columns xFrom..xTo (clamped). */
function scanBoundary(values: Uint8Array, k: number, width: number, height: number, yFrom: number, yTo: number, xFrom: number, xTo: number): BoundaryPoints {
  const rowStart = new Int32Array(height + 1);
  const xs: number[] = [];
  const ys0 = Math.max(0, yFrom),
    xs0 = Math.max(0, xFrom);
  for (let y = 0; y < height; y++) {
    rowStart[y] = xs.length;
    if (y < ys0 || y > yTo) continue;
    const row = y * width;
    const below = row + width;
    const lastRow = y === height - 1;
    for (let x = xs0; x <= xTo; x++) {
      const m = values[row + x] === k;
      let isBoundary: boolean;
      if (x === width - 1) {
        isBoundary = !lastRow && m !== (values[below + x] === k);
      } else if (lastRow) {
        isBoundary = m !== (values[row + x + 1] === k);
      } else {
        isBoundary = m !== (values[row + x + 1] === k) || m !== (values[below + x] === k) || m !== (values[below + x + 1] === k);
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
  gt: Uint8Array,
  pred: Uint8Array,
  width: number,
  height: number,
  voidMask?: Uint8Array,
  boundTh = DAVIS_BOUNDARY_THRESHOLD,
): { precision: number; recall: number } {
  checkMaskSize(gt, width, height, 'ground-truth mask');
  checkMaskSize(pred, width, height, 'predicted mask');
  if (voidMask !== undefined) checkMaskSize(voidMask, width, height, 'void mask');
  const r = boundaryRadius(width, height, boundTh);
  return precisionRecallOfPoints(boundaryPoints(gt, width, height, voidMask), boundaryPoints(pred, width, height, voidMask), height, r);
}

/** Precision and recall of predicted boundary `bp` against ground-truth boundary `bg` (radius r). */
export function precisionRecallOfPoints(bg: BoundaryPoints, bp: BoundaryPoints, height: number, r: number): { precision: number; recall: number } {
  if (bp.count === 0 && bg.count > 0) return { precision: 1, recall: 0 };
  if (bp.count > 0 && bg.count === 0) return { precision: 0, recall: 1 };
  if (bp.count === 0 && bg.count === 0) return { precision: 1, recall: 1 };
  return {
    precision: countMatched(bp, bg, height, r) / bp.count,
    recall: countMatched(bg, bp, height, r) / bg.count,
  };
}

/** F = 2PR / (P + R), 0 when P + R = 0. `voidMask` pixels are zeroed in both masks first. */
export function boundaryF(gt: Uint8Array, pred: Uint8Array, width: number, height: number, voidMask?: Uint8Array, boundTh = DAVIS_BOUNDARY_THRESHOLD): number {
  return fMeasure(boundaryPrecisionRecall(gt, pred, width, height, voidMask, boundTh));
}

/** 2PR / (P + R), or 0 when P + R = 0. */
export function fMeasure({ precision, recall }: { precision: number; recall: number }): number {
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}
