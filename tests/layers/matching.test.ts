import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { feelvosDistance, globalMatchingMap, localMatchingMap, sampleReferenceMask, scaledLocalRadius } from '../../src/layers/matching.js';
import { Rng } from '../../src/utils/rng.js';

/** The FEELVOS formula as written in the paper, in plain numbers. */
function distance(a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number, d: number): number {
  let sq = 0;
  for (let c = 0; c < d; c++) sq += (a[ai * d + c]! - b[bi * d + c]!) ** 2;
  return 1 - 2 / (1 + Math.exp(sq));
}

/** Plain loops: min over reference pixels with the label (and inside the window when radius is given); 1 when none. */
function bruteForce(cur: Float32Array, ref: Float32Array, mask: Float32Array, [batch, h, w, d]: number[], k: number, radius?: number): Float32Array {
  const out = new Float32Array(batch * h * w * k);
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let c = 0; c < k; c++) {
          let best = 1;
          for (let yy = 0; yy < h; yy++) {
            for (let xx = 0; xx < w; xx++) {
              if (radius !== undefined && (Math.abs(yy - y) > radius || Math.abs(xx - x) > radius)) continue;
              const q = (b * h + yy) * w + xx;
              if (mask[q * k + c]! <= 0.5) continue;
              best = Math.min(best, distance(cur, (b * h + y) * w + x, ref, q, d));
            }
          }
          out[((b * h + y) * w + x) * k + c] = best;
        }
      }
    }
  }
  return out;
}

function randomInputs(seed: number, shape: [number, number, number, number], k: number, density = 0.3) {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  // Scale 0.4 keeps squared distances around 1, where the distance is far from saturated.
  const cur = Float32Array.from({ length: n }, () => rng.normal() * 0.4);
  const ref = Float32Array.from({ length: n }, () => rng.normal() * 0.4);
  const mask = Float32Array.from({ length: (n / shape[3]) * k }, () => (rng.next() < density ? 1 : 0));
  return { cur, ref, mask };
}

function expectClose(actual: Float32Array, expected: Float32Array, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  expect(worst).toBeLessThan(tol);
}

describe('feelvosDistance', () => {
  it('equals 1 − 2/(1+exp(‖a−b‖²)), is 0 for equal vectors and stays below 1 for far ones', () => {
    const a = tf.tensor2d([
      [0, 0],
      [1, 2],
      [30, 0],
    ]);
    const b = tf.tensor2d([
      [0, 0],
      [0.5, 1],
    ]);
    const got = feelvosDistance(a, b).arraySync();
    const av = a.dataSync();
    const bv = b.dataSync();
    for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) expect(got[i]![j]!).toBeCloseTo(distance(av, i, bv, j, 2), 6);
    expect(got[0]![0]).toBe(0);
    expect(got[2]![0]).toBeLessThanOrEqual(1);
    expect(Number.isFinite(got[2]![0]!)).toBe(true);
    tf.dispose([a, b]);
  });
});

describe('globalMatchingMap', () => {
  const shape: [number, number, number, number] = [2, 5, 6, 4];
  for (const chunk of [undefined, 37]) {
    it(`equals the brute-force minimum over labelled reference pixels (chunk ${chunk ?? 'default'})`, () => {
      const k = 3;
      const { cur, ref, mask } = randomInputs(1, shape, k);
      // One label with no reference pixel at all: its map is 1 everywhere.
      for (let q = 0; q < shape[0] * shape[1] * shape[2]; q++) mask[q * k + 2] = 0;
      const [c, r, m] = [tf.tensor4d(cur, shape), tf.tensor4d(ref, shape), tf.tensor4d(mask, [...shape.slice(0, 3), k] as [number, number, number, number])];
      const before = tf.memory().numTensors;
      const map = globalMatchingMap(c, r, m, { chunkElements: chunk });
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(map.shape).toEqual([...shape.slice(0, 3), k]);
      const expected = bruteForce(cur, ref, mask, shape, k);
      expectClose(map.dataSync() as Float32Array, expected);
      expect(expected.some((v, i) => i % k === 2 && v !== 1)).toBe(false);
      expect(expected.some((v, i) => i % k === 0 && v < 0.9)).toBe(true);
      tf.dispose([c, r, m, map]);
    });
  }

  it('with maxReference keeps at most that many pixels per label, deterministically, and equals matching against the sampled mask', () => {
    const k = 2;
    const { cur, ref, mask } = randomInputs(2, shape, k, 0.6);
    const n = shape[1] * shape[2];
    const [c, r, m] = [tf.tensor4d(cur, shape), tf.tensor4d(ref, shape), tf.tensor4d(mask, [...shape.slice(0, 3), k] as [number, number, number, number])];
    const a = globalMatchingMap(c, r, m, { maxReference: 4, rng: new Rng(9) });
    const b = globalMatchingMap(c, r, m, { maxReference: 4, rng: new Rng(9) });
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    // The same draws, made explicitly, per batch item in order.
    const rng = new Rng(9);
    const sampled = new Float32Array(mask.length);
    for (let bi = 0; bi < shape[0]; bi++) {
      const s = sampleReferenceMask(mask.subarray(bi * n * k, (bi + 1) * n * k), n, k, 4, rng);
      for (let c2 = 0; c2 < k; c2++) {
        let count = 0;
        for (let q = 0; q < n; q++) count += s[q * k + c2]!;
        expect(count).toBe(4);
      }
      sampled.set(s, bi * n * k);
    }
    expectClose(a.dataSync() as Float32Array, bruteForce(cur, ref, sampled, shape, k));
    // Fewer references can only make the minimum larger.
    const full = globalMatchingMap(c, r, m);
    const fv = full.dataSync();
    expect(Array.from(a.dataSync()).every((v, i) => v >= fv[i]! - 1e-6)).toBe(true);
    expect(Array.from(a.dataSync()).some((v, i) => v > fv[i]! + 1e-4)).toBe(true);
    tf.dispose([c, r, m, a, b, full]);
  });
});

