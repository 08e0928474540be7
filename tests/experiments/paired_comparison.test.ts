// Paired comparisons across seeds, on hand-computed numbers, and the report sections they feed.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { claimVerdict, formatClear, formatDifference, pairedComparison } from '../../src/experiments/paired_comparison.js';
import { compareVariants, sweepComparisons } from '../../src/experiments/comparisons.js';
import { writeSweepReport } from '../../src/experiments/report_md.js';
import { renderHtmlReport } from '../../src/experiments/report_html.js';
import { groupVariants, readSweep } from '../../src/experiments/sweep_results.js';
import { overrideValue, writeFixtureSweep } from './sweep_fixture.js';

const seeds = (...v: number[]) => new Map(v.map((x, i) => [i + 1, x]));

describe('pairedComparison', () => {
  it('a clear difference: diffs 0.10, 0.11, 0.09 → +0.100 ± 0.010 (sample std), |mean| > 2 std', () => {
    const c = pairedComparison(seeds(0.6, 0.62, 0.64), seeds(0.5, 0.51, 0.55));
    expect(c.n).toBe(3);
    expect(c.seeds).toEqual([1, 2, 3]);
    expect(c.mean).toBeCloseTo(0.1, 12);
    expect(c.std).toBeCloseTo(0.01, 12);
    expect(c.clear).toBe(true);
    expect(formatDifference(c)).toBe('+0.100 ± 0.010');
    expect(formatClear(c)).toBe('yes (|Δ| > 2 std)');
    expect(claimVerdict(c)).toBe('holds (> 2 std)');
    expect(claimVerdict(pairedComparison(seeds(0.5, 0.51, 0.55), seeds(0.6, 0.62, 0.64)))).toBe('reversed (> 2 std)');
  });

  it('not clear: diffs 0.02, −0.02, 0.03 → +0.010 ± √0.0007 = 0.026', () => {
    const c = pairedComparison(seeds(0.52, 0.48, 0.53), seeds(0.5, 0.5, 0.5));
    expect(c.mean).toBeCloseTo(0.01, 12);
    expect(c.std).toBeCloseTo(Math.sqrt(0.0007), 12);
    expect(c.clear).toBe(false);
    expect(formatDifference(c)).toBe('+0.010 ± 0.026');
    expect(formatClear(c)).toBe('no (|Δ| ≤ 2 std)');
    expect(claimVerdict(c)).toBe('not clear: same direction, |Δ| ≤ 2 std');
  });

  it('pairs by seed: unpaired seeds and NaN scores are left out; n < 2 needs more seeds', () => {
    const a = new Map([
      [1, 0.7],
      [2, NaN],
      [5, 0.9],
    ]);
    const b = new Map([
      [1, 0.6],
      [2, 0.6],
      [3, 0.6],
    ]);
    const c = pairedComparison(a, b);
    expect(c.seeds).toEqual([1]);
    expect(c.mean).toBeCloseTo(0.1, 12);
    expect(Number.isNaN(c.std)).toBe(true);
    expect(c.clear).toBeNull();
    expect(formatDifference(c)).toBe('+0.100');
    expect(formatClear(c)).toBe('needs ≥ 2 seeds');
    expect(claimVerdict(c)).toBe('needs ≥ 2 seeds');
    expect(formatDifference(pairedComparison(new Map(), b))).toBe('–');
  });

  it('identical differences (std 0) are clear unless they are 0', () => {
    expect(pairedComparison(seeds(0.6, 0.7), seeds(0.5, 0.6)).clear).toBe(true);
    expect(pairedComparison(seeds(0.6, 0.7), seeds(0.6, 0.7)).clear).toBe(false);
  });
});

// recurrence sweep: ST is the baseline; seed 3 of S failed.
const RECURRENCE: Record<string, number[]> = { S: [0.4, 0.41, NaN], T: [0.58, 0.66, 0.61], ST: [0.6, 0.62, 0.64], 'ST+': [0.7, 0.73, 0.73] };
const recurrenceScore = (o: string[]) => RECURRENCE[overrideValue(o, 'run.name')!]![Number(overrideValue(o, 'seed')) - 1]!;

