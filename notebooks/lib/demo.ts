/**
 * The small runs the notebooks look at: a tiny config (48x48 synthetic videos, narrow decoder)
 * that trains in under a minute on 2 CPU cores, and where notebooks keep what they make
 * ($RVOS_NB_OUT, default results/notebooks). `RVOS_RUN` / `RVOS_SWEEP` point the notebooks at
 * an existing run or sweep folder instead (e.g. one made by `npm start`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { composeConfig, loadRunConfig } from '../../src/config/index.js';
import { officialTaskName, type DavisEvaluation } from '../../src/eval/report.js';
import { runTraining, type RunResults } from '../../src/experiments/run/run.js';
import { ConfigError, EvalError } from '../../src/utils/errors.js';

/** Folder for the notebooks' data, runs and sweeps. */
export function notebookOut(): string {
  return process.env.RVOS_NB_OUT ?? path.join('results', 'notebooks');
}

/**
 * Overrides for a run that trains in under a minute on 2 cores (150 steps; one-shot reaches
 * J&F ≈ 0.25–0.4 on the held-out videos). The data lives in <out>/data, generated on first use.
 */
export function tinyOverrides(options: { out?: string; steps?: number } = {}): string[] {
  const out = options.out ?? notebookOut();
  const steps = options.steps ?? 150;
  return [
    `data.root=${path.join(out, 'data')}`,
    'data.size=[48,48]',
    'data.max_objects=2',
    'data.synth.objects=[1,2]',
    // Pinned: notebooks share one data root, and the `main` experiment (the ablation notebook's sweep)
    // picks data=synthetic_small, whose difficulty must match the generated videos.
    'data.synth.difficulty=easy',
    // ... and the `main` experiment's data=synthetic_varied draws its videos from per-split settings: off here.
    'data.synth.variety=null',
    'data.synth.train_videos=6',
    'data.synth.val_videos=2',
    'data.synth.test_videos=2',
    'data.synth.frames=6',
    'data.batch_size=2',
    'data.clip_length=3',
    'model.hidden=16',
    `train.steps=${steps}`,
    `train.val_every=${Math.max(1, Math.round(steps / 3))}`,
    `train.ckpt_every=${Math.max(1, Math.round(steps / 3))}`,
    'train.lr=3e-3',
    'train.encoder_lr=3e-3',
  ];
}

/** Where the quickstart notebook trains its run. */
export function quickstartRunDir(): string {
  return path.join(notebookOut(), 'quickstart-run');
}

export interface DemoRunOptions {
  /** Environment variable naming an existing run to use instead (default RVOS_RUN). */
  env?: string;
  /** Folder name under notebookOut() (default the quickstart's run). */
  name?: string;
  /** Overrides on top of the tiny one-shot config. */
  overrides?: string[];
  log?: (line: string) => void;
}

/**
 * A finished run for a notebook to look at: the folder named by $RVOS_RUN (or `options.env`) when
 * set, else <notebookOut()>/<name>, trained now with the tiny one-shot config (plus `overrides`)
 * when it is not there yet or was made with an older config schema.
 */
export async function ensureDemoRun(options: DemoRunOptions = {}): Promise<string> {
  const given = process.env[options.env ?? 'RVOS_RUN'];
  if (given !== undefined && given !== '') {
    if (!fs.existsSync(path.join(given, 'results.json')))
      throw new EvalError(`${options.env ?? 'RVOS_RUN'}=${given} has no results.json; point it at a finished run folder`);
    return given;
  }
  const runDir = options.name === undefined ? quickstartRunDir() : path.join(notebookOut(), options.name);
  if (!fs.existsSync(path.join(runDir, 'results.json')) || !loadsWithCurrentSchema(runDir)) {
    fs.rmSync(runDir, { recursive: true, force: true });
    const composed = composeConfig({ configDir: 'configs', overrides: [...tinyOverrides(), 'model.mode=one_shot', ...(options.overrides ?? [])] });
    await runTraining(composed, { runDir, resume: false, progress: false, log: options.log ?? (() => undefined) });
  }
  return runDir;
}

/** False for a run made before a config schema change (its .hydra/config.yaml no longer validates). */
function loadsWithCurrentSchema(runDir: string): boolean {
  try {
    loadRunConfig(runDir);
    return true;
  } catch (err) {
    if (err instanceof ConfigError) return false;
    throw err;
  }
}

export function readRunResults(runDir: string): RunResults {
  return JSON.parse(fs.readFileSync(path.join(runDir, 'results.json'), 'utf8')) as RunResults;
}

/** The run's official evaluation with per-frame J and F per object (eval/results-<task>.json). */
export function readRunEvaluation(runDir: string): DavisEvaluation {
  const task = officialTaskName(readRunResults(runDir).task);
  return JSON.parse(fs.readFileSync(path.join(runDir, 'eval', `results-${task}.json`), 'utf8')) as DavisEvaluation;
}
