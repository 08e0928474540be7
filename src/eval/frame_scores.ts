/**
 * J and F of every (ground-truth object, predicted label) pair of one frame, computed together:
 * J from one pass of label co-occurrence counts, F from each label's boundary points (computed
 * once per label, not once per pair). Values equal jaccard()/boundaryF() on the binary masks.
 */
import { type BoundaryPoints, fMeasure, labelBoundaryPoints, precisionRecallOfPoints } from './boundary.js';
import { cooccurrence } from './label_scan.js';

export interface FramePairScores {
  /** j[g · numPred + p] for object g + 1 and predicted label p + 1. */
  j: Float64Array;
  /** Same layout as j; NaN where F was not requested (diagonal-only scoring). */
  f: Float64Array;
}

export interface FrameScoreInput {
  width: number;
  height: number;
  /** Ground-truth labels; values above numGt count as background. */
  gt: Uint8Array;
  /** Predicted labels; values above numPred count as background. */
  pred: Uint8Array;
  numGt: number;
  numPred: number;
  /** Non-zero = void: removed from both masks in J and F. */
  voidMask?: Uint8Array;
  /** Boundary tolerance radius in pixels. */
  radius: number;
  /** Only pairs (k, k) — the semi-supervised protocol — instead of all pairs. */
  diagonalOnly: boolean;
}

export function scoreFramePairs(input: FrameScoreInput): FramePairScores {
  const { width, height, gt, pred, numGt, numPred, voidMask, radius, diagonalOnly } = input;
  // Fold the 256x256 co-occurrence table: gt labels above numGt and predicted labels above
  // numPred are background.
  const table = cooccurrence(gt, pred, voidMask);
  const stride = numPred + 1;
  const counts = new Float64Array((numGt + 1) * stride);
  for (let g = 0; g < 256; g++) {
    const gi = g > numGt ? 0 : g;
    for (let p = 0; p < 256; p++) {
      const c = table[(g << 8) | p]!;
      if (c !== 0) counts[gi * stride + (p > numPred ? 0 : p)] += c;
    }
  }
  const gtArea = new Float64Array(numGt + 1);
  const predArea = new Float64Array(numPred + 1);
  for (let g = 0; g <= numGt; g++) {
    for (let p = 0; p <= numPred; p++) {
      gtArea[g] += counts[g * stride + p]!;
      predArea[p] += counts[g * stride + p]!;
    }
  }
  const j = new Float64Array(numGt * numPred).fill(Number.NaN);
  const f = new Float64Array(numGt * numPred).fill(Number.NaN);
  const gtBounds = labelBoundaryPoints(gt, numGt, width, height, voidMask);
  const predBounds = labelBoundaryPoints(pred, numPred, width, height, voidMask);
  for (let g = 1; g <= numGt; g++) {
    for (let p = 1; p <= numPred; p++) {
      if (diagonalOnly && p !== g) continue;
      const inter = counts[g * stride + p]!;
      const union = gtArea[g]! + predArea[p]! - inter;
      const at = (g - 1) * numPred + (p - 1);
      j[at] = union === 0 ? 1 : inter / union;
      f[at] = pairF(gtBounds[g - 1]!, predBounds[p - 1]!, height, radius);
    }
  }
  return { j, f };
}

function pairF(bg: BoundaryPoints, bp: BoundaryPoints, height: number, radius: number): number {
  return fMeasure(precisionRecallOfPoints(bg, bp, height, radius));
}
