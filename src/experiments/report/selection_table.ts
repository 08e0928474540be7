/**
 * The report's "test score, checkpoint and floor" table, per variant: the test J&F of the
 * checkpoint chosen on the validation split (mean over seeds and videos, bootstrap interval), the
 * final step's on the same videos, which split chose the checkpoint, and the variant against its
 * floor; and the floors' own rows. Plain cells; report_md and report_html format them.
 */
import { bootstrapMean, CONFIDENCE } from '../../eval/bootstrap.js';
import type { GlobalMetrics } from '../../eval/report.js';
import type { ReportComparisons } from './comparisons.js';
import { floorCell, type FloorRef } from './floor_check.js';
import { formatDifference, runScores, scoreGroups } from './paired_comparison.js';
import type { Variant } from './sweep_results.js';

const LEVEL = `${Math.round(CONFIDENCE * 100)}%`;

export const SELECTION_NOTE =
  `Test J&F = the runs' test-split scores with the checkpoint the validation split chose; mean over seeds and test videos (each video weighs the same, so it can differ from the official object-weighted J&F-Mean above) with a ${LEVEL} interval from a bootstrap over seeds, then videos (over seeds alone when the runs list no per-video scores). ` +
  'Final step = the same test videos scored with the weights of the last training step, mean ± std over seeds (old-protocol runs: their validation score at the last step, which was computed on these same videos). ' +
  'Floor = what a predictor that learned nothing scores on the same test videos (one-shot: copy the first mask; zero-shot: the better on validation of no object and one blob of the camera-aligned frame difference); ' +
  `a variant whose Δ vs its floor has an interval that does not lie above 0 "has not learned the task" and no claim is drawn from it. ` +
  '"Selected on test videos (old protocol)": runs made before the test split existed chose their checkpoint on the videos they report.';

/** Which split the tables' scores come from, in words, from the variants' protocols. */
export function splitSentence(variants: Variant[]): string {
  const protocols = new Set(variants.map((v) => v.protocol).filter((p) => p !== null));
  if (protocols.size === 1 && protocols.has('old'))
    return 'on the held-out videos, with the checkpoint chosen on those same videos (old protocol: these runs predate the separate validation and test splits)';
  if (protocols.has('old') || protocols.has('mixed'))
    return 'on the test split with the checkpoint chosen on the validation split, except where "checkpoint chosen on" says old protocol';
  return 'on the test split with the checkpoint chosen on the validation split';
}

export const SELECTION_HEADER = ['variant', 'n', `test J&F (validation-selected) [${LEVEL}]`, 'final step J&F', 'checkpoint chosen on', 'vs floor'];

function protocolCell(v: Variant): string {
  switch (v.protocol) {
    case 'test':
      return 'validation split';
    case 'old':
      return 'selected on test videos (old protocol)';
    case 'mixed':
      return 'mixed: some runs selected on test videos (old protocol)';
    default:
      return '–';
  }
}

/** "0.612 [0.580, 0.640]". */
function interval(mean: number, lo: number, hi: number): string {
  return Number.isNaN(mean) ? '–' : `${mean.toFixed(3)} [${lo.toFixed(3)}, ${hi.toFixed(3)}]`;
}

/** One row per variant (cells not escaped; `label` formats the variant's name). */
export function selectionRows(variants: Variant[], c: ReportComparisons, label: (v: Variant) => string): string[][] {
  return variants.map((v) => {
    const groups = scoreGroups(runScores(v));
    const est = bootstrapMean(groups);
    const final = v.final.n === 0 ? '–' : v.final.n > 1 ? `${v.final.mean.toFixed(3)} ± ${v.final.std.toFixed(3)}` : v.final.mean.toFixed(3);
    const check = c.floors.get(v);
    return [
      label(v),
      String(groups.length),
      interval(est.mean, est.lo, est.hi),
      final,
      protocolCell(v),
      check === undefined ? '–' : floorCell(check, formatDifference),
    ];
  });
}

export interface FloorRow {
  label: string;
  task: string;
  global: GlobalMetrics;
  videos: number;
}

/** The distinct computed floors the variants are held against (a floor that is a sweep variant has its own row already). */
export function floorRows(variants: Variant[], c: ReportComparisons): FloorRow[] {
  const seen = new Map<string, FloorRow>();
  for (const v of variants) {
    const f: FloorRef | null | undefined = c.floors.get(v)?.floor;
    if (f == null || f.global === null) continue;
    const key = `${f.task}|${f.label}|${f.score.global}`;
    if (!seen.has(key)) seen.set(key, { label: `floor: ${f.label}`, task: f.task, global: f.global, videos: f.score.videos?.size ?? 0 });
  }
  return [...seen.values()];
}
