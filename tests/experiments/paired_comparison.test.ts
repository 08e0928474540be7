// Paired comparisons over seeds and videos, on hand-computed numbers, Holm over a page's tests, and
// the report sections they feed.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  claimVerdict,
  differenceVerdict,
  formatDifference,
  formatEffect,
  formatP,
  formatUnits,
  pairedComparison,
} from '../../src/experiments/report/paired_comparison.js';
import { BOOTSTRAP_RESAMPLES } from '../../src/eval/bootstrap.js';
import { compareVariants, sweepComparisons } from '../../src/experiments/report/comparisons.js';
import { writeSweepReport } from '../../src/experiments/report/report_md.js';
import { renderHtmlReport } from '../../src/experiments/report/report_html.js';
import { groupVariants, readSweep } from '../../src/experiments/report/sweep_results.js';
import { overrideValue, testProtocol, writeFixtureSweep } from './sweep_fixture.js';
import { floorKey, FLOORS_FILE, readSweepFloors } from '../../src/experiments/report/sweep_floors.js';
import { composeConfig, loadRunConfig, saveRunConfig } from '../../src/config/index.js';
import { REUSED_FILE } from '../../src/experiments/run/sweep_job.js';

const seeds = (...v: number[]) => new Map(v.map((x, i) => [i + 1, { global: x, videos: null }] as const));
const withVideos = (...perSeed: number[][]) =>
  new Map(perSeed.map((vals, i) => [i + 1, { global: NaN, videos: new Map(vals.map((x, k) => [`v${k}`, x] as const)) }] as const));
const B = BOOTSTRAP_RESAMPLES;

