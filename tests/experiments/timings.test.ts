// Wall-time estimates from recorded timings, job labels of the live display, and --seeds.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeConfig } from '../../src/config/index.js';
import { experimentJobs, seedsOverride } from '../../src/experiments/launch/experiment.js';
import { estimateLine, jobLabels, makespan } from '../../src/experiments/launch/sweep_watch.js';
import { estimateJobSeconds, readTimings, recordTiming, speedKey, type TimingRecord } from '../../src/experiments/run/timings.js';
import type { RunResults } from '../../src/experiments/run/run.js';
import { ConfigError } from '../../src/utils/errors.js';
import { CONFIG_DIR } from './sweep_fixture.js';

const compose = (...overrides: string[]) => composeConfig({ configDir: CONFIG_DIR, overrides: ['experiment=zero_vs_one_shot', ...overrides] }).config;

function results(steps: number, validations: number, trainSeconds: number, evalSeconds: number): RunResults {
  return {
    steps,
    trainSeconds,
    evalSeconds,
    validation: Array.from({ length: validations }, (_, i) => ({ step: i, score: 0, tensors: 0, bytes: 0, rss: 0 })),
  } as unknown as RunResults;
}

describe('recorded timings and the wall-time estimate', () => {
  it('the speed key ignores the seed and the step schedule, not the mode', () => {
    const base = speedKey(compose('model.mode=one_shot'));
    expect(speedKey(compose('model.mode=one_shot', 'seed=9', 'train.steps=2000', 'train.val_every=250'))).toBe(base);
    expect(speedKey(compose('model.mode=zero_shot'))).not.toBe(base);
  });

  it('estimates steps × s/step + (validations + 1) × eval s + start-up, medians over matching records of the same parallelism', () => {
    const config = compose('model.mode=one_shot');
    const key = speedKey(config);
    const records: TimingRecord[] = [
      { key, parallel: 2, steps: 600, validations: 6, trainSeconds: 260, evalSeconds: 10, seconds: 280 }, // 1/3 s/step, 10 s start-up
      { key, parallel: 2, steps: 600, validations: 6, trainSeconds: 320, evalSeconds: 10, seconds: 345 }, // 13/30 s/step, 15 s
      { key, parallel: 1, steps: 600, validations: 6, trainSeconds: 100, evalSeconds: 5, seconds: 110 }, // other parallelism: not used
      { key: 'other', parallel: 2, steps: 10, validations: 0, trainSeconds: 1, evalSeconds: 1, seconds: 2 },
    ];
    const e = estimateJobSeconds(records, compose('model.mode=one_shot', 'train.steps=2000', 'train.val_every=250'), 2)!;
    expect(e.records).toBe(2);
    expect(e.secondsPerStep).toBeCloseTo(23 / 60, 12);
    // 2000 × 23/60 + (8 + 1) × 10 + 12.5
    expect(e.seconds).toBeCloseTo(2000 * (23 / 60) + 90 + 12.5, 9);
    expect(estimateJobSeconds(records, config, 1)!.records).toBe(1);
    expect(estimateJobSeconds(records, compose('model.mode=zero_shot'), 2)).toBeNull();
  });

  it('records append to <run.root>/timings.jsonl and feed the line printed before a sweep', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-timings-'));
    const jobs = experimentJobs('zero_vs_one_shot', CONFIG_DIR, [`run.root=${root}`, 'seed=1,2,3', 'train.steps=600', 'train.val_every=100']).map(
      (overrides, index) => ({ index, overrides }),
    );
    const configs = jobs.map((j) => composeConfig({ configDir: CONFIG_DIR, overrides: j.overrides }).config);
    expect(estimateLine(jobs, configs, 2).line).toBe(
      `estimated wall time: unknown, no run of these settings recorded yet in ${root}/timings.jsonl (the live display estimates once the first steps run)`,
    );
    // One zero-shot and one one-shot run: 600 steps, 6 validations of 10 s, 200 s of steps, 10 s start-up → 290 s each.
    recordTiming(root, configs[0]!, 2, results(600, 6, 260, 10), 280);
    recordTiming(root, configs[3]!, 2, results(600, 6, 260, 10), 280);
    fs.appendFileSync(path.join(root, 'timings.jsonl'), 'not json\n');
    expect(readTimings(root)).toHaveLength(2);
    const { line, jobSeconds } = estimateLine(jobs, configs, 2);
    expect(jobSeconds).toBeCloseTo(280, 9); // 600/3 + 7 × 10 + 10
    // 6 runs of 280 s on 2 workers: 3 × 280 s = 14 min.
    expect(line).toBe(`estimated wall time: ~14m00s (6 run(s), 2 at a time, ~4m40s per run at ~3.00 steps/s, from 2 recorded run(s) in ${root}/timings.jsonl)`);
    // A resumed sweep (or one filled with --reuse) leaves its finished runs out: 4 runs on 2 workers.
    expect(estimateLine(jobs, configs, 2, new Set([0, 3])).line).toBe(
      `estimated wall time: ~9m20s (4 run(s), 2 at a time, ~4m40s per run at ~3.00 steps/s, from 2 recorded run(s) in ${root}/timings.jsonl; 2 finished run(s) re-used)`,
    );
    expect(estimateLine(jobs, configs, 2, new Set([0, 1, 2, 3, 4, 5])).line).toBe('estimated wall time: none, all 6 run(s) are finished');
  });

  it('makespan puts each job on the first free worker', () => {
    expect(makespan([300, 100, 100, 100], 2)).toBe(300);
    expect(makespan([100, 100, 100], 2)).toBe(200);
    expect(makespan([50], 4)).toBe(50);
  });
});

