/**
 * A paired comparison of two variants run with the same seeds (same initialisation and data
 * order) and scored on the same test videos: per seed and video, d = A − B (J&F); the mean of d
 * over seeds and videos with a 95% interval from a bootstrap that resamples seeds, then videos
 * within each seed (src/eval/bootstrap.ts); a two-sided bootstrap p-value, corrected by Holm over
 * the page's claims (comparisons.ts); and the paired standardized mean difference d_z. Runs whose
 * results.json lists no per-video scores (older committed summaries) pair by seed only.
 * docs/results/README.md says the same for readers.
 */
import { CONFIDENCE, pairedTest, type PairedTest } from '../../eval/bootstrap.js';
import { finalScore, perVideoScores, type SweepJobResult, type Variant } from './sweep_results.js';

/** The significance level of the corrected verdicts. */
export const ALPHA = 1 - CONFIDENCE;
/** Seeds a verdict needs (one seed says nothing about seed-to-seed variation). */
export const MIN_SEEDS = 2;

/** One run's score: its J&F-Mean and, when known, its J&F per test video. */
export interface RunScore {
  global: number;
  videos: Map<string, number> | null;
}

/** Seed → score of a variant's finished runs: the validation-selected checkpoint's test scores, or the final step's. */
export function runScores(v: Variant, which: 'selected' | 'final' = 'selected'): Map<number, RunScore> {
  const out = new Map<number, RunScore>();
  for (const j of v.jobs) {
    const score = jobScore(j, which);
    if (score !== null) out.set(j.results!.seed, score);
  }
  return out;
}

function jobScore(j: SweepJobResult, which: 'selected' | 'final'): RunScore | null {
  const r = j.results;
  if (r === undefined) return null;
  const global = which === 'final' ? finalScore(r) : r.global['J&F-Mean'];
  if (global === undefined || !Number.isFinite(global)) return null;
  return { global, videos: perVideoScores(j, which) };
}

/** Per-seed groups of values (per video when known, else the run's J&F-Mean). */
export function scoreGroups(scores: ReadonlyMap<number, RunScore>): number[][] {
  return [...scores.keys()]
    .sort((a, b) => a - b)
    .map((s) => {
      const r = scores.get(s)!;
      return r.videos === null ? [r.global] : [...r.videos.values()].filter(Number.isFinite);
    });
}

export interface PairedComparison extends PairedTest {
  /** Seeds present in both, ascending. */
  seedList: number[];
  /** Videos per seed that were paired (null: paired by seed only). */
  videosPerSeed: number | null;
}

/** d per seed: per shared video when both runs list their videos, else the two runs' J&F-Mean. */
export function pairedComparison(a: ReadonlyMap<number, RunScore>, b: ReadonlyMap<number, RunScore>): PairedComparison {
  const seedList = [...a.keys()].filter((s) => b.has(s)).sort((x, y) => x - y);
  let perSeed: number | null = null;
  const diffs = seedList.map((s) => {
    const x = a.get(s)!;
    const y = b.get(s)!;
    if (x.videos !== null && y.videos !== null) {
      const shared = [...x.videos.keys()].filter((v) => y.videos!.has(v));
      const d = shared.map((v) => x.videos!.get(v)! - y.videos!.get(v)!).filter(Number.isFinite);
      if (d.length > 0) {
        perSeed = perSeed === null ? d.length : Math.min(perSeed, d.length);
        return d;
      }
    }
    return [x.global - y.global];
  });
  return { ...pairedTest(diffs), seedList, videosPerSeed: perSeed };
}

/** A variant against a fixed per-video score (a floor: no seeds of its own). */
export function againstFixed(a: ReadonlyMap<number, RunScore>, fixed: RunScore): PairedComparison {
  const b = new Map([...a.keys()].map((s) => [s, fixed] as const));
  return pairedComparison(a, b);
}

const signed = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}`;

/** "+0.012 [+0.004, +0.020]" (the mean and its 95% interval; "+0.012" for one seed, "–" for none). */
export function formatDifference(c: PairedTest): string {
  if (c.seeds === 0) return '–';
  return c.seeds < MIN_SEEDS && !c.videos ? signed(c.mean) : `${signed(c.mean)} [${signed(c.lo)}, ${signed(c.hi)}]`;
}

/** "3 × 30" (seeds × videos) or "3 seeds" (paired by seed only). */
export function formatUnits(c: PairedComparison): string {
  return c.videosPerSeed === null ? `${c.seeds} seed${c.seeds === 1 ? '' : 's'}` : `${c.seeds} × ${c.videosPerSeed}`;
}

/** d_z to two decimals ("–" below two pairs, "±∞" for identical non-zero differences). */
export function formatEffect(c: PairedTest): string {
  if (Number.isNaN(c.effect)) return '–';
  if (!Number.isFinite(c.effect)) return c.effect > 0 ? '+∞' : '−∞';
  return `${c.effect >= 0 ? '+' : '−'}${Math.abs(c.effect).toFixed(2)}`;
}

/** "0.003" or "< 0.001". */
export function formatP(p: number): string {
  if (Number.isNaN(p)) return '–';
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/** The verdict of a variant-vs-baseline row from its Holm-corrected p-value. */
export function differenceVerdict(c: PairedTest, adjustedP: number): string {
  if (c.seeds < MIN_SEEDS) return `needs ≥ ${MIN_SEEDS} seeds`;
  const p = `Holm p ${formatP(adjustedP).replace(/^(\d)/, '= $1')}`;
  return adjustedP < ALPHA ? `yes (${p})` : `no (${p})`;
}

/** Whether a claimed direction (A better than B) holds under the corrected test. */
export function claimVerdict(c: PairedTest, adjustedP: number): string {
  if (c.seeds < MIN_SEEDS) return `needs ≥ ${MIN_SEEDS} seeds`;
  const p = `Holm p ${formatP(adjustedP).replace(/^(\d)/, '= $1')}`;
  if (adjustedP >= ALPHA) return `not clear: ${c.mean > 0 ? 'same' : 'opposite'} direction (${p})`;
  return c.mean > 0 ? `holds (${p})` : `reversed (${p})`;
}
