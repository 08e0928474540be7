// `rvos experiment main --seeds N` (and `rvos main --seeds N`): seeds 1..N over both modes, and a
// report that pairs them by seed and video, with the floors and the corrected verdict.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { experimentJobs, seedsOverride } from '../../src/experiments/launch/experiment.js';
import { writeSweepReport } from '../../src/experiments/report/report_md.js';
import { CONFIG_DIR, overrideValue, testProtocol, writeFixtureSweep } from './sweep_fixture.js';

describe('the main job over seeds', () => {
  it('--seeds 5 runs seeds 1..5 of zero-shot and one-shot', () => {
    const jobs = experimentJobs('main', CONFIG_DIR, [seedsOverride('5', [])]);
    // Each mode is a variant with its own inputs: one-shot models have no use for the zero-shot ones.
    const variants = {
      zero_shot: 'run.name=zero_shot model.mode=zero_shot',
      one_shot: 'run.name=one_shot model.mode=one_shot model.inputs=[prev_mask] model.recurrence=ST train.stages=st_plus',
    };
    expect(jobs.map((j) => j.slice(1).join(' '))).toEqual(Object.values(variants).flatMap((v) => [1, 2, 3, 4, 5].map((s) => `${v} seed=${s}`)));
    // Without --seeds: one run per mode at the config's seed.
    expect(experimentJobs('main', CONFIG_DIR, [])).toEqual([
      ['experiment=main', 'run.name=zero_shot', 'model.mode=zero_shot'],
      ['experiment=main', 'run.name=one_shot', 'model.mode=one_shot', 'model.inputs=[prev_mask]', 'model.recurrence=ST', 'train.stages=st_plus'],
    ]);
  });

  it("its report compares one-shot with zero-shot per seed and video, Holm over the page's one pair", () => {
    const videos = (o: string[]) =>
      Array.from({ length: 8 }, (_, k) => (overrideValue(o, 'model.mode') === 'one_shot' ? 0.7 : 0.35) + 0.02 * ((k + Number(overrideValue(o, 'seed'))) % 3));
    const dir = writeFixtureSweep(
      'main',
      () => 0,
      [seedsOverride('5', [])],
      (o) => testProtocol(videos(o)),
    );
    const md = fs.readFileSync(writeSweepReport(dir, 'main'), 'utf8');
    // One-shot − zero-shot = 0.35 on every video of every seed: p = 2/(B + 1) from the bootstrap, 0 from the t-test.
    // The variants are labelled by their names (sweep.variants in configs/experiment/main.yaml).
    expect(md).toContain('| `one_shot` | `zero_shot` | +0.350 [+0.350, +0.350] | 5 × 8 | +∞ | < 0.001 | yes (Holm p < 0.001)');
    expect(md).toMatch(/\| one_shot > zero_shot \| .* \| 5 × 8 \| \+∞ \| holds \(Holm p < 0\.001\) \|/);
    expect(md).toContain('| `zero_shot` | 5 | 0.370 [');
    expect(md).toContain('| validation split |');
  });
});
