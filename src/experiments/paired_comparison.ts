/**
 * A paired comparison across seeds: variant A against variant B, run with the same seeds (same
 * initialisation and data order), on one score per run. The per-seed differences d_i = A_i − B_i
 * are summarised as their mean ± their sample standard deviation (n − 1 in the denominator; the
 * spread of the differences, not the standard error of their mean), and the difference counts as
 * clear when |mean| > 2 × that std (with n ≥ 2). With n = 3 the rule is a paired t statistic above
 * 2√3 ≈ 3.46 (two-sided p ≈ 0.07 at 2 degrees of freedom): a screening rule against over-reading
 * 0.01 differences, not a formal test. docs/results/README.md says the same for readers.
 */

/** How many standard deviations of the per-seed differences |mean| must exceed. */
export const CLEAR_DIFFERENCE_STDS = 2;

export interface PairedComparison {
  /** Seeds present (with a finite score) in both A and B, ascending. */
  seeds: number[];
  n: number;
  /** Mean of A_i − B_i (NaN when n = 0). */
  mean: number;
  /** Sample std (n − 1) of A_i − B_i; NaN when n < 2. */
  std: number;
  /** |mean| > CLEAR_DIFFERENCE_STDS × std; null when n < 2 (no spread to judge against). */
  clear: boolean | null;
}

/** Pairs `a` and `b` (seed → score) by seed and summarises the differences a − b. */
export function pairedComparison(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): PairedComparison {
  const seeds = [...a.keys()].filter((s) => Number.isFinite(a.get(s)) && Number.isFinite(b.get(s))).sort((x, y) => x - y);
  const diffs = seeds.map((s) => a.get(s)! - b.get(s)!);
  const n = diffs.length;
  const mean = n === 0 ? NaN : diffs.reduce((x, y) => x + y, 0) / n;
  const std = n < 2 ? NaN : Math.sqrt(diffs.reduce((x, d) => x + (d - mean) ** 2, 0) / (n - 1));
  return { seeds, n, mean, std, clear: n < 2 ? null : Math.abs(mean) > CLEAR_DIFFERENCE_STDS * std };
}

/** "+0.012 ± 0.004" (or "+0.012" for one seed, "–" for none). */
export function formatDifference(c: PairedComparison): string {
  if (c.n === 0) return '–';
  const sign = c.mean >= 0 ? '+' : '−';
  const mean = `${sign}${Math.abs(c.mean).toFixed(3)}`;
  return c.n < 2 ? mean : `${mean} ± ${c.std.toFixed(3)}`;
}

/** The verdict column: whether |mean| exceeds 2 std. */
export function formatClear(c: PairedComparison): string {
  if (c.n < 2) return 'needs ≥ 2 seeds';
  return c.clear ? `yes (|Δ| > ${CLEAR_DIFFERENCE_STDS} std)` : `no (|Δ| ≤ ${CLEAR_DIFFERENCE_STDS} std)`;
}

/** Whether a claimed direction (A better than B) holds: the difference is clear and positive. */
export function claimVerdict(c: PairedComparison): string {
  if (c.n < 2) return 'needs ≥ 2 seeds';
  if (!c.clear) return c.mean > 0 ? 'not clear: same direction, |Δ| ≤ 2 std' : 'not clear: opposite direction, |Δ| ≤ 2 std';
  return c.mean > 0 ? 'holds (> 2 std)' : 'reversed (> 2 std)';
}