describe('pairedComparison', () => {
  it("by seed only (older runs): diffs 0.10, 0.11, 0.09 → mean +0.100 inside [0.09, 0.11], d_z = 10, p from the seeds' t-test", () => {
    const c = pairedComparison(seeds(0.6, 0.62, 0.64), seeds(0.5, 0.51, 0.55));
    expect(c.seeds).toBe(3);
    expect(c.seedList).toEqual([1, 2, 3]);
    expect(c.videosPerSeed).toBeNull();
    expect(c.mean).toBeCloseTo(0.1, 12);
    expect(c.lo).toBeGreaterThanOrEqual(0.09 - 1e-12);
    expect(c.hi).toBeLessThanOrEqual(0.11 + 1e-12);
    expect(c.effect).toBeCloseTo(10, 9);
    // Every bootstrap resample is positive (p = 2/(B+1)); the t-test on 3 seeds: t = 17.3, df 2 → 1 − t/√(2 + t²).
    const t = 0.1 / (0.01 / Math.sqrt(3));
    expect(c.pBootstrap).toBeCloseTo(2 / (B + 1), 12);
    expect(c.p).toBeCloseTo(1 - t / Math.sqrt(2 + t * t), 10);
    expect(formatUnits(c)).toBe('3 seeds');
    expect(formatEffect(c)).toBe('+10.00');
    expect(formatP(c.p)).toBe('0.003');
    expect(differenceVerdict(c, 0.0006)).toBe('yes (Holm p < 0.001)');
    expect(claimVerdict(c, 0.02)).toBe('holds (Holm p = 0.020)');
    expect(claimVerdict(pairedComparison(seeds(0.5, 0.51, 0.55), seeds(0.6, 0.62, 0.64)), 0.02)).toBe('reversed (Holm p = 0.020)');
  });

  it('a null difference is not clear: diffs 0.02, −0.02, 0.03 straddle 0', () => {
    const c = pairedComparison(seeds(0.52, 0.48, 0.53), seeds(0.5, 0.5, 0.5));
    expect(c.mean).toBeCloseTo(0.01, 12);
    expect(c.lo).toBeLessThan(0);
    expect(c.hi).toBeGreaterThan(0);
    expect(c.p).toBeGreaterThan(0.05);
    expect(claimVerdict(c, c.p)).toMatch(/^not clear: same direction \(Holm p = 0\.\d{3}\)$/);
    expect(differenceVerdict(c, c.p)).toMatch(/^no \(Holm p = /);
  });

  it('pairs by seed and by video: unpaired seeds and videos are left out', () => {
    const a = withVideos([0.7, 0.8, 0.9], [0.6, 0.6]);
    const b = new Map([
      [
        1,
        {
          global: NaN,
          videos: new Map([
            ['v0', 0.5],
            ['v1', 0.6],
          ]),
        },
      ],
      [
        2,
        {
          global: NaN,
          videos: new Map([
            ['v0', 0.4],
            ['v1', 0.4],
            ['v7', 0.1],
          ]),
        },
      ],
      [3, { global: 0.1, videos: null }],
    ]);
    const c = pairedComparison(a, b);
    expect(c.seedList).toEqual([1, 2]);
    expect(c.videosPerSeed).toBe(2);
    expect(c.pairs).toBe(4);
    // seed 1: 0.2, 0.2; seed 2: 0.2, 0.2 → a constant difference, an interval of zero width.
    expect(c.mean).toBeCloseTo(0.2, 12);
    expect(c.hi - c.lo).toBeCloseTo(0, 12);
    expect(formatUnits(c)).toBe('2 × 2');
    expect(formatDifference(c)).toBe('+0.200 [+0.200, +0.200]');
  });

  it('one seed needs more seeds; no shared seed gives "–"', () => {
    const c = pairedComparison(seeds(0.7), seeds(0.6));
    expect(formatDifference(c)).toBe('+0.100');
    expect(differenceVerdict(c, NaN)).toBe('needs ≥ 2 seeds');
    expect(claimVerdict(c, NaN)).toBe('needs ≥ 2 seeds');
    expect(formatDifference(pairedComparison(new Map(), seeds(0.6)))).toBe('–');
  });
});

// recurrence sweep: ST is the baseline; seed 3 of S failed.
const RECURRENCE: Record<string, number[]> = { S: [0.4, 0.41, NaN], T: [0.58, 0.66, 0.61], ST: [0.6, 0.62, 0.64], 'ST+': [0.7, 0.73, 0.73] };
const recurrenceScore = (o: string[]) => RECURRENCE[overrideValue(o, 'run.name')!]![Number(overrideValue(o, 'seed')) - 1]!;

describe('report comparisons from a fixture sweep', () => {
  it('recurrence (older runs, by seed): every variant against ST, Holm over the 3 distinct pairs, claims ST+ > ST > T, S', () => {
    const c = sweepComparisons(groupVariants(readSweep(writeFixtureSweep('recurrence', recurrenceScore, ['seed=1,2,3']))));
    expect(c.baseline).toBe('ST');
    expect(c.tests).toBe(3); // the claims test the same three pairs as the rows
    const rows = Object.fromEntries(
      c.rows.map((r) => [c.labels.get(r.variant), [c.labels.get(r.baseline), r.result.seeds, differenceVerdict(r.result, r.adjustedP)]]),
    );
    // ST+ − ST per seed: 0.10, 0.11, 0.09 → t-test p (df 2) = 0.00332, Holm × 3 = 0.00995; S − ST: −0.20, −0.21 (seed 3
    // failed) → t = 41, df 1, p = 1 − (2/π) atan 41 = 0.01552, Holm × 2 = 0.0310; T − ST: −0.02, +0.04, −0.03 straddles 0.
    expect(rows).toEqual({
      S: ['ST', 2, 'yes (Holm p = 0.031)'],
      T: ['ST', 3, expect.stringMatching(/^no \(Holm p = 0\.\d+\)$/)],
      'ST+': ['ST', 3, 'yes (Holm p = 0.010)'],
    });
    const sRow = c.rows.find((r) => c.labels.get(r.variant) === 'S')!;
    const tS = 0.205 / (Math.sqrt(0.00005) / Math.sqrt(2));
    expect(sRow.adjustedP).toBeCloseTo(2 * (1 - (2 / Math.PI) * Math.atan(tS)), 10);
    expect(formatDifference(sRow.result)).toMatch(/^−0\.205 \[−0\.21\d, −0\.20\d\]$/);
    expect(c.claims.map((r) => [`${r.claim.better}>${r.claim.worse}`, claimVerdict(r.result!, r.adjustedP!)])).toEqual([
      ['ST+>ST', 'holds (Holm p = 0.010)'],
      ['ST>T', expect.stringMatching(/^not clear: same direction \(Holm p = /)],
      ['ST>S', 'holds (Holm p = 0.031)'],
    ]);
    // Older results: no floor recorded, checkpoints chosen on the reported videos.
    expect([...c.floors.values()].every((f) => f.floor === null && f.learned === null)).toBe(true);
  });

  it('report.md and report.html show the comparison, claims, selection and floor sections', async () => {
    const dir = writeFixtureSweep('recurrence', recurrenceScore, ['seed=1,2,3']);
    const md = fs.readFileSync(writeSweepReport(dir, 'recurrence'), 'utf8');
    expect(md).toContain('## Paired comparison with the baseline (`ST`)');
    expect(md).toContain('| variant | baseline | Δ J&F-Mean (mean [95% interval]) | seeds × videos | d_z | p (Holm) | clear? |');
    expect(md).toMatch(/\| `ST\+` \| `ST` \| \+0\.100 \[\+0\.09\d, \+0\.1\d\d\] \| 3 seeds \| \+10\.00 \| 0\.010 \| yes \(Holm p = 0\.010\) \|/);
    expect(md).toContain("## The paper's claims");
    expect(md).toMatch(
      /\| ST\+ > ST \(model.mode=one_shot\) \| RVOS one-shot ablation \(YouTube-VOS, ResNet-101\): ST\+ 56.3 vs ST 54.9 \| ST\+ vs ST: \+0\.100 \[.*\] \| 3 seeds \| \+10\.00 \| holds \(Holm p = 0\.010\) \|/,
    );
    expect(md).toContain('## Test score, checkpoint and floor');
    expect(md).toContain(
      '| `ST+` | 3 | 0.720 [0.700, 0.730] | – | selected on test videos (old protocol) | floor not recorded (results from before floors were computed) |',
    );
    expect(md.indexOf('## Paired comparison')).toBeLessThan(md.indexOf('## Runs'));
    const html = await renderHtmlReport(dir);
    expect(html).toContain('<h2>Paired comparison with the baseline (ST)</h2>');
    expect(html).toMatch(
      /<td>ST\+<\/td><td>ST<\/td><td>\+0\.100 \[[^\]]+\]<\/td><td>3 seeds<\/td><td>\+10\.00<\/td><td>0\.010<\/td><td>yes \(Holm p = 0\.010\)<\/td>/,
    );
    expect(html).toContain('<h2>Test score, checkpoint and floor</h2>');
  }, 30_000);

  it('test-split runs with a floor: a variant below its floor has not learned the task and its comparisons are not drawn', async () => {
    // Per seed and video: base + a small pattern; copy-first scores 0.55 on every video.
    const base: Record<string, number> = { S: 0.5, T: 0.6, ST: 0.62, 'ST+': 0.72 };
    const videos = (o: string[]) =>
      Array.from({ length: 10 }, (_, k) => base[overrideValue(o, 'run.name')!]! + 0.01 * ((k * 7 + Number(overrideValue(o, 'seed'))) % 5));
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const dir = writeFixtureSweep(
      'recurrence',
      (o) => mean(videos(o)),
      ['seed=1,2,3,4,5', 'train.steps=600'],
      (o) =>
        testProtocol(
          videos(o),
          videos(o).map((x) => x - 0.01),
          [100, 200, 300].map((step) => ({ step, score: base[overrideValue(o, 'run.name')!]! * (step / 300) })),
        ),
    );
    const config = loadRunConfig(path.join(dir, '0')).config;
    const floorGlobal = { 'J&F-Mean': 0.55, 'J-Mean': 0.5, 'J-Recall': 0.4, 'J-Decay': 0.1, 'F-Mean': 0.6, 'F-Recall': 0.5, 'F-Decay': 0.1 };
    fs.writeFileSync(
      path.join(dir, FLOORS_FILE),
      JSON.stringify({
        floors: [
          {
            key: floorKey(config, 'semi_supervised'),
            task: 'semi_supervised',
            name: 'copy_first',
            split: 'test',
            global: floorGlobal,
            perSequence: Array.from({ length: 10 }, (_, k) => ({ name: `video${String(k).padStart(2, '0')}`, jAndF: 0.55 })),
          },
        ],
        missing: [],
      }),
    );
    const variants = groupVariants(readSweep(dir));
    const c = sweepComparisons(variants, readSweepFloors(dir));
    const byName = (n: string) => variants.find((v) => c.labels.get(v) === n)!;
    expect(c.floors.get(byName('S'))!.learned).toBe(false);
    expect(c.floors.get(byName('ST'))!.learned).toBe(true);
    expect(c.floors.get(byName('ST'))!.test!.videosPerSeed).toBe(10);
    const sRow = c.rows.find((r) => r.variant === byName('S'))!;
    expect(sRow.excluded).toBe('not drawn: S has not learned the task (not above the floor)');
    expect(sRow.adjustedP).toBeNaN();
    expect(c.claims.find((r) => r.claim.worse === 'S')!.excluded).toContain('S has not learned the task');
    expect(c.tests).toBe(2); // T vs ST and ST+ vs ST; the S pair is not counted
    expect(variants.every((v) => v.protocol === 'test')).toBe(true);
    expect(byName('ST+').final.mean).toBeCloseTo(byName('ST+').metrics['J&F-Mean'].mean - 0.01, 12);
    const md = fs.readFileSync(writeSweepReport(dir, 'recurrence'), 'utf8');
    expect(md).toContain('| floor: copy the first mask | semi_supervised | – | 0.550 | 0.500 |');
    expect(md).toMatch(
      /\| `S` \| 5 \| 0\.5\d\d \[[^\]]+\] \| 0\.5\d\d ± 0\.0\d\d \| validation split \| has not learned the task: Δ vs floor −0\.0\d\d \[[^\]]+\] \|/,
    );
    expect(md).toMatch(/\| `ST` \| 5 \| 0\.6\d\d \[[^\]]+\] \| [^|]+ \| validation split \| clears it: Δ vs floor \+0\.0\d\d \[[^\]]+\] \|/);
    expect(md).toContain('| `S` | `ST` |');
    expect(md).toMatch(/\| `S` \| `ST` \| [^|]+ \| 5 × 10 \| [^|]+ \| – \| not drawn: S has not learned the task/);
    // The runs table: the validation-selected checkpoint's test J&F, then the final step's (0.01 lower here).
    const s1 = mean(videos(['run.name=S', 'seed=1']));
    expect(md).toContain(`| 0 | \`S\` | 1 | ok | ${s1.toFixed(3)} | ${(s1 - 0.01).toFixed(3)} | 600 | 600 |`);
    const html = await renderHtmlReport(dir);
    expect(html).toContain('Learning curves');
  }, 30_000);

  it("older runs: the final step's score is the last validation score (the same videos), and its Δ is shown beside the selected one", () => {
    // ST+ selected its best checkpoint; at the last step (600) it had fallen 0.08 below it, ST only 0.01.
    const drop: Record<string, number> = { S: 0.01, T: 0.01, ST: 0.01, 'ST+': 0.08 };
    const dir = writeFixtureSweep('recurrence', recurrenceScore, ['seed=1,2,3', 'train.steps=600'], (o) => {
      const x = recurrenceScore(o);
      return {
        validation: [300, 600].map((step) => ({ step, score: step === 600 ? x - drop[overrideValue(o, 'run.name')!]! : x, tensors: 0, bytes: 0, rss: 0 })),
      };
    });
    const variants = groupVariants(readSweep(dir));
    const c = sweepComparisons(variants);
    const plus = c.rows.find((r) => c.labels.get(r.variant) === 'ST+')!;
    expect(plus.result.mean).toBeCloseTo(0.1, 12);
    expect(plus.final.mean).toBeCloseTo(0.03, 12);
    expect(variants.find((v) => c.labels.get(v) === 'ST+')!.final.mean).toBeCloseTo((0.7 + 0.73 + 0.73) / 3 - 0.08, 12);
    const md = fs.readFileSync(writeSweepReport(dir, 'recurrence'), 'utf8');
    expect(md).toMatch(/\| `ST\+` \| `ST` \| \+0\.100 \[[^\]]+\] \| 3 seeds \| [^|]+ \| [^|]+ \| [^|]+ \| \+0\.030 \[[^\]]+\] \|/);
    expect(md).toContain('| 9 | `ST+` | 1 | ok | 0.700 | 0.620 | 600 | 600 |');
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
      'global · model.mode=zero_shot vs none · model.mode=zero_shot: +0.100 [+0.100, +0.100]',
      'global · model.mode=one_shot vs none · model.mode=one_shot: +0.100 [+0.100, +0.100]',
      'local · model.mode=zero_shot vs none · model.mode=zero_shot: +0.200 [+0.200, +0.200]',
      'local · model.mode=one_shot vs none · model.mode=one_shot: +0.200 [+0.200, +0.200]',
      'both · model.mode=zero_shot vs none · model.mode=zero_shot: +0.300 [+0.300, +0.300]',
      'both · model.mode=one_shot vs none · model.mode=one_shot: +0.300 [+0.300, +0.300]',
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
    expect(md).toContain('| `model.mode=one_shot` | `model.mode=zero_shot` | +0.400 | 1 seed | – | – | needs ≥ 2 seeds; different protocols');
    expect(md).toMatch(
      /\| model.mode=one_shot > model.mode=zero_shot \| RVOS .* \| model.mode=one_shot vs model.mode=zero_shot: \+0.400 \| 1 seed \| – \| needs ≥ 2 seeds \|/,
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
    expect(c.rows[0]!.result.seeds).toBe(2);
    expect(c.claims).toEqual([{ claim: expect.anything(), missing: 'not in this sweep (no ST with model.mode=zero_shot)' }]);
  });
});