describe('report comparisons from a fixture sweep', () => {
  it('recurrence: every variant against ST, and the paper claims ST+ > ST > T, S', () => {
    const c = sweepComparisons(groupVariants(readSweep(writeFixtureSweep('recurrence', recurrenceScore))));
    expect(c.baseline).toBe('ST');
    const rows = Object.fromEntries(
      c.rows.map((r) => [c.labels.get(r.variant), [c.labels.get(r.baseline), formatDifference(r.result), r.result.n, r.result.clear]]),
    );
    // T − ST per seed: −0.02, +0.04, −0.03; S − ST: −0.20, −0.21 (seed 3 failed).
    expect(rows).toEqual({ S: ['ST', '−0.205 ± 0.007', 2, true], T: ['ST', '−0.003 ± 0.038', 3, false], 'ST+': ['ST', '+0.100 ± 0.010', 3, true] });
    expect(c.claims.map((r) => [`${r.claim.better}>${r.claim.worse}`, formatDifference(r.result!), claimVerdict(r.result!)])).toEqual([
      ['ST+>ST', '+0.100 ± 0.010', 'holds (> 2 std)'],
      ['ST>T', '+0.003 ± 0.038', 'not clear: same direction, |Δ| ≤ 2 std'],
      ['ST>S', '+0.205 ± 0.007', 'holds (> 2 std)'],
    ]);
  });

  it('report.md and report.html show both sections', async () => {
    const dir = writeFixtureSweep('recurrence', recurrenceScore);
    const md = fs.readFileSync(writeSweepReport(dir, 'recurrence'), 'utf8');
    expect(md).toContain('## Paired comparison with the baseline (`ST`)');
    // `|` inside cells is escaped for markdown.
    expect(md).toContain('| variant | baseline | Δ J&F-Mean (mean ± std) | n | \\|Δ\\| > 2 std? |');
    expect(md).toContain('| `ST+` | `ST` | +0.100 ± 0.010 | 3 | yes (\\|Δ\\| > 2 std) |');
    expect(md).toContain('| `T` | `ST` | −0.003 ± 0.038 | 3 | no (\\|Δ\\| ≤ 2 std) |');
    expect(md).toContain("## The paper's claims");
    expect(md).toContain(
      '| ST+ > ST (model.mode=one_shot) | RVOS one-shot ablation (YouTube-VOS, ResNet-101): ST+ 56.3 vs ST 54.9 | ST+ vs ST: +0.100 ± 0.010 | 3 | holds (> 2 std) |',
    );
    expect(md.indexOf('## Paired comparison')).toBeLessThan(md.indexOf('## Runs'));
    const html = await renderHtmlReport(dir);
    expect(html).toContain('<h2>Paired comparison with the baseline (ST)</h2>');
    expect(html).toContain('<td>ST+</td><td>ST</td><td>+0.100 ± 0.010</td><td>3</td><td>yes (|Δ| &gt; 2 std)</td>');
    expect(html).toContain('<td>not clear: same direction, |Δ| ≤ 2 std</td>');
  }, 30_000);

  it('matching_inputs: variants are compared with `none` of the same mode; claims only in one-shot', () => {
    const names = ['none', 'global', 'local', 'both'];
    const score = (o: string[]) =>
      0.3 +
      0.1 * names.indexOf(overrideValue(o, 'run.name')!) +
      (overrideValue(o, 'model.mode') === 'one_shot' ? 0.3 : 0) +
      0.001 * Number(overrideValue(o, 'seed'));
    const c = sweepComparisons(groupVariants(readSweep(writeFixtureSweep('matching_inputs', score))));
    expect(c.rows.map((r) => `${c.labels.get(r.variant)} vs ${c.labels.get(r.baseline)}: ${formatDifference(r.result)}`)).toEqual([
      'global · model.mode=zero_shot vs none · model.mode=zero_shot: +0.100 ± 0.000',
      'global · model.mode=one_shot vs none · model.mode=one_shot: +0.100 ± 0.000',
      'local · model.mode=zero_shot vs none · model.mode=zero_shot: +0.200 ± 0.000',
      'local · model.mode=one_shot vs none · model.mode=one_shot: +0.200 ± 0.000',
      'both · model.mode=zero_shot vs none · model.mode=zero_shot: +0.300 ± 0.000',
      'both · model.mode=one_shot vs none · model.mode=one_shot: +0.300 ± 0.000',
    ]);
    expect(c.claims.map((r) => `${c.labels.get(r.better!)} vs ${c.labels.get(r.worse!)}`)).toEqual([
      'both · model.mode=one_shot vs none · model.mode=one_shot',
      'both · model.mode=one_shot vs global · model.mode=one_shot',
      'both · model.mode=one_shot vs local · model.mode=one_shot',
    ]);
  });

  it('zero_vs_one_shot with one seed: n = 1 says it needs ≥ 2 seeds, and flags the different protocols', () => {
    const dir = writeFixtureSweep('zero_vs_one_shot', (o) => (overrideValue(o, 'model.mode') === 'one_shot' ? 0.8 : 0.4), ['seed=1']);
    const md = fs.readFileSync(writeSweepReport(dir, 'z'), 'utf8');
    expect(md).toContain('| `model.mode=one_shot` | `model.mode=zero_shot` | +0.400 | 1 | needs ≥ 2 seeds; different protocols');
    expect(md).toMatch(
      /\| model.mode=one_shot > model.mode=zero_shot \| RVOS .* \| model.mode=one_shot vs model.mode=zero_shot: \+0.400 \| 1 \| needs ≥ 2 seeds \|/,
    );
  });

  it('a claim nothing in the sweep matches says so; the default baseline is the first variant', () => {
    const variants = groupVariants(readSweep(writeFixtureSweep('zero_vs_one_shot', () => 0.5, ['seed=1,2'])));
    const c = compareVariants(
      variants,
      { baseline: null, claims: [{ better: 'ST', worse: 'S', where: 'model.mode=zero_shot', paper: 'p' }], bundles: new Map() },
      () => null,
    );
    expect(c.baseline).toBe('model.mode=zero_shot');
    expect(c.rows).toHaveLength(1);
    expect(c.rows[0]!.result.n).toBe(2);
    expect(c.claims).toEqual([{ claim: expect.anything(), missing: 'not in this sweep (no ST with model.mode=zero_shot)' }]);
  });
});
