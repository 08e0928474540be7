// The report's statistics on hand-computed values: Holm, percentiles, the two-level bootstrap, the
// bootstrap p-value and d_z.
import { describe, expect, it } from 'vitest';
import {
  bootstrapMean,
  bootstrapPValue,
  hierarchicalBootstrap,
  holm,
  meanOfMeans,
  pairedTest,
  percentileInterval,
  seedTTestP,
  standardizedDifference,
  studentTwoSidedP,
} from '../../src/eval/bootstrap.js';
import { Rng } from '../../src/utils/rng.js';

describe('holm', () => {
  it('adjusts known p-values: sorted 0.005, 0.01, 0.03, 0.04 × 4, 3, 2, 1 with the running maximum', () => {
    // 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → max so far 0.06.
    const adjusted = holm([0.01, 0.04, 0.03, 0.005]);
    [0.03, 0.06, 0.06, 0.02].forEach((v, i) => expect(adjusted[i]).toBeCloseTo(v, 12));
  });

  it('caps at 1, leaves NaN out of m, and a single test is unchanged', () => {
    const adjusted = holm([0.6, NaN, 0.2]);
    expect(adjusted[0]).toBeCloseTo(0.6, 12); // 0.2·2 = 0.4, then max(0.4, 0.6·1)
    expect(adjusted[1]).toBeNaN();
    expect(adjusted[2]).toBeCloseTo(0.4, 12);
    expect(holm([0.9, 0.8])).toEqual([1, 1]); // 0.8·2 = 1.6 caps at 1, and the running maximum keeps 1
    expect(holm([0.03])).toEqual([0.03]);
  });
});

describe('percentiles, means and effect sizes', () => {
  it('percentileInterval interpolates between order statistics', () => {
    expect(percentileInterval([5, 1, 4, 2, 3], 0.5)).toEqual([2, 4]);
    const [lo, hi] = percentileInterval([0, 10], 0.9);
    expect(lo).toBeCloseTo(0.5, 12);
    expect(hi).toBeCloseTo(9.5, 12);
  });

  it('meanOfMeans weighs every seed the same', () => {
    expect(meanOfMeans([[1, 2, 3], [5]])).toBe(3.5);
    expect(meanOfMeans([])).toBeNaN();
  });

  it('d_z = mean / sample sd of the differences', () => {
    expect(standardizedDifference([0.1, 0.2, 0.3])).toBeCloseTo(2, 12);
    expect(standardizedDifference([-0.1, -0.2, -0.3])).toBeCloseTo(-2, 12);
    expect(standardizedDifference([0.1, 0.1])).toBe(Infinity);
    expect(standardizedDifference([0, 0])).toBe(0);
    expect(standardizedDifference([0.1])).toBeNaN();
  });
});