describe('job labels and --seeds', () => {
  it('labels name the variant (not its bundle) and the seed; shared overrides are left out', () => {
    const jobs = experimentJobs('recurrence', CONFIG_DIR, ['train.steps=20']).map((overrides, index) => ({ index, overrides }));
    const configs = jobs.map((j) => composeConfig({ configDir: CONFIG_DIR, overrides: j.overrides }).config);
    expect([...jobLabels(jobs, configs).values()]).toEqual(['S', 'T', 'ST', 'ST+'].flatMap((n) => [1, 2, 3, 4, 5].map((s) => `${n} seed=${s}`)));
    const modes = experimentJobs('zero_vs_one_shot', CONFIG_DIR, ['seed=1']).map((overrides, index) => ({ index, overrides }));
    expect([
      ...jobLabels(
        modes,
        modes.map((j) => composeConfig({ configDir: CONFIG_DIR, overrides: j.overrides }).config),
      ).values(),
    ]).toEqual(['mode=zero_shot seed=1', 'mode=one_shot seed=1']);
  });

  it('--seeds N is seed=1,...,N; bad values and a second seed= are one-line errors', () => {
    expect(seedsOverride('3', [])).toBe('seed=1,2,3');
    expect(seedsOverride('1', ['train.steps=5'])).toBe('seed=1');
    expect(experimentJobs('recurrence', CONFIG_DIR, [seedsOverride('5', [])])).toHaveLength(20);
    expect(() => seedsOverride('0', [])).toThrow(ConfigError);
    expect(() => seedsOverride('two', [])).toThrow(/--seeds two: expected a positive whole number of seeds, e.g. --seeds 3/);
    expect(() => seedsOverride('3', ['seed=4'])).toThrow(/give one of them/);
  });
});

describe('rvos experiment --seeds on the command line', () => {
  it('a bad --seeds value is a one-line error, before anything runs', async () => {
    const { main } = await import('../../src/cli/index.js');
    const errors: string[] = [];
    const original = console.error;
    console.error = (line: string) => errors.push(line);
    try {
      expect(await main(['experiment', 'zero_vs_one_shot', '--seeds', '0', '--config-dir', CONFIG_DIR])).toBe(1);
    } finally {
      console.error = original;
    }
    expect(errors).toEqual(['rvos experiment: ConfigError: --seeds 0: expected a positive whole number of seeds, e.g. --seeds 3 (runs seeds 1, 2, 3)']);
  });
});
