/**
 * The "what the model misses" tables of a sweep report, from each run's results.json breakdown
 * (src/eval/breakdown.ts): J on frame 0, how often the k-th object of a video is found, and J&F per
 * number of objects. Mean over a variant's finished seeds. Plain rows; report_md / report_html
 * format them.
 */
import type { EvaluationBreakdown } from '../../eval/breakdown.js';
import type { Variant } from './sweep_results.js';

export interface BreakdownTable {
  title: string;
  note: string;
  header: string[];
  rows: string[][];
}

function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

const fmt = (x: number | null): string => (x === null ? '–' : x.toFixed(3));
const pct = (x: number | null): string => (x === null ? '–' : `${Math.round(100 * x)}%`);

/** The tables, or [] when no run recorded a breakdown (runs from before it existed). */
export function breakdownTables(variants: Variant[], labels: (v: Variant) => string): BreakdownTable[] {
  const of = (v: Variant): EvaluationBreakdown[] => v.jobs.flatMap((j) => (j.results?.breakdown === undefined ? [] : [j.results.breakdown]));
  if (variants.every((v) => of(v).length === 0)) return [];
  const ranks = Math.max(0, ...variants.flatMap((v) => of(v).map((b) => b.recallByRank.length)));
  const counts = [...new Set(variants.flatMap((v) => of(v).flatMap((b) => b.byObjectCount.map((c) => c.objects))))].sort((a, b) => a - b);
  return [
    {
      title: 'J on the first frame',
      note: 'Mean J over objects on frame 0 of each held-out video (scored by the unsupervised protocol only; the semi-supervised protocol does not score frame 0, where the masks are given).',
      header: ['variant', 'frame-0 J'],
      rows: variants.map((v) => [labels(v), fmt(mean(of(v).flatMap((b) => (b.firstFrameJ === null ? [] : [b.firstFrameJ]))))]),
    },
    {
      title: 'Objects found, by rank',
      note: 'Share of held-out videos with a k-th object (ids ascending) in which that object was found: its mean J above 0.5. Videos with a k-th object in brackets.',
      header: ['variant', ...Array.from({ length: ranks }, (_, k) => `object ${k + 1}`)],
      rows: variants.map((v) => [
        labels(v),
        ...Array.from({ length: ranks }, (_, k) => {
          const cells = of(v).flatMap((b) => (b.recallByRank[k] === undefined ? [] : [b.recallByRank[k]!]));
          return cells.length === 0 ? '–' : `${pct(mean(cells.map((c) => c.fraction)))} (${cells[0]!.videos})`;
        }),
      ]),
    },
    {
      title: 'J&F by number of objects',
      note: 'J&F-Mean over the objects of the held-out videos with n objects in frame 0 (videos in brackets).',
      header: ['variant', ...counts.map((n) => `${n} object${n > 1 ? 's' : ''}`)],
      rows: variants.map((v) => [
        labels(v),
        ...counts.map((n) => {
          const cells = of(v).flatMap((b) => b.byObjectCount.filter((c) => c.objects === n));
          return cells.length === 0 ? '–' : `${fmt(mean(cells.map((c) => c.jf)))} (${cells[0]!.videos})`;
        }),
      ]),
    },
  ];
}
