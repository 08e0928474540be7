/**
 * The small runs the notebooks look at: a tiny config (48x48 synthetic videos, narrow decoder)
 * that trains in under a minute on 2 CPU cores, and where notebooks keep what they make
 * ($RVOS_NB_OUT, default results/notebooks). `RVOS_RUN` / `RVOS_SWEEP` point the notebooks at
 * an existing run or sweep folder instead (e.g. one made by `npm start`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { composeConfig } from '../../src/config/index.js';
import type { DavisEvaluation } from '../../src/eval/report.js';
import { runTraining, type RunResults } from '../../src/experiments/run.js';
import { EvalError } from '../../src/utils/errors.js';

/** Folder for the notebooks' data, runs and sweeps. */
export function notebookOut(): string {
  return process.env.RVOS_NB_OUT ?? path.join('results', 'notebooks');
}

/** Overrides for a run that trains in well under a minute (one-shot reaches J&F ≈ 0.3–0.4). */
export function tinyOverrides(out: string = notebookOut()): string[] {
  return [
    `data.root=${path.join(out, 'data')}`,
    'data.size=[48,48]',
    'data.max_objects=2',
    // Every video has exactly model.slots objects: with fewer, one-shot prediction can paint an empty
    // slot's id, which the semi-supervised evaluation rejects (see the notebooks' README).
    'data.synth.objects=[2,2]',
    'data.synth.videos=8',
    'data.synth.val_videos=2',
    'data.synth.frames=6',
    'data.batch_size=2',
    'data.clip_length=3',
    'model.hidden=16',
    'train.steps=150',
    'train.val_every=50',
    'train.ckpt_every=50',
    'train.lr=3e-3',
    'train.encoder_lr=3e-3',
  ];
}

/** Where the quickstart notebook trains its run. */
export function quickstartRunDir(): string {
  return path.join(notebookOut(), 'quickstart-run');
}

/**
 * The run the other notebooks explore: $RVOS_RUN when set, else the quickstart's run, trained
 * now with the tiny one-shot config when it is not there yet.
 */
export async function ensureDemoRun(log: (line: string) => void = () => undefined): Promise<string> {
  const given = process.env.RVOS_RUN;
  if (given !== undefined && given !== '') {
    if (!fs.existsSync(path.join(given, 'results.json'))) throw new EvalError(`RVOS_RUN=${given} has no results.json; point it at a finished run folder`);
    return given;
  }
  const runDir = quickstartRunDir();
  if (!fs.existsSync(path.join(runDir, 'results.json'))) {
    fs.rmSync(runDir, { recursive: true, force: true });
    const composed = composeConfig({ configDir: 'configs', overrides: [...tinyOverrides(), 'model.mode=one_shot'] });
    await runTraining(composed, { runDir, resume: false, progress: false, log });
  }
  return runDir;
}

export function readRunResults(runDir: string): RunResults {
  return JSON.parse(fs.readFileSync(path.join(runDir, 'results.json'), 'utf8')) as RunResults;
}

/** The run's official evaluation with per-frame J and F per object (eval/results-<task>.json). */
export function readRunEvaluation(runDir: string): DavisEvaluation {
  const task = readRunResults(runDir).task === 'semi' ? 'semi-supervised' : 'unsupervised';
  return JSON.parse(fs.readFileSync(path.join(runDir, 'eval', `results-${task}.json`), 'utf8')) as DavisEvaluation;
}