describe("a sweep's report settings", () => {
  it("come from the sweep's own experiment, not from a re-used run's record (which holds the settings of the experiment that trained it)", () => {
    const dir = writeFixtureSweep('main', (o) => (overrideValue(o, 'model.mode') === 'one_shot' ? 0.66 : 0.34), ['seed=1,2']);
    // The zero-shot jobs (0, 1) are copies of recurrence_zero_shot's S runs: their records carry
    // that experiment's claims (ST > S, ST > T) and variant names.
    const copyOf = (index: number, seed: number) => {
      const runDir = path.join(dir, String(index));
      saveRunConfig(
        runDir,
        composeConfig({
          configDir: 'configs',
          overrides: ['experiment=recurrence_zero_shot', 'run.name=S', 'model.recurrence=S', 'train.stages=null', `seed=${seed}`],
        }),
      );
      fs.writeFileSync(path.join(runDir, REUSED_FILE), JSON.stringify({ from: `elsewhere/${index}`, copied: '2026-12-07T00:00:00Z' }));
    };
    copyOf(0, 1);
    copyOf(1, 2);
    const settingsOf = () => {
      const c = sweepComparisons(groupVariants(readSweep(dir)));
      return {
        labels: [...c.labels.values()].sort(),
        claims: c.claims.map((r) => `${r.claim.better} > ${r.claim.worse}: ${r.result === undefined ? 'untested' : 'tested'}`),
      };
    };
    expect(settingsOf()).toEqual({ labels: ['one_shot', 'zero_shot'], claims: ['one_shot > zero_shot: tested'] });
    // Every run a copy: the first job's overrides composed with today's configs (main.yaml's settings).
    copyOf(2, 1);
    copyOf(3, 2);
    expect(settingsOf()).toEqual({ labels: ['one_shot', 'zero_shot'], claims: ['one_shot > zero_shot: tested'] });
  });
});
