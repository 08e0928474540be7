/**
 * J, the region similarity (Jaccard index) of the DAVIS benchmark, as davis2017-evaluation's
 * db_eval_iou computes it (see docs/metrics.md).
 */
import { EvalError } from '../utils/errors.js';

/** Throws when a mask does not have width·height pixels. */
export function checkMaskSize(mask: Uint8Array, width: number, height: number, what: string): void {
  if (mask.length !== width * height) {
    throw new EvalError(`${what} has ${mask.length} pixels, expected ${width}x${height} = ${width * height}`);
  }
}

/**
 * |P∩G∖V| / |(P∪G)∖V|. Masks are booleans (non-zero = foreground); `voidMask` (non-zero = void)
 * removes pixels from both. An empty union scores 1 (both masks empty: a correct "absent").
 */
export function jaccard(gt: Uint8Array, pred: Uint8Array, width: number, height: number, voidMask?: Uint8Array): number {
  checkMaskSize(gt, width, height, 'ground-truth mask');
  checkMaskSize(pred, width, height, 'predicted mask');
  let inter = 0;
  let union = 0;
  const n = width * height;
  if (voidMask === undefined) {
    for (let i = 0; i < n; i++) {
      const g = gt[i] !== 0;
      const p = pred[i] !== 0;
      if (g && p) inter++;
      if (g || p) union++;
    }
  } else {
    checkMaskSize(voidMask, width, height, 'void mask');
    for (let i = 0; i < n; i++) {
      if (voidMask[i] !== 0) continue;
      const g = gt[i] !== 0;
      const p = pred[i] !== 0;
      if (g && p) inter++;
      if (g || p) union++;
    }
  }
  return union === 0 ? 1 : inter / union;
}
