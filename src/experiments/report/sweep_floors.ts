/**
 * The floor of every results table (docs/results/README.md): what a predictor that learned nothing
 * scores on the same test videos. One-shot rows (RVOS one-shot, mobile_prior, SiamMask): copying
 * each object's given first mask into every later frame, at each video's own resolution, as
 * `rvos eval --floor copy_first` (src/experiments/run/floor.ts). Zero-shot rows: the better, on the
 * validation split, of `empty` (no object) and `motion_blob` (one blob of the camera-aligned frame
 * difference; src/models/baselines/motion_floor.ts), then scored on the test split, so the test
 * videos choose nothing.
 *
 * A sweep's floors are computed once from its runs' configs into `<sweepDir>/floors.json` and
 * copied into the committed `<name>.summary.json` (`floors`), so a committed page renders them
 * without the data.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadRunConfig, type RvosConfig } from '../../config/index.js';
import type { EvalTask } from '../../data/index.js';
import type { GlobalMetrics } from '../../eval/report.js';
import { zeroShotFloorSegmenter, ZERO_SHOT_FLOORS } from '../../models/baselines/index.js';
import type { VideoSegmenter } from '../../models/index.js';
import { writeFileAtomic } from '../../utils/fs.js';
import { ensureSyntheticDataset, openSplit } from '../run/datasets.js';
import { evaluateModel } from '../run/evaluate_model.js';
import { copyFirstOptions, copyFirstSegmenter } from '../run/floor.js';
import { buildDavisEvaluation } from '../../eval/report.js';
import type { SequenceScore, SweepJobResult } from './sweep_results.js';

export const FLOORS_FILE = 'floors.json';

export type FloorName = 'copy_first' | (typeof ZERO_SHOT_FLOORS)[number];

export interface FloorScore {
  /** Which data, split and protocol it was scored on (floorKey). */
  key: string;
  task: EvalTask;
  name: FloorName;
  /** The split the floor and the runs report (the test split, or the validation split of older configs). */
  split: string;
  /** Zero-shot: the candidates' J&F-Mean on the validation split, which chose `name`. */
  candidates?: { name: FloorName; validation: number }[];
  /** Zero-shot: the split that chose (the same as `split` for configs without a test split). */
  chosenOn?: string;
  global: GlobalMetrics;
  perSequence: SequenceScore[];
}

/** Floors that could not be computed, with why (the report says so in the floor row). */
export interface SweepFloors {
  floors: FloorScore[];
  missing: { key: string; task: EvalTask; reason: string }[];
}

/** The split a config's runs are reported on: the test split when the config has one. */
export function reportedSplit(config: RvosConfig): string {
  return (config.data as { test_split?: string }).test_split ?? config.data.val_split;
}

export function floorKey(config: RvosConfig, task: EvalTask): string {
  const d = config.data;
  return JSON.stringify({ dataset: d.dataset, root: d.root, split: reportedSplit(config), size: d.size, task });
}

/** Per-video J&F (mean of J and F over the video's objects) of an evaluation. */
function perSequenceOf(evaluation: Awaited<ReturnType<typeof evaluateModel>>): SequenceScore[] {
  return evaluation.sequences.map((s) => {
    const j = s.objects.reduce((a, o) => a + o.J.mean, 0) / Math.max(1, s.objects.length);
    const f = s.objects.reduce((a, o) => a + o.F.mean, 0) / Math.max(1, s.objects.length);
    return { name: s.sequence, jAndF: (j + f) / 2, j, f };
  });
}

async function score(config: RvosConfig, segmenter: VideoSegmenter, split: string, task: EvalTask) {
  const dataset = await openSplit(config.data, split, task, 'eval');
  const evaluation = await evaluateModel(segmenter, dataset.sequences, { task, size: config.data.size, threshold: config.eval.threshold, warn: () => {} });
  segmenter.dispose();
  return { global: evaluation.global, perSequence: perSequenceOf(evaluation) };
}

