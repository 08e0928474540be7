import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupVariants, meanStd, readSweep, variantOverrides } from '../../src/experiments/report/sweep_results.js';
import { renderMarkdown, writeSweepReport } from '../../src/experiments/report/report_md.js';
import { EvalError } from '../../src/utils/errors.js';

function global(jf: number) {
  return { 'J&F-Mean': jf, 'J-Mean': jf - 0.05, 'J-Recall': 0.5, 'J-Decay': 0.1, 'F-Mean': jf + 0.05, 'F-Recall': 0.6, 'F-Decay': 0.2 };
}

/** A sweep folder as the launcher leaves it: 2 modes × 2 seeds, one failed job. */
function fakeSweep(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-sweep-'));
  const jobs = [
    { mode: 'zero_shot', seed: 1, jf: 0.4, status: 'ok' },
    { mode: 'zero_shot', seed: 2, jf: 0.6, status: 'ok' },
    { mode: 'one_shot', seed: 1, jf: 0.8, status: 'ok' },
    { mode: 'one_shot', seed: 2, jf: NaN, status: 'failed' },
  ].map((j, index) => {
    const runDir = path.join(dir, String(index));
    fs.mkdirSync(path.join(runDir, 'eval'), { recursive: true });
    const task = j.mode === 'one_shot' ? 'semi_supervised' : 'unsupervised';
    const results = j.status === 'ok' ? { task, seed: j.seed, steps: 10, trainSeconds: 5, global: global(j.jf) } : undefined;
    if (results) {
      const csv = `Sequence,J-Mean,F-Mean\nsynth-0001_1,${(j.jf - 0.1).toFixed(3)},${(j.jf + 0.1).toFixed(3)}\n`;
      fs.writeFileSync(path.join(runDir, 'eval', `per-sequence_results-${task === 'semi_supervised' ? 'semi-supervised' : 'unsupervised'}.csv`), csv);
    }
    return {
      index,
      overrides: ['experiment=main', `model.mode=${j.mode}`, `seed=${j.seed}`],
      runDir,
      status: j.status,
      exitCode: j.status === 'ok' ? 0 : 1,
      seconds: 1,
      results,
    };
  });
  fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ jobs }));
  return dir;
}

describe('sweep results and report', () => {
  it('meanStd is the sample mean and std (n − 1), ignoring NaN', () => {
    const s = meanStd([0.4, 0.6, NaN]);
    expect(s.n).toBe(2);
    expect(s.mean).toBeCloseTo(0.5, 12);
    expect(s.std).toBeCloseTo(Math.sqrt(0.02), 12);
    expect(meanStd([0.7])).toEqual({ mean: 0.7, std: 0, n: 1 });
    expect(meanStd([]).n).toBe(0);
  });

  it('variants are the overrides without seed / experiment / launcher', () => {
    expect(variantOverrides(['experiment=main', 'model.mode=one_shot', 'seed=3', 'launcher.jobs=2', '+train.x=1'])).toEqual([
      'model.mode=one_shot',
      '+train.x=1',
    ]);
  });

  it('groups jobs by variant with statistics over the finished seeds', () => {
    const variants = groupVariants(readSweep(fakeSweep()));
    expect(variants.map((v) => v.label)).toEqual(['model.mode=zero_shot', 'model.mode=one_shot']);
    const [zero, one] = variants;
    expect(zero!.metrics['J&F-Mean'].mean).toBeCloseTo(0.5, 12);
    expect(zero!.metrics['J&F-Mean'].n).toBe(2);
    expect(one!.metrics['J&F-Mean']).toEqual({ mean: 0.8, std: 0, n: 1 });
    expect(zero!.perObject.get('synth-0001_1')!.J.mean).toBeCloseTo(0.4, 6);
  });

  it('report.md shows mean ± std, the failed job and the per-sequence table', () => {
    const dir = fakeSweep();
    const md = fs.readFileSync(writeSweepReport(dir, 'Test sweep', 'context line'), 'utf8');
    expect(md).toContain('| `model.mode=zero_shot` | unsupervised | 2 | 0.500 ± 0.141 |');
    expect(md).toContain('| `model.mode=one_shot` | semi_supervised | 1 | 0.800 |');
    expect(md).toMatch(/\| 3 \| `model.mode=one_shot` \| 2 \| failed \|/);
    expect(md).toContain('| synth-0001_1 | 0.400 / 0.600 | 0.700 / 0.900 |');
    expect(md).toContain('context line');
    expect(renderMarkdown('x', [])).toContain('# x');
  });

  it('a folder without summary.json is a clear error', () => {
    expect(() => readSweep(os.tmpdir())).toThrow(EvalError);
    expect(() => readSweep(os.tmpdir())).toThrow(/summary.json is missing/);
  });
});
