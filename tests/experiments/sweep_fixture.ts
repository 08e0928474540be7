// A finished experiment sweep as `rvos experiment` leaves it (summary.json, multirun.yaml, each
// run's .hydra/ config and results.json), with J&F values chosen by the test; no training.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeConfig, saveRunConfig } from '../../src/config/index.js';
import { experimentJobs } from '../../src/experiments/launch/experiment.js';

export const CONFIG_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../configs');

/** Overrides that make an experiment's runs train in seconds: a few 32x32 videos, 2 steps, hidden 8 (data.root is the caller's). */
export const TINY_TRAINING = [
  'data.synth.train_videos=2',
  'data.synth.val_videos=1',
  'data.synth.test_videos=1',
  'data.synth.frames=4',
  'data.size=[32,32]',
  'data.batch_size=1',
  'data.clip_length=2',
  'data.prefetch=1',
  'model.hidden=8',
  'train.steps=2',
  'train.val_every=2',
  'train.ckpt_every=2',
  'seed=1',
];

function global(jf: number) {
  return { 'J&F-Mean': jf, 'J-Mean': jf - 0.05, 'J-Recall': 0.5, 'J-Decay': 0.1, 'F-Mean': jf + 0.05, 'F-Recall': 0.6, 'F-Decay': 0.2 };
}

/** results.json fields of the test-split protocol: per-video scores, the final step's, the validation curve. */
export function testProtocol(videos: number[], final?: number[], validation: { step: number; score: number }[] = []) {
  const perSequence = (v: number[]) => v.map((jAndF, i) => ({ name: `video${String(i).padStart(2, '0')}`, jAndF, j: jAndF, f: jAndF }));
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  return {
    split: 'test',
    global: global(mean(videos)),
    perSequence: perSequence(videos),
    ...(final === undefined ? {} : { final: { step: 600, global: global(mean(final)), perSequence: perSequence(final) } }),
    validation: validation.map((p) => ({ ...p, tensors: 0, bytes: 0, rss: 0 })),
  };
}

/**
 * Writes the sweep of `experiment` (its jobs in experimentJobs order) with `score(job overrides)`
 * as each run's J&F-Mean; a NaN score leaves the job failed (no results.json). `extra` adds or
 * replaces results.json fields per job (e.g. testProtocol(...)).
 */
export function writeFixtureSweep(
  experiment: string,
  score: (overrides: string[]) => number,
  overrides: string[] = [],
  extra: (overrides: string[]) => Record<string, unknown> = () => ({}),
): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `rvos-${experiment}-`));
  const jobs = experimentJobs(experiment, CONFIG_DIR, overrides).map((jobOverrides, index) => {
    const runDir = path.join(dir, String(index));
    const composed = composeConfig({ configDir: CONFIG_DIR, overrides: jobOverrides });
    saveRunConfig(runDir, composed);
    const jf = score(jobOverrides);
    const c = composed.config;
    const task = c.model.mode === 'one_shot' ? 'semi_supervised' : 'unsupervised';
    const results = Number.isNaN(jf)
      ? undefined
      : {
          task,
          mode: c.model.mode,
          recurrence: c.model.recurrence,
          seed: c.seed,
          steps: c.train.steps,
          bestStep: c.train.steps,
          stoppedEarly: false,
          resumedFrom: null,
          trainSeconds: 100,
          evalSeconds: 10,
          backend: 'wasm',
          global: global(jf),
          validation: [],
          ...extra(jobOverrides),
        };
    if (results !== undefined) fs.writeFileSync(path.join(runDir, 'results.json'), JSON.stringify(results));
    return { index, overrides: jobOverrides, runDir, status: results ? 'ok' : 'failed', exitCode: results ? 0 : 1, seconds: 110, results };
  });
  fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ jobs }));
  fs.writeFileSync(path.join(dir, 'multirun.yaml'), `experiment: ${experiment}\njobs:\n${jobs.map((j) => `  - ${JSON.stringify(j.overrides)}`).join('\n')}\n`);
  return dir;
}

/** The value of `key=` in a job's overrides (e.g. seed, run.name). */
export function overrideValue(overrides: string[], key: string): string | undefined {
  return overrides.find((o) => o.startsWith(`${key}=`))?.slice(key.length + 1);
}
