/**
 * FEELVOS matching maps (Voigtlaender et al., CVPR 2019; facts in docs/rvos.md):
 * distances between the pixel embeddings of the current frame and those of a reference frame,
 * restricted per "label column" to the reference pixels carrying that label.
 *
 * - Distance d(p, q) = 1 − 2 / (1 + exp(‖e_p − e_q‖²)) ∈ [0, 1). Algebraically this is
 *   tanh(‖e_p − e_q‖² / 2), which never overflows, so it is computed that way.
 * - Global map, per label column k: for every current pixel, min over reference pixels q with
 *   label k of d(p, q); 1 where the label has no reference pixel. In training at most
 *   `maxReference` (FEELVOS: 1024) reference pixels per label are kept, drawn by a seeded Rng.
 * - Local map: the same minimum over q inside a (2k+1)x(2k+1) window around p (at the embedding's
 *   stride, 4 in FEELVOS); window positions with another label or outside the image count as 1.
 *
 * Both are written as 1 − max_q(allowed(p,q,k) · (1 − d(p,q))): an excluded position contributes
 * similarity 0, i.e. distance 1, exactly the FEELVOS rule. Work is done in chunks of query pixels
 * (bands of rows for the local map, whose reference pixels are the rows within ±k) so that the
 * [queries, references, labels] product stays under `chunkElements` values. Everything is made of
 * differentiable tfjs ops, so an embedding learns through whatever consumes the maps.
 *
 * Label masks are read as "pixel q has label k" where mask > 0.5. Shapes: embeddings [B, h, w, D],
 * masks [B, h, w, K], maps [B, h, w, K].
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../utils/rng.js';

/** FEELVOS training keeps at most this many reference pixels per object (embedding_utils.py). */
export const FEELVOS_MAX_REFERENCE = 1024;
/** FEELVOS local matching window radius in training, at stride 4 (31x31 window). */
export const FEELVOS_LOCAL_RADIUS = 15;
/**
 * Short side, in stride-4 pixels, of the maps FEELVOS's radius belongs to: DAVIS frames at 480p
 * (480 / 4 = 120), where its 15-pixel radius reaches 1/8 of the short side.
 */
export const FEELVOS_MAP_SHORT_SIDE = 120;

/**
 * The local window radius that is to an h x w map what FEELVOS's 15 is to its 120-pixel short
 * side: round(15 · min(h, w) / 120), at least 1. At 64x64 frames (16x16 maps) that is 2, where 15
 * would cover the whole map and make the local map a global one.
 */
export function scaledLocalRadius(h: number, w: number): number {
  return Math.max(1, Math.round((FEELVOS_LOCAL_RADIUS * Math.min(h, w)) / FEELVOS_MAP_SHORT_SIDE));
}
/** FEELVOS embedding dimension. */
export const FEELVOS_EMBEDDING_DIM = 100;
/** Default bound on the values of one chunk's [queries, references, labels] product (16 MB of float32). */
export const DEFAULT_CHUNK_ELEMENTS = 4 * 1024 * 1024;

export interface GlobalMatchingOptions {
  /** Keep at most this many reference pixels per label (training); omit to use all (inference). */
  maxReference?: number;
  /** Draws the kept reference pixels; required with maxReference. */
  rng?: Rng;
  chunkElements?: number;
}

export interface LocalMatchingOptions {
  /** Window radius k in embedding pixels. */
  radius: number;
  chunkElements?: number;
}

/** Pairwise FEELVOS distances: a [N, D], b [M, D] → [N, M]. */
export function feelvosDistance(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const aa = tf.sum(tf.square(a), 1, true);
    const bb = tf.reshape(tf.sum(tf.square(b), 1), [1, -1]);
    // |x|² + |y|² − 2x·y can go slightly negative in float32; a squared distance cannot.
    const sq = tf.relu(tf.sub(tf.add(aa, bb), tf.mul(2, tf.matMul(a, b, false, true))));
    return tf.tanh(tf.mul(sq, 0.5)) as tf.Tensor2D;
  });
}

/**
 * min over allowed references: distance [n, m]; labels [m·K] (0/1, row-major [m, K]); window
 * [n·m] (0/1) or null = every position → [n, K], 1 where nothing is allowed. Computed in plain
 * loops with a custom gradient that routes dy to the arg-min position only (what tf.min's gradient
 * does, without materialising an [n, m, K] tensor and its Equal-mask backward, which on wasm cost
 * seconds per training step).
 */
