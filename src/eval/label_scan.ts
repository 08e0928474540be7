/**
 * Fast exact passes over label maps. Video masks are mostly background, so the passes read the
 * maps four pixels at a time (a Uint32 view) and skip all-zero words; the results are the same
 * as a pixel-by-pixel loop.
 */

/** A view of `labels` as 32-bit words when aligned, else null (callers fall back to bytes). */
function words(labels: Uint8Array): Uint32Array | null {
  return labels.byteOffset % 4 === 0 ? new Uint32Array(labels.buffer, labels.byteOffset, labels.length >> 2) : null;
}

/** Scratch co-occurrence table, reused (the passes are synchronous). */
const pairTable = new Int32Array(256 * 256);

/**
 * Co-occurrence counts of (gt, pred) labels over the pixels that are not void:
 * result[(g << 8) | p] = number of pixels with gt = g and pred = p. The returned array is a shared
 * scratch buffer, valid until the next call.
 */
export function cooccurrence(gt: Uint8Array, pred: Uint8Array, voidMask?: Uint8Array): Int32Array {
  const table = pairTable;
  table.fill(0);
  const n = gt.length;
  const g32 = words(gt),
    p32 = words(pred);
  let start = 0;
  if (g32 !== null && p32 !== null) {
    let background = 0;
    for (let w = 0; w < g32.length; w++) {
      if ((g32[w]! | p32[w]!) === 0) {
        background += 4;
        continue;
      }
      const i = w << 2;
      table[(gt[i]! << 8) | pred[i]!]++;
      table[(gt[i + 1]! << 8) | pred[i + 1]!]++;
      table[(gt[i + 2]! << 8) | pred[i + 2]!]++;
      table[(gt[i + 3]! << 8) | pred[i + 3]!]++;
    }
    table[0] += background;
    start = g32.length << 2;
  }
  for (let i = start; i < n; i++) table[(gt[i]! << 8) | pred[i]!]++;
  if (voidMask !== undefined) {
    const v32 = words(voidMask);
    let from = 0;
    if (v32 !== null) {
      for (let w = 0; w < v32.length; w++) {
        if (v32[w] === 0) continue;
        for (let i = w << 2, end = i + 4; i < end; i++) if (voidMask[i] !== 0) table[(gt[i]! << 8) | pred[i]!]--;
      }
      from = v32.length << 2;
    }
    for (let i = from; i < n; i++) if (voidMask[i] !== 0) table[(gt[i]! << 8) | pred[i]!]--;
  }
  return table;
}

/** Bounding boxes of labels 1..numLabels: [y0, y1, x0, x1] per label (y1 = −1 when absent). */
export interface LabelBoxes {
  y0: Int32Array;
  y1: Int32Array;
  x0: Int32Array;
  x1: Int32Array;
}

export function labelBoxes(labels: Uint8Array, numLabels: number, width: number, height: number): LabelBoxes {
  const boxes: LabelBoxes = {
    y0: new Int32Array(numLabels + 1).fill(height),
    y1: new Int32Array(numLabels + 1).fill(-1),
    x0: new Int32Array(numLabels + 1).fill(width),
    x1: new Int32Array(numLabels + 1).fill(-1),
  };
  const visit = (i: number): void => {
    const k = labels[i]!;
    if (k === 0 || k > numLabels) return;
    const y = (i / width) | 0;
    const x = i - y * width;
    if (y < boxes.y0[k]!) boxes.y0[k] = y;
    if (y > boxes.y1[k]!) boxes.y1[k] = y;
    if (x < boxes.x0[k]!) boxes.x0[k] = x;
    if (x > boxes.x1[k]!) boxes.x1[k] = x;
  };
  const l32 = words(labels);
  let start = 0;
  if (l32 !== null) {
    for (let w = 0; w < l32.length; w++) {
      if (l32[w] === 0) continue;
      const i = w << 2;
      visit(i);
      visit(i + 1);
      visit(i + 2);
      visit(i + 3);
    }
    start = l32.length << 2;
  }
  for (let i = start; i < labels.length; i++) visit(i);
  return boxes;
}

/** Largest label, ignoring `ignore` (e.g. the void label); 0 for an all-background map. */
export function maxLabel(labels: Uint8Array, ignore = -1): number {
  let max = 0;
  const l32 = words(labels);
  let start = 0;
  if (l32 !== null) {
    for (let w = 0; w < l32.length; w++) {
      if (l32[w] === 0) continue;
      for (let i = w << 2, end = i + 4; i < end; i++) {
        const v = labels[i]!;
        if (v > max && v !== ignore) max = v;
      }
    }
    start = l32.length << 2;
  }
  for (let i = start; i < labels.length; i++) {
    const v = labels[i]!;
    if (v > max && v !== ignore) max = v;
  }
  return max;
}

/** 1 where labels == value, else 0. */
export function maskOfLabel(labels: Uint8Array, value: number): Uint8Array {
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) if (labels[i] === value) out[i] = 1;
  return out;
}