describe('localMatchingMap', () => {
  const shape: [number, number, number, number] = [2, 7, 6, 3];
  for (const [radius, chunk] of [
    [1, undefined],
    [2, 100],
    [0, undefined],
    [20, undefined],
  ] as const) {
    it(`equals the brute-force windowed minimum (radius ${radius}, chunk ${chunk ?? 'default'})`, () => {
      const k = 2;
      const { cur, ref, mask } = randomInputs(3 + radius, shape, k, 0.5);
      const [c, r, m] = [tf.tensor4d(cur, shape), tf.tensor4d(ref, shape), tf.tensor4d(mask, [...shape.slice(0, 3), k] as [number, number, number, number])];
      const before = tf.memory().numTensors;
      const map = localMatchingMap(c, r, m, { radius, chunkElements: chunk });
      expect(tf.memory().numTensors).toBe(before + 1);
      expectClose(map.dataSync() as Float32Array, bruteForce(cur, ref, mask, shape, k, radius));
      tf.dispose([c, r, m, map]);
    });
  }

  it('a radius covering the image equals the global map', () => {
    const k = 2;
    const { cur, ref, mask } = randomInputs(11, shape, k);
    const [c, r, m] = [tf.tensor4d(cur, shape), tf.tensor4d(ref, shape), tf.tensor4d(mask, [...shape.slice(0, 3), k] as [number, number, number, number])];
    const local = localMatchingMap(c, r, m, { radius: 7 });
    const global = globalMatchingMap(c, r, m);
    expectClose(local.dataSync() as Float32Array, global.dataSync() as Float32Array);
    tf.dispose([c, r, m, local, global]);
  });
});

describe('matching gradients', () => {
  it('reach both embeddings, finite and non-zero', () => {
    const shape: [number, number, number, number] = [1, 4, 5, 3];
    const k = 2;
    const { cur, ref, mask } = randomInputs(5, shape, k, 0.5);
    const m = tf.tensor4d(mask, [1, 4, 5, k]);
    const c = tf.tensor4d(cur, shape);
    const r = tf.tensor4d(ref, shape);
    const weights = tf.tensor4d(
      Float32Array.from({ length: 20 * k }, (_, i) => Math.sin(i) + 1.5),
      [1, 4, 5, k],
    );
    for (const fn of [
      (a: tf.Tensor4D, b: tf.Tensor4D) => globalMatchingMap(a, b, m),
      (a: tf.Tensor4D, b: tf.Tensor4D) => localMatchingMap(a, b, m, { radius: 1 }),
    ]) {
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(fn(a as tf.Tensor4D, b as tf.Tensor4D), weights)))([c, r]);
      for (const g of grads) {
        const v = g.dataSync();
        expect(Array.from(v).every(Number.isFinite)).toBe(true);
        expect(Array.from(v).some((x) => Math.abs(x) > 1e-6)).toBe(true);
      }
      tf.dispose(grads);
    }
    tf.dispose([m, c, r, weights]);
  });
});

describe('scaledLocalRadius', () => {
  it("is to a map's short side what FEELVOS's 15 is to 480p DAVIS maps (120 px): 1/8, at least 1", () => {
    expect(scaledLocalRadius(120, 214)).toBe(15); // DAVIS 480p at stride 4
    expect(scaledLocalRadius(60, 107)).toBe(8); // RVOS's 240x427 DAVIS frames
    expect(scaledLocalRadius(16, 16)).toBe(2); // 64x64 frames
    expect(scaledLocalRadius(24, 40)).toBe(3);
    expect(scaledLocalRadius(4, 4)).toBe(1);
  });

  it('at 64x64 frames the local map is local: a match 8 map pixels away counts with radius 15, not with the scaled radius', () => {
    // Equal embeddings everywhere (distance 0); the only labelled reference pixel is (0, 0).
    const e = tf.zeros([1, 16, 16, 4]) as tf.Tensor4D;
    const mask = tf.tidy(() =>
      tf.pad(tf.ones([1, 1, 1, 1]), [
        [0, 0],
        [0, 15],
        [0, 15],
        [0, 0],
      ]),
    ) as tf.Tensor4D;
    const at = (map: tf.Tensor4D, y: number, x: number) => map.arraySync()[0]![y]![x]![0]!;
    const wide = localMatchingMap(e, e, mask, { radius: 15 });
    const scaled = localMatchingMap(e, e, mask, { radius: scaledLocalRadius(16, 16) });
    expect(at(wide, 8, 8)).toBe(0); // the whole 16x16 map is inside a radius-15 window
    expect(at(scaled, 8, 8)).toBe(1);
    expect(at(scaled, 2, 2)).toBe(0);
    tf.dispose([e, mask, wide, scaled]);
  });
});