/** Copy-first, video by video at each one's own resolution and with a slot for each of its objects. */
async function scoreCopyFirst(config: RvosConfig, split: string) {
  const dataset = await openSplit(config.data, split, 'semi_supervised', 'eval');
  const sequences = [];
  for (const seq of dataset.sequences) {
    const segmenter = copyFirstSegmenter(seq);
    const one = await evaluateModel(segmenter, [seq], { task: 'semi_supervised', ...copyFirstOptions(seq), warn: () => {} });
    segmenter.dispose();
    sequences.push(...one.sequences);
  }
  const evaluation = buildDavisEvaluation('semi_supervised', sequences);
  return { global: evaluation.global, perSequence: perSequenceOf(evaluation) };
}

/** The floor of runs with `config` scored with `task`. */
export async function computeFloor(config: RvosConfig, task: EvalTask): Promise<FloorScore> {
  const split = reportedSplit(config);
  const key = floorKey(config, task);
  if (task === 'semi_supervised') {
    return { key, task, name: 'copy_first', split, ...(await scoreCopyFirst(config, split)) };
  }
  const candidates: { name: FloorName; validation: number }[] = [];
  for (const name of ZERO_SHOT_FLOORS) {
    const { global } = await score(config, zeroShotFloorSegmenter(name), config.data.val_split, task);
    candidates.push({ name, validation: global['J&F-Mean'] });
  }
  // Ties go to `empty`, the simpler one (it comes first).
  const best = candidates.reduce((a, b) => (b.validation > a.validation ? b : a));
  return {
    key,
    task,
    name: best.name,
    split,
    candidates,
    chosenOn: config.data.val_split,
    ...(await score(config, zeroShotFloorSegmenter(best.name as 'empty' | 'motion_blob'), split, task)),
  };
}

function runConfig(job: SweepJobResult): RvosConfig | null {
  try {
    return loadRunConfig(job.runDir).config;
  } catch {
    return null;
  }
}

/**
 * Computes the floors of every (data, split, task) of a sweep's finished runs and writes
 * `<sweepDir>/floors.json`. A floor that fails (say the data was moved) is listed as missing with
 * the reason rather than failing the report.
 */
export async function writeSweepFloors(sweepDir: string, jobs: SweepJobResult[], log: (line: string) => void = () => {}): Promise<SweepFloors> {
  const wanted = new Map<string, { config: RvosConfig; task: EvalTask }>();
  for (const job of jobs) {
    if (job.results === undefined) continue;
    const config = runConfig(job);
    if (config === null) continue;
    wanted.set(floorKey(config, job.results.task), { config, task: job.results.task });
  }
  const out: SweepFloors = { floors: [], missing: [] };
  if (wanted.size === 0) return out;
  const { initBackend } = await import('../../backend/index.js');
  await initBackend([...wanted.values()][0]!.config.backend, { quiet: true });
  for (const [key, { config, task }] of wanted) {
    try {
      await ensureSyntheticDataset(config.data);
      const floor = await computeFloor(config, task);
      log(`floor (${task}, ${config.data.root} ${floor.split}): ${floor.name} J&F-Mean ${floor.global['J&F-Mean'].toFixed(3)}`);
      out.floors.push(floor);
    } catch (err) {
      out.missing.push({ key, task, reason: (err as Error).message.split('\n')[0]! });
    }
  }
  writeFileAtomic(path.join(sweepDir, FLOORS_FILE), `${JSON.stringify(out, null, 2)}\n`);
  return out;
}

/** The floors of a sweep folder: floors.json, else the `floors` of its summary.json (a committed summary); null when neither has them. */
export function readSweepFloors(sweepDir: string): SweepFloors | null {
  for (const file of [path.join(sweepDir, FLOORS_FILE), path.join(sweepDir, 'summary.json')]) {
    if (!fs.existsSync(file)) continue;
    try {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SweepFloors> & { floors?: unknown };
      if (Array.isArray(parsed.floors)) return { floors: parsed.floors as FloorScore[], missing: parsed.missing ?? [] };
    } catch {
      // An unreadable file has no floors; the report says "not recorded".
    }
  }
  return null;
}
