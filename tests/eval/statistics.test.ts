import { describe, expect, it } from 'vitest';
import { decayBinIds, statistics } from '../../src/eval/statistics.js';

const ramp = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('statistics', () => {
  it('reproduces the official decay bin ids (1e-10 rounds halves up, uint8 wraps)', () => {
    expect(decayBinIds(1)).toEqual([0, 0, 0, 0, 0]);
    expect(decayBinIds(2)).toEqual([0, 0, 1, 1, 1]);
    expect(decayBinIds(3)).toEqual([0, 1, 1, 2, 2]);
    expect(decayBinIds(8)).toEqual([0, 2, 4, 5, 7]); // 4.5 → 5, not numpy's half-even 4
    expect(decayBinIds(10)).toEqual([0, 2, 5, 7, 9]);
    expect(decayBinIds(12)).toEqual([0, 3, 6, 8, 11]);
    expect(decayBinIds(256)).toEqual([0, 64, 128, 191, 255]);
    expect(decayBinIds(257)).toEqual([0, 64, 128, 192, 0]); // 256 wraps to 0
    expect(decayBinIds(300)).toEqual([0, 75, 150, 224, 43]); // 299 wraps to 43
  });

  it('computes the decay from overlapping first and last bins (v_i = i)', () => {
    expect(statistics(ramp(1)).decay).toBe(0);
    expect(statistics(ramp(2)).decay).toBe(0 - 1);
    expect(statistics(ramp(3)).decay).toBe(0.5 - 2); // mean(v0,v1) − v2
    expect(statistics(ramp(8)).decay).toBe(1 - 6); // mean(v0..v2) − mean(v5..v7)
    expect(statistics(ramp(10)).decay).toBe(1 - 8); // mean(v0..v2) − mean(v7..v9)
    expect(statistics(ramp(12)).decay).toBe(1.5 - 9.5); // mean(v0..v3) − mean(v8..v11)
    expect(statistics(ramp(256)).decay).toBe(32 - 223); // mean(v0..v64) − mean(v191..v255)
  });

  it('gives NaN decay for 257 and 300 frames, where the wrap empties the last bin', () => {
    expect(statistics(ramp(257)).decay).toBeNaN();
    expect(statistics(ramp(300)).decay).toBeNaN();
    expect(statistics(ramp(300)).mean).toBe(149.5);
  });

  it('ignores NaN in the mean but keeps it in the recall denominator; recall is strict', () => {
    const s = statistics([0.5, 0.6, Number.NaN, 1]);
    expect(s.mean).toBeCloseTo(0.7, 15);
    expect(s.recall).toBe(0.5); // 0.6 and 1 of 4 frames; 0.5 is not above 0.5
    expect(statistics([0.5000001]).recall).toBe(1);
    expect(statistics([Number.NaN]).mean).toBeNaN();
  });

  it('returns NaN for an empty series', () => {
    const s = statistics([]);
    expect(s.mean).toBeNaN();
    expect(s.recall).toBeNaN();
  });
});