function maskedMinDistance(distance: tf.Tensor2D, labels: Float32Array, k: number, window: Float32Array | null): tf.Tensor2D {
  const [n, m] = distance.shape;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const dv = (args[0] as tf.Tensor).dataSync();
    const best = new Float32Array(n * k).fill(1);
    const arg = new Int32Array(n * k).fill(-1);
    for (let i = 0; i < n; i++) {
      for (let q = 0; q < m; q++) {
        if (window !== null && window[i * m + q] === 0) continue;
        const dist = dv[i * m + q]!;
        for (let c = 0; c < k; c++) {
          if (labels[q * k + c]! > 0.5 && dist < best[i * k + c]!) {
            best[i * k + c] = dist;
            arg[i * k + c] = q;
          }
        }
      }
    }
    const gradFunc = (dy: tf.Tensor2D): tf.Tensor => {
      const dyv = dy.dataSync();
      const g = new Float32Array(n * m);
      for (let i = 0; i < n * k; i++) if (arg[i]! >= 0) g[Math.floor(i / k) * m + arg[i]!] += dyv[i]!;
      return tf.tensor2d(g, [n, m]);
    };
    return { value: tf.tensor2d(best, [n, k]), gradFunc };
  });
  return op(distance) as tf.Tensor2D;
}

/**
 * Per label column, keeps at most `max` of the positions with label (value > 0.5), chosen
 * uniformly by `rng` (a partial Fisher–Yates draw). mask is [M, K] row-major; returns a 0/1 copy.
 */
export function sampleReferenceMask(mask: Float32Array | Uint8Array, m: number, k: number, max: number, rng: Rng): Float32Array {
  const out = new Float32Array(m * k);
  for (let c = 0; c < k; c++) {
    const positions: number[] = [];
    for (let q = 0; q < m; q++) if (mask[q * k + c]! > 0.5) positions.push(q);
    const keep = Math.min(max, positions.length);
    for (let i = 0; i < keep; i++) {
      const j = i + Math.floor(rng.next() * (positions.length - i));
      [positions[i], positions[j]] = [positions[j]!, positions[i]!];
      out[positions[i]! * k + c] = 1;
    }
  }
  return out;
}

function checkShapes(name: string, current: tf.Tensor4D, reference: tf.Tensor4D, masks: tf.Tensor4D): void {
  const [b, h, w, d] = current.shape;
  if (!tf.util.arraysEqual(reference.shape, [b, h, w, d]))
    throw new Error(`${name}: reference embedding must be [${[b, h, w, d]}] like the current one, got [${reference.shape}]`);
  if (masks.shape[0] !== b || masks.shape[1] !== h || masks.shape[2] !== w) throw new Error(`${name}: masks must be [${[b, h, w]}, K], got [${masks.shape}]`);
}

/**
 * Global matching map: current, reference [B, h, w, D]; masks [B, h, w, K] labels of the
 * reference pixels → [B, h, w, K] minimum distances (1 where a label has no reference pixel).
 */
export function globalMatchingMap(current: tf.Tensor4D, reference: tf.Tensor4D, masks: tf.Tensor4D, opts: GlobalMatchingOptions = {}): tf.Tensor4D {
  checkShapes('globalMatchingMap', current, reference, masks);
  const [batch, h, w, d] = current.shape;
  const k = masks.shape[3];
  const n = h * w;
  const budget = opts.chunkElements ?? DEFAULT_CHUNK_ELEMENTS;
  if (opts.maxReference !== undefined && opts.rng === undefined) throw new Error('globalMatchingMap: maxReference needs an rng (seeded sampling)');
  const binary = tf.tidy(() => tf.cast(tf.greater(masks, 0.5), 'float32'));
  const maskValues = binary.dataSync() as Float32Array;
  binary.dispose();
  return tf.tidy(() => {
    const items: tf.Tensor2D[] = [];
    for (let b = 0; b < batch; b++) {
      let mask: Float32Array = maskValues.subarray(b * n * k, (b + 1) * n * k);
      if (opts.maxReference !== undefined) mask = sampleReferenceMask(mask, n, k, opts.maxReference, opts.rng!);
      // Only reference pixels that carry some kept label matter; gather them once.
      const used: number[] = [];
      for (let q = 0; q < n; q++) {
        for (let c = 0; c < k; c++) {
          if (mask[q * k + c]! > 0.5) {
            used.push(q);
            break;
          }
        }
      }
      if (used.length === 0) {
        items.push(tf.ones([n, k]));
        continue;
      }
      const cur = tf.reshape(tf.slice(current, [b, 0, 0, 0], [1, h, w, d]), [n, d]) as tf.Tensor2D;
      const refAll = tf.reshape(tf.slice(reference, [b, 0, 0, 0], [1, h, w, d]), [n, d]) as tf.Tensor2D;
      // Selecting rows only pays off when it drops many (it costs a matMul of its own).
      const select = used.length <= n / 2;
      const ref = select ? selectRows(refAll, used, n) : refAll;
      let labels = mask;
      if (select) {
        labels = new Float32Array(used.length * k);
        used.forEach((q, i) => labels.set(mask.subarray(q * k, (q + 1) * k), i * k));
      }
      const rows = Math.max(1, Math.floor(budget / (ref.shape[0] * k)));
      const parts: tf.Tensor2D[] = [];
      for (let start = 0; start < n; start += rows) {
        const size = Math.min(rows, n - start);
        const query = size === n ? cur : tf.slice(cur, [start, 0], [size, d]);
        parts.push(maskedMinDistance(feelvosDistance(query, ref), labels, k, null));
      }
      items.push(parts.length === 1 ? parts[0]! : tf.concat(parts, 0));
    }
    return tf.reshape(tf.stack(items), [batch, h, w, k]) as tf.Tensor4D;
  });
}