describe('the two-level bootstrap', () => {
  it('a constant has an interval of zero width', () => {
    const e = bootstrapMean([
      [0.7, 0.7, 0.7],
      [0.7, 0.7],
    ]);
    expect(e.mean).toBeCloseTo(0.7, 12);
    expect(e.lo).toBeCloseTo(0.7, 12);
    expect(e.hi).toBeCloseTo(0.7, 12);
    expect(e.seeds).toBe(2);
    expect(e.videos).toBe(true);
  });

  it('resamples videos within a seed: one seed with videos 0 and 1 gives 0, ½, 1 with chances ¼, ½, ¼', () => {
    const s = hierarchicalBootstrap([[0, 1]], { resamples: 20_000, seed: 3 });
    const share = (v: number) => s.filter((x) => x === v).length / s.length;
    expect(share(0)).toBeCloseTo(0.25, 1);
    expect(share(0.5)).toBeCloseTo(0.5, 1);
    expect(share(1)).toBeCloseTo(0.25, 1);
  });

  it('resamples seeds: seeds of one value each vary only by which seeds are drawn', () => {
    const s = hierarchicalBootstrap([[0], [1]], { resamples: 4000, seed: 5 });
    expect(new Set(s)).toEqual(new Set([0, 0.5, 1]));
    expect(bootstrapMean([[0], [1]]).videos).toBe(false);
  });

  it('is reproducible: the same seed gives the same draws, another seed other draws', () => {
    const groups = [
      [0.1, 0.5, 0.9],
      [0.3, 0.4],
    ];
    expect(hierarchicalBootstrap(groups, { seed: 9, resamples: 50 })).toEqual(hierarchicalBootstrap(groups, { seed: 9, resamples: 50 }));
    expect(hierarchicalBootstrap(groups, { seed: 9, resamples: 50 })).not.toEqual(hierarchicalBootstrap(groups, { seed: 10, resamples: 50 }));
  });

  it('the p-value: all resamples above 0 → 2/(B+1); all at 0 → 1', () => {
    expect(bootstrapPValue([1, 2, 3])).toBeCloseTo(0.5, 12);
    expect(bootstrapPValue(new Float64Array(999).fill(0.2))).toBeCloseTo(2 / 1000, 12);
    expect(bootstrapPValue([0, 0, 0])).toBe(1);
  });

  it('detects a clear difference and not a null one (5 seeds × 30 videos of noise)', () => {
    const rng = new Rng(11);
    const noisy = (shift: number) => Array.from({ length: 5 }, () => Array.from({ length: 30 }, () => shift + 0.1 * rng.normal()));
    const clear = pairedTest(noisy(0.08));
    expect(clear.p).toBeLessThan(0.01);
    expect(clear.lo).toBeGreaterThan(0);
    expect(clear.effect).toBeGreaterThan(0.5);
    expect(clear.pairs).toBe(150);
    const none = pairedTest(noisy(0));
    expect(none.p).toBeGreaterThan(0.05);
    expect(none.lo).toBeLessThan(0);
    expect(none.hi).toBeGreaterThan(0);
    expect(Math.abs(none.effect)).toBeLessThan(0.3);
  });
});

describe("Student's t", () => {
  it("two-sided p at the tables' 5% critical values, and the closed forms of 1 and 2 degrees of freedom", () => {
    expect(studentTwoSidedP(12.7062, 1)).toBeCloseTo(0.05, 4);
    expect(studentTwoSidedP(4.302653, 2)).toBeCloseTo(0.05, 5);
    expect(studentTwoSidedP(2.776445, 4)).toBeCloseTo(0.05, 5);
    expect(studentTwoSidedP(2.570582, 5)).toBeCloseTo(0.05, 5);
    expect(studentTwoSidedP(-2.570582, 5)).toBeCloseTo(0.05, 5);
    expect(studentTwoSidedP(0, 7)).toBeCloseTo(1, 12);
    // df = 1: 1 − (2/π) atan|t|; df = 2: 1 − |t| / √(2 + t²).
    expect(studentTwoSidedP(3, 1)).toBeCloseTo(1 - (2 / Math.PI) * Math.atan(3), 10);
    expect(studentTwoSidedP(0.7, 2)).toBeCloseTo(1 - 0.7 / Math.sqrt(2.49), 10);
  });

  it('the per-seed t-test: seed means 0.10, 0.11, 0.09 → t = 0.1 / (0.01/√3), df 2', () => {
    const t = 0.1 / (0.01 / Math.sqrt(3));
    expect(seedTTestP([[0.1], [0.11], [0.09]])).toBeCloseTo(1 - t / Math.sqrt(2 + t * t), 10);
    // Videos are averaged within a seed first: these are the same seed means.
    expect(seedTTestP([[0.05, 0.15], [0.11], [0.09, 0.09, 0.09]])).toBeCloseTo(1 - t / Math.sqrt(2 + t * t), 10);
    expect(seedTTestP([[0.1]])).toBeNaN();
  });

  it("three same-sign seeds: the bootstrap alone says p ≈ 0, the paired test's p is the t-test's", () => {
    const c = pairedTest([[0.1], [0.11], [0.09]]);
    expect(c.pBootstrap).toBeLessThan(0.001);
    expect(c.pSeeds).toBeCloseTo(seedTTestP([[0.1], [0.11], [0.09]]), 12);
    expect(c.p).toBe(Math.max(c.pBootstrap, c.pSeeds));
  });
});
