/**
 * The input gradient of a strided convolution, split by stride phase (no zero-dilated dy).
 *
 * Along one axis, forward y[o] = Σ_k x[o·s + k − p]·W[k], so dx[i] = Σ dy[o]·W[k] over
 * o·s + k − p = i. Writing i = q·s + r (phase r < s), the contributing taps are
 * k = r + p − s·(o − q): for each phase a fixed subset of taps, and dx_r[q] is a stride-1
 * correlation of dy (offsets o − q) with that sub-filter. All phases share one window of dy
 * offsets [lo, lo + L), so ONE stride-1 convolution whose output channels hold every phase
 * (filter [Lh, Lw, cout, phases·cin], zeros where a phase has no tap) computes all of dx at 1/s²
 * of its positions; an interleave puts the phases in place. At stride 2 with a 3x3 kernel that is
 * 16 taps per 2x2 block of dx instead of the 36 a zero-dilated dy costs. At stride 1 it is the
 * usual flipped, channel-swapped filter.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { axisWindow, type AxisWindow } from './conv_geometry.js';

export interface AxisPhases {
  stride: number;
  /** First dy offset of the shared window (relative to the phase index q). */
  lo: number;
  /** Window length L. */
  length: number;
  /** Phase outputs per axis: ceil(in / stride) (the last may overhang the input; it is cropped). */
  count: number;
  /** Per phase r: whether any tap reaches it (a 1x1 stride-2 kernel reaches only phase 0). */
  active: boolean[];
  /** Tap of phase r at window position t, or −1. */
  tap(r: number, t: number): number;
  /** The dy window the convolution reads, as crop + zero padding. */
  window: AxisWindow;
}

export function axisPhases(inSize: number, outSize: number, kernel: number, stride: number, padBefore: number): AxisPhases {
  const tapOf = (r: number, offset: number): number => {
    const k = r + padBefore - stride * offset;
    return k >= 0 && k < kernel ? k : -1;
  };
  let lo = Infinity;
  let hi = -Infinity;
  const active: boolean[] = [];
  for (let r = 0; r < stride; r++) {
    // Taps k ≡ r + p (mod s); the largest offset belongs to the smallest tap.
    const k0 = (((r + padBefore) % stride) + stride) % stride;
    active.push(k0 < kernel);
    if (k0 >= kernel) continue;
    const kLast = k0 + stride * Math.floor((kernel - 1 - k0) / stride);
    hi = Math.max(hi, (r + padBefore - k0) / stride);
    lo = Math.min(lo, (r + padBefore - kLast) / stride);
  }
  const length = hi - lo + 1;
  const count = Math.ceil(inSize / stride);
  return {
    stride,
    lo,
    length,
    count,
    active,
    tap: (r, t) => tapOf(r, lo + t),
    window: axisWindow(outSize, lo, count + length - 1),
  };
}

/** Active (row phase, column phase) pairs, in output-channel group order. */
export function activeGroups(rows: AxisPhases, cols: AxisPhases): [number, number][] {
  const groups: [number, number][] = [];
  for (let ry = 0; ry < rows.stride; ry++) {
    for (let rx = 0; rx < cols.stride; rx++) if (rows.active[ry] && cols.active[rx]) groups.push([ry, rx]);
  }
  return groups;
}

/**
 * Fills the phase filter [Lh, Lw, cout, groups·cin] from W [kh, kw, cin, cout] (zeros where a
 * phase has no tap).
 */
export function fillPhaseFilter(
  w: Float32Array,
  filterShape: readonly [number, number, number, number],
  rows: AxisPhases,
  cols: AxisPhases,
  groups: readonly [number, number][],
  out: Float32Array,
): void {
  const [, kw, cin, cout] = filterShape;
  const width = groups.length * cin;
  out.fill(0);
  for (let th = 0; th < rows.length; th++) {
    for (let tw = 0; tw < cols.length; tw++) {
      const base = (th * cols.length + tw) * cout * width;
      groups.forEach(([ry, rx], g) => {
        const ky = rows.tap(ry, th);
        const kx = cols.tap(rx, tw);
        if (ky < 0 || kx < 0) return;
        // out[th, tw, o, g·cin + c] = W[ky, kx, c, o]: a cin x cout transpose per tap.
        transposeBlock(w, (ky * kw + kx) * cin * cout, cin, cout, out, base + g * cin, width);
      });
    }
  }
}

const TILE = 32;

/** dst[o·dstStride + c] = src[srcStart + c·cols + o] for c < rows, o < cols, in cache-sized tiles. */
function transposeBlock(src: Float32Array, srcStart: number, rows: number, cols: number, dst: Float32Array, dstStart: number, dstStride: number): void {
  for (let c0 = 0; c0 < rows; c0 += TILE) {
    const c1 = Math.min(rows, c0 + TILE);
    for (let o0 = 0; o0 < cols; o0 += TILE) {
      const o1 = Math.min(cols, o0 + TILE);
      for (let o = o0; o < o1; o++) {
        const to = dstStart + o * dstStride;
        let from = srcStart + c0 * cols + o;
        for (let c = c0; c < c1; c++, from += cols) dst[to + c] = src[from]!;
      }
    }
  }
}

/**
 * dx [B, inH, inW, cin] from the phase convolution's output y [B, Qh, Qw, groups·cin]:
 * dx[b, q·sh + ry, p·sw + rx, c] = y[b, q, p, g·cin + c] for active group g = (ry, rx), zero for
 * inactive phases; rows/cols past the input are dropped.
 */
export function interleavePhases(
  y: Float32Array,
  dx: Float32Array,
  info: Pick<tf.backend_util.Conv2DInfo, 'batchSize' | 'inHeight' | 'inWidth' | 'inChannels'>,
  rows: AxisPhases,
  cols: AxisPhases,
  groups: readonly [number, number][],
): void {
  const { batchSize, inHeight, inWidth, inChannels: cin } = info;
  const width = groups.length * cin;
  if (groups.length < rows.stride * cols.stride) dx.fill(0);
  for (let b = 0; b < batchSize; b++) {
    for (let q = 0; q < rows.count; q++) {
      for (let p = 0; p < cols.count; p++) {
        const from = ((b * rows.count + q) * cols.count + p) * width;
        groups.forEach(([ry, rx], g) => {
          const i = q * rows.stride + ry;
          const j = p * cols.stride + rx;
          if (i >= inHeight || j >= inWidth) return;
          const to = ((b * inHeight + i) * inWidth + j) * cin;
          const start = from + g * cin;
          dx.set(y.subarray(start, start + cin), to);
        });
      }
    }
  }
}