/**
 * Rows `indices` of x [n, D] as a one-hot matMul rather than tf.gather: the same values, and its
 * gradient needs only matMul (gather's needs UnsortedSegmentSum, which the wasm backend lacks).
 */
function selectRows(x: tf.Tensor2D, indices: number[], n: number): tf.Tensor2D {
  const onehot = new Float32Array(indices.length * n);
  indices.forEach((q, i) => (onehot[i * n + q] = 1));
  return tf.matMul(tf.tensor2d(onehot, [indices.length, n]), x);
}

/** [rows·w, bandRows·w] 0/1: reference (y', x') is inside the window of query (y, x). */
function windowMask(y0: number, rows: number, b0: number, bandRows: number, w: number, radius: number): Float32Array {
  const out = new Float32Array(rows * w * bandRows * w);
  const m = bandRows * w;
  for (let i = 0; i < rows; i++) {
    for (let x = 0; x < w; x++) {
      const p = (i * w + x) * m;
      for (let j = 0; j < bandRows; j++) {
        if (Math.abs(b0 + j - (y0 + i)) > radius) continue;
        const lo = Math.max(0, x - radius);
        const hi = Math.min(w - 1, x + radius);
        out.fill(1, p + j * w + lo, p + j * w + hi + 1);
      }
    }
  }
  return out;
}

/**
 * Local matching map: current, previous [B, h, w, D]; masks [B, h, w, K] labels of the previous
 * frame's pixels → [B, h, w, K] minimum distances inside the (2·radius+1)² window.
 */
export function localMatchingMap(current: tf.Tensor4D, previous: tf.Tensor4D, masks: tf.Tensor4D, opts: LocalMatchingOptions): tf.Tensor4D {
  checkShapes('localMatchingMap', current, previous, masks);
  if (!Number.isInteger(opts.radius) || opts.radius < 0) throw new Error(`localMatchingMap: radius must be a non-negative integer, got ${opts.radius}`);
  const [batch, h, w, d] = current.shape;
  const k = masks.shape[3];
  const radius = Math.min(opts.radius, Math.max(h, w));
  const budget = opts.chunkElements ?? DEFAULT_CHUNK_ELEMENTS;
  // Rows of queries per band such that rows·w × (rows + 2r)·w × K stays within the budget.
  let rows = h;
  while (rows > 1 && rows * w * Math.min(h, rows + 2 * radius) * w * k > budget) rows = Math.ceil(rows / 2);
  const binary = tf.tidy(() => tf.cast(tf.greater(masks, 0.5), 'float32'));
  const labelValues = binary.dataSync() as Float32Array;
  binary.dispose();
  return tf.tidy(() => {
    const items: tf.Tensor2D[] = [];
    for (let b = 0; b < batch; b++) {
      const parts: tf.Tensor2D[] = [];
      for (let y0 = 0; y0 < h; y0 += rows) {
        const r = Math.min(rows, h - y0);
        const b0 = Math.max(0, y0 - radius);
        const b1 = Math.min(h, y0 + r + radius);
        const query = tf.reshape(tf.slice(current, [b, y0, 0, 0], [1, r, w, d]), [r * w, d]) as tf.Tensor2D;
        const ref = tf.reshape(tf.slice(previous, [b, b0, 0, 0], [1, b1 - b0, w, d]), [(b1 - b0) * w, d]) as tf.Tensor2D;
        const labels = labelValues.subarray((b * h + b0) * w * k, (b * h + b1) * w * k);
        parts.push(maskedMinDistance(feelvosDistance(query, ref), labels, k, windowMask(y0, r, b0, b1 - b0, w, radius)));
      }
      items.push(parts.length === 1 ? parts[0]! : tf.concat(parts, 0));
    }
    return tf.reshape(tf.stack(items), [batch, h, w, k]) as tf.Tensor4D;
  });
}
