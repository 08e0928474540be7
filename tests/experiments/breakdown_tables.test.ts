import { describe, expect, it } from 'vitest';
import { breakdownTables } from '../../src/experiments/report/breakdown_tables.js';
import { renderMarkdown } from '../../src/experiments/report/report_md.js';
import type { Variant } from '../../src/experiments/report/sweep_results.js';
import type { EvaluationBreakdown } from '../../src/eval/breakdown.js';

function variant(label: string, breakdowns: (EvaluationBreakdown | undefined)[]): Variant {
  const stat = { mean: 0.5, std: 0, n: 1 };
  return {
    label,
    overrides: [label],
    jobs: breakdowns.map((b, i) => ({
      index: i,
      overrides: [label],
      runDir: `/r/${i}`,
      status: 'ok' as const,
      perObject: new Map(),
      results: { task: 'unsupervised', seed: 1, steps: 1, trainSeconds: 1, global: { 'J&F-Mean': 0.5 }, breakdown: b } as never,
    })),
    metrics: Object.fromEntries(['J&F-Mean', 'J-Mean', 'J-Recall', 'J-Decay', 'F-Mean', 'F-Recall', 'F-Decay'].map((m) => [m, stat])) as Variant['metrics'],
    final: { mean: NaN, std: NaN, n: 0 },
    protocol: 'old',
    perObject: new Map(),
  };
}

const seed1: EvaluationBreakdown = {
  firstFrameJ: 0.4,
  recallByRank: [
    { rank: 1, videos: 4, found: 4, fraction: 1 },
    { rank: 2, videos: 2, found: 1, fraction: 0.5 },
  ],
  byObjectCount: [
    { objects: 1, videos: 2, jf: 0.8 },
    { objects: 2, videos: 2, jf: 0.5 },
  ],
};
const seed2: EvaluationBreakdown = {
  ...seed1,
  firstFrameJ: 0.6,
  recallByRank: [
    { rank: 1, videos: 4, found: 2, fraction: 0.5 },
    { rank: 2, videos: 2, found: 0, fraction: 0 },
  ],
};

describe('breakdown tables of the sweep report', () => {
  it('average a variant over its seeds and show the videos behind each cell', () => {
    const [first, ranks, counts] = breakdownTables([variant('zs', [seed1, seed2])], (v) => v.label);
    expect(first!.rows).toEqual([['zs', '0.500']]);
    expect(ranks!.header).toEqual(['variant', 'object 1', 'object 2']);
    expect(ranks!.rows).toEqual([['zs', '75% (4)', '25% (2)']]);
    expect(counts!.rows).toEqual([['zs', '0.800 (2)', '0.500 (2)']]);
  });

  it('are left out for runs without a breakdown, and rendered as sections of report.md otherwise', () => {
    expect(breakdownTables([variant('old', [undefined])], (v) => v.label)).toEqual([]);
    const md = renderMarkdown('t', [variant('zs', [seed1]), variant('old', [undefined])]);
    expect(md).toContain('## Objects found, by rank');
    expect(md).toContain('| `zs` | 100% (4) | 50% (2) |');
    expect(md).toContain('| `old` | – | – |');
  });
});
