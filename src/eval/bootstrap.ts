/**
 * Intervals and tests for scores of runs over seeds and videos (docs/results/README.md): a
 * two-level bootstrap (resample the seeds, then the videos within each drawn seed), paired
 * differences between two variants on the same seeds and videos, Holm's step-down correction over a
 * page's tests, and the paired standardized mean difference. Small pure functions of arrays; the
 * random draws come from a generator seeded by the caller, so a report is the same every time.
 */
import { Rng } from '../utils/rng.js';

/** Resamples per bootstrap (the p-value's resolution is 1 / (resamples + 1)). */
export const BOOTSTRAP_RESAMPLES = 10_000;
/** Seed of the report's bootstrap generator: a fixed number so that a regenerated report is identical. */
export const BOOTSTRAP_SEED = 1;
/** Two-sided level of the intervals and of the corrected tests. */
export const CONFIDENCE = 0.95;

export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
}

/**
 * The statistic of one sample: the mean over seeds of each seed's mean over its videos (every
 * seed weighs the same, whatever its video count). `groups[i]` holds seed i's per-video values.
 */
export function meanOfMeans(groups: readonly (readonly number[])[]): number {
  const means = groups.filter((g) => g.length > 0).map((g) => g.reduce((a, b) => a + b, 0) / g.length);
  return means.length === 0 ? NaN : means.reduce((a, b) => a + b, 0) / means.length;
}

/**
 * The two-level bootstrap distribution of meanOfMeans: each resample draws as many seeds as there
 * are, with replacement, and within each drawn seed as many of its videos as it has, with
 * replacement. A group of one value (a run known only by its overall score) resamples seeds only.
 */
export function hierarchicalBootstrap(groups: readonly (readonly number[])[], options: BootstrapOptions = {}): Float64Array {
  const kept = groups.filter((g) => g.length > 0);
  const resamples = options.resamples ?? BOOTSTRAP_RESAMPLES;
  const out = new Float64Array(resamples);
  if (kept.length === 0) return out.fill(NaN);
  const rng = new Rng(options.seed ?? BOOTSTRAP_SEED);
  const draw = (n: number) => Math.floor(rng.next() * n);
  for (let r = 0; r < resamples; r++) {
    let total = 0;
    for (let i = 0; i < kept.length; i++) {
      const g = kept[draw(kept.length)]!;
      let sum = 0;
      for (let j = 0; j < g.length; j++) sum += g[draw(g.length)]!;
      total += sum / g.length;
    }
    out[r] = total / kept.length;
  }
  return out;
}

/** The (1 − level)/2 and (1 + level)/2 quantiles of a sample (linear interpolation between order statistics). */
export function percentileInterval(samples: ArrayLike<number>, level = CONFIDENCE): [number, number] {
  const sorted = Float64Array.from(samples).sort();
  if (sorted.length === 0 || Number.isNaN(sorted[0]!)) return [NaN, NaN];
  const q = (p: number): number => {
    const at = p * (sorted.length - 1);
    const lo = Math.floor(at);
    const hi = Math.min(sorted.length - 1, lo + 1);
    return sorted[lo]! + (at - lo) * (sorted[hi]! - sorted[lo]!);
  };
  return [q((1 - level) / 2), q((1 + level) / 2)];
}

/**
 * Two-sided bootstrap p-value of "the statistic is 0": twice the smaller share of resamples on
 * either side of 0 (ties count on both sides), with the +1 of Davison & Hinkley so it is never 0.
 * It is the smallest 1 − level at which the percentile interval leaves out 0.
 */
export function bootstrapPValue(samples: ArrayLike<number>): number {
  let below = 0;
  let above = 0;
  for (let i = 0; i < samples.length; i++) {
    if (samples[i]! <= 0) below++;
    if (samples[i]! >= 0) above++;
  }
  return Math.min(1, (2 * (Math.min(below, above) + 1)) / (samples.length + 1));
}

/**
 * Holm's step-down adjusted p-values, in the input's order: sort ascending, multiply the i-th
 * smallest (from 0) by m − i, carry the running maximum, cap at 1. Rejecting where the adjusted p
 * is below α keeps the chance of any false claim on the page at most α. NaN stays NaN and does
 * not count in m.
 */
export function holm(pValues: readonly number[]): number[] {
  const order = pValues
    .map((p, i) => [p, i] as const)
    .filter(([p]) => !Number.isNaN(p))
    .sort((a, b) => a[0] - b[0]);
  const m = order.length;
  const out = pValues.map(() => NaN);
  let running = 0;
  order.forEach(([p, i], k) => {
    running = Math.max(running, Math.min(1, (m - k) * p));
    out[i] = running;
  });
  return out;
}

/** An sd this small relative to the values is float rounding, not spread. */
const SD_ROUNDING = 1e-12;

/**
 * Paired standardized mean difference d_z: mean of the paired differences over their sample
 * standard deviation (n − 1). ±Infinity for identical non-zero differences, 0 for all zeros, NaN
 * below two pairs.
 */
export function standardizedDifference(diffs: readonly number[]): number {
  const n = diffs.length;
  if (n < 2) return NaN;
  const mean = diffs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(diffs.reduce((a, d) => a + (d - mean) ** 2, 0) / (n - 1));
  // Differences equal up to rounding (say 0.72 − 0.62 and 0.74 − 0.64) have an sd of ~1e-17, not a real spread.
  if (sd <= SD_ROUNDING * Math.max(1, Math.abs(mean))) return mean === 0 ? 0 : mean > 0 ? Infinity : -Infinity;
  return mean / sd;
}

export interface BootstrapEstimate {
  /** meanOfMeans of the data. */
  mean: number;
  /** Percentile interval at CONFIDENCE. */
  lo: number;
  hi: number;
  /** Seeds (groups with values). */
  seeds: number;
  /** Whether videos were resampled (some group has more than one value). */
  videos: boolean;
}

/** The mean over seeds and videos with its bootstrap interval. */
export function bootstrapMean(groups: readonly (readonly number[])[], options: BootstrapOptions = {}): BootstrapEstimate {
  const kept = groups.filter((g) => g.length > 0);
  const [lo, hi] = percentileInterval(hierarchicalBootstrap(kept, options));
  return { mean: meanOfMeans(kept), lo, hi, seeds: kept.length, videos: kept.some((g) => g.length > 1) };
}

export interface PairedTest extends BootstrapEstimate {
  /** Two-sided bootstrap p-value of a zero mean difference (uncorrected). */
  p: number;
  /** d_z over the paired units (seed × video, or seeds when videos are not known). */
  effect: number;
  /** Paired units. */
  pairs: number;
}

/** A paired difference: `diffs[i]` = seed i's per-video differences (variant − baseline on the same videos). */
export function pairedTest(diffs: readonly (readonly number[])[], options: BootstrapOptions = {}): PairedTest {
  const kept = diffs.filter((g) => g.length > 0);
  const samples = hierarchicalBootstrap(kept, options);
  const [lo, hi] = percentileInterval(samples);
  const flat = kept.flat();
  return {
    mean: meanOfMeans(kept),
    lo,
    hi,
    seeds: kept.length,
    videos: kept.some((g) => g.length > 1),
    p: kept.length === 0 ? NaN : bootstrapPValue(samples),
    effect: standardizedDifference(flat),
    pairs: flat.length,
  };
}
