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

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; about 15 digits). */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The regularized incomplete beta I_x(a, b), by its continued fraction (Lentz), flipped where that converges faster. */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const front = Math.exp(a * Math.log(x) + b * Math.log(1 - x) - (logGamma(a) + logGamma(b) - logGamma(a + b))) / a;
  const tiny = 1e-300;
  let f = 1;
  let c = 1;
  let d = 0;
  for (let i = 0; i <= 400; i++) {
    const m = Math.floor(i / 2);
    const num =
      i === 0 ? 1 : i % 2 === 0 ? (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)) : -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + num * d;
    d = Math.abs(d) < tiny ? tiny : d;
    d = 1 / d;
    c = 1 + num / c;
    c = Math.abs(c) < tiny ? tiny : c;
    const cd = c * d;
    f *= cd;
    if (Math.abs(1 - cd) < 1e-14) break;
  }
  return front * (f - 1);
}

/** Two-sided p-value of Student's t statistic with `df` degrees of freedom. */
export function studentTwoSidedP(t: number, df: number): number {
  if (Number.isNaN(t) || df < 1) return NaN;
  if (!Number.isFinite(t)) return 0;
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/**
 * The paired t-test on the per-seed mean differences (df = seeds − 1): the seed is the unit that
 * is replicated, and with few seeds a bootstrap over them is overconfident (with 3 seeds every
 * resample of three same-sign differences has that sign, so its p-value is ~0). NaN below 2 seeds.
 */
export function seedTTestP(groups: readonly (readonly number[])[]): number {
  const means = groups.filter((g) => g.length > 0).map((g) => g.reduce((a, b) => a + b, 0) / g.length);
  const n = means.length;
  if (n < 2) return NaN;
  const mean = means.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(means.reduce((a, m) => a + (m - mean) ** 2, 0) / (n - 1));
  if (sd <= SD_ROUNDING * Math.max(1, Math.abs(mean))) return mean === 0 ? 1 : 0;
  return studentTwoSidedP(mean / (sd / Math.sqrt(n)), n - 1);
}

export interface PairedTest extends BootstrapEstimate {
  /**
   * Two-sided p-value of a zero mean difference (uncorrected): the larger of the two-level
   * bootstrap's and the per-seed paired t-test's. Each is a test at its level, so rejecting only
   * when both reject keeps the level, and the t-test stops a few seeds from looking like many.
   */
  p: number;
  /** The two parts of p. */
  pBootstrap: number;
  pSeeds: number;
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
  const pBootstrap = kept.length === 0 ? NaN : bootstrapPValue(samples);
  const pSeeds = seedTTestP(kept);
  return {
    mean: meanOfMeans(kept),
    lo,
    hi,
    seeds: kept.length,
    videos: kept.some((g) => g.length > 1),
    p: Number.isNaN(pSeeds) ? pBootstrap : Math.max(pBootstrap, pSeeds),
    pBootstrap,
    pSeeds,
    effect: standardizedDifference(flat),
    pairs: flat.length,
  };
}
