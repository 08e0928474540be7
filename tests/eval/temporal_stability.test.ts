import { describe, expect, it } from 'vitest';
import { longestContour, resampleContour, temporalStability, temporalStabilityPair } from '../../src/eval/temporal_stability.js';
import { Rng } from '../../src/utils/rng.js';

const W = 64,
  H = 48;
function disc(cy: number, cx: number, r: number, ry = r): Uint8Array {
  const m = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (((y - cy) / ry) ** 2 + ((x - cx) / r) ** 2 <= 1) m[y * W + x] = 1;
  return m;
}

describe('temporal stability T', () => {
  it('traces the outer contour of a block clockwise and keeps the longest component', () => {
    const m = new Uint8Array(W * H);
    for (let y = 2; y <= 4; y++) for (let x = 3; x <= 5; x++) m[y * W + x] = 1;
    m[40 * W + 40] = 1; // a 1-pixel component: shorter contour
    expect(longestContour(m, W, H)).toEqual([
      [2, 3],
      [2, 4],
      [2, 5],
      [3, 5],
      [4, 5],
      [4, 4],
      [4, 3],
      [3, 3],
    ]);
    expect(longestContour(new Uint8Array(W * H), W, H)).toEqual([]);
  });

  it('resamples so that consecutive points are at most 3 px apart', () => {
    const contour = resampleContour(longestContour(disc(24, 32, 15), W, H));
    expect(contour.length).toBeGreaterThan(20);
    for (let i = 1; i < contour.length; i++) {
      expect(Math.hypot(contour[i]![0] - contour[i - 1]![0], contour[i]![1] - contour[i - 1]![1])).toBeLessThanOrEqual(3);
    }
  });

  it('is 0 for identical and translated masks, positive for a shape change, NaN with an empty mask', () => {
    const a = disc(24, 30, 12, 9);
    expect(temporalStabilityPair(a, a, W, H)).toBe(0);
    expect(temporalStabilityPair(a, disc(26, 34, 12, 9), W, H)).toBe(0);
    const changed = temporalStabilityPair(a, disc(24, 30, 9, 13), W, H);
    expect(changed).toBeGreaterThan(0);
    expect(temporalStabilityPair(a, new Uint8Array(W * H), W, H)).toBeNaN();
  });

  it('ranks a jittery sequence as less stable than a smoothly moving one', () => {
    const rng = new Rng(4);
    const smooth = Array.from({ length: 5 }, (_, t) => disc(24, 20 + 2 * t, 10, 8));
    const jittery = smooth.map((m) => m.map((v, i) => (rng.next() < 0.05 && i % W > 5 ? 1 - v : v)));
    const s = temporalStability(smooth, W, H),
      j = temporalStability(jittery, W, H);
    expect(s.perPair).toHaveLength(4);
    expect(s.mean).toBe(0);
    expect(j.mean).toBeGreaterThan(s.mean);
  });
});
