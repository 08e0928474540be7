/**
 * Scores every finished run of a sweep, and the non-learned floors, on one split of a folder of
 * videos the runs were not reported on: the report sections "Real video" (DAVIS-2016,
 * real_video.ts) and "Training-setting videos" (synthetic, seen_videos.ts). Each run uses its
 * validation-chosen saved model and its own task (one-shot semi-supervised, zero-shot
 * unsupervised); the floors are copy-first (one-shot) and the zero-shot predictors `empty` and
 * `motion_blob`. Also the table cells both sections share.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EvalTask } from '../../data/types.js';
import { bootstrapMean, CONFIDENCE } from '../../eval/bootstrap.js';
import type { DavisProtocol } from '../../eval/davis2016.js';
import { perSequenceScores, type SequenceScore } from '../../eval/per_sequence.js';
import { buildDavisEvaluation, type GlobalMetrics } from '../../eval/report.js';
import type { SequenceEvaluation } from '../../eval/sequence.js';
import { zeroShotFloorSegmenter, ZERO_SHOT_FLOORS } from '../../models/baselines/index.js';
import { writeFileAtomic } from '../../utils/fs.js';
import { openSplit } from '../run/datasets.js';
import { evaluateModel } from '../run/evaluate_model.js';
import { copyFirstOptions, copyFirstSegmenter } from '../run/floor.js';
import { segmenterOf } from '../run/model_family.js';
import { loadRun } from '../run/predict_dataset.js';
import { inferenceOptionsOf } from '../run/run.js';
import type { SweepJobResult } from './sweep_results.js';

/** The videos to score on: a split of a folder in a layout the readers know, and the rules to score with. */
export interface VideoSource {
  /** The reader: DAVIS-2016 (either layout) or DAVIS-2017 (generated synthetic folders too). */
  dataset: 'davis2016' | 'davis2017';
  root: string;
  split: string;
  protocol: DavisProtocol;
}

export interface VideoScore {
  task: EvalTask;
  global: GlobalMetrics;
  perSequence: SequenceScore[];
}

export interface RunVideoScore extends VideoScore {
  index: number;
  runDir: string;
  /** Wall seconds of prediction (frame decoding included). */
  predictSeconds: number;
  frames: number;
}

export type VideoFloorName = 'copy_first' | (typeof ZERO_SHOT_FLOORS)[number];

export interface VideoFloorScore extends VideoScore {
  name: VideoFloorName;
  /** [height, width] it predicted at ('native': each video's own resolution). */
  size: [number, number] | 'native';
}

/** Runs and floors of a sweep on one source; what could not be scored, with the first line of why. */
export interface SweepVideoScores {
  runs: RunVideoScore[];
  floors: VideoFloorScore[];
  missing: { what: string; reason: string }[];
}

/** One run's saved model over the source, with the task of its mode. */
export async function scoreRunOnVideos(runDir: string, source: VideoSource): Promise<VideoScore & { predictSeconds: number; frames: number }> {
  const loaded = await loadRun(runDir);
  try {
    const { config, task } = loaded;
    const opened = await openSplit({ ...config.data, dataset: source.dataset, root: source.root }, source.split, task, 'eval');
    const segmenter = segmenterOf(loaded.model, inferenceOptionsOf(config));
    const timing = { seconds: 0, cpuSeconds: 0, frames: 0 };
    const evaluation = await evaluateModel(segmenter, opened.sequences, {
      task,
      protocol: source.protocol,
      size: config.data.size,
      threshold: config.eval.threshold,
      warn: () => {},
      timing,
    });
    segmenter.dispose();
    return { task, global: evaluation.global, perSequence: perSequenceScores(evaluation), predictSeconds: timing.seconds, frames: timing.frames };
  } finally {
    loaded.model.dispose();
  }
}

const openSource = (source: VideoSource, task: EvalTask) =>
  openSplit({ dataset: source.dataset, root: source.root, on_error: 'raise' }, source.split, task, 'eval');

/** Copy-first on the source: each video at its own resolution, so the copied mask is the annotation's pixels. */
export async function copyFirstOnVideos(source: VideoSource): Promise<VideoFloorScore> {
  const dataset = await openSource(source, 'semi_supervised');
  const sequences: SequenceEvaluation[] = [];
  for (const seq of dataset.sequences) {
    const segmenter = copyFirstSegmenter(seq);
    const one = await evaluateModel(segmenter, [seq], { task: 'semi_supervised', protocol: source.protocol, ...copyFirstOptions(seq), warn: () => {} });
    segmenter.dispose();
    sequences.push(...one.sequences);
  }
  const evaluation = buildDavisEvaluation('semi_supervised', sequences);
  return { name: 'copy_first', size: 'native', task: 'semi_supervised', global: evaluation.global, perSequence: perSequenceScores(evaluation) };
}

/** A non-learned zero-shot predictor on the source, at the zero-shot runs' frame size. */
export async function zeroShotFloorOnVideos(
  name: (typeof ZERO_SHOT_FLOORS)[number],
  source: VideoSource,
  size: [number, number],
  threshold: number,
): Promise<VideoFloorScore> {
  const dataset = await openSource(source, 'unsupervised');
  const segmenter = zeroShotFloorSegmenter(name);
  try {
    const evaluation = await evaluateModel(segmenter, dataset.sequences, { task: 'unsupervised', protocol: source.protocol, size, threshold, warn: () => {} });
    return { name, size, task: 'unsupervised', global: evaluation.global, perSequence: perSequenceScores(evaluation) };
  } finally {
    segmenter.dispose();
  }
}

export const firstLine = (err: unknown): string => ((err as Error).message ?? String(err)).split('\n')[0]!;

export interface ScoreSweepOptions {
  /** Written per run: `<runDir>/<runFile>` with `fields` and the run's score. */
  runFile: string;
  fields: Record<string, unknown>;
  /** How log lines name the source (e.g. `real video`). */
  label: string;
  /** A job's score computed before (taken as it is, not scored again), or null. Asked before `skip`. */
  precomputed?: (job: SweepJobResult) => (VideoScore & { predictSeconds: number; frames: number }) | null;
  /** Jobs to leave out, with why (listed under `missing`). */
  skip?: (job: SweepJobResult) => string | null;
  log?: (line: string) => void;
}

/**
 * Scores every finished job of a sweep and the floors of their tasks on `source`. A run or floor
 * that fails is listed under `missing` with the reason rather than failing the report.
 */
export async function scoreSweepOnVideos(jobs: SweepJobResult[], source: VideoSource, opts: ScoreSweepOptions): Promise<SweepVideoScores> {
  const log = opts.log ?? (() => {});
  const out: SweepVideoScores = { runs: [], floors: [], missing: [] };
  const finished = jobs.filter((j) => j.results !== undefined);
  const { loadRunConfig } = await import('../../config/index.js');
  if (finished.length > 0) {
    const { initBackend } = await import('../../backend/index.js');
    await initBackend(loadRunConfig(finished[0]!.runDir).config.backend, { quiet: true });
  }
  for (const job of finished) {
    const before = opts.precomputed?.(job) ?? null;
    if (before !== null) {
      // The job's own index and folder, whatever the score's source called them.
      out.runs.push({ ...before, index: job.index, runDir: job.runDir });
      log(`${opts.label}: job ${job.index} J&F-Mean ${before.global['J&F-Mean'].toFixed(3)} (computed before, not scored again)`);
      continue;
    }
    const skipped = opts.skip?.(job) ?? null;
    if (skipped !== null) {
      out.missing.push({ what: `job ${job.index}`, reason: skipped });
      log(`${opts.label}: job ${job.index} not scored: ${skipped}`);
      continue;
    }
    try {
      const score = await scoreRunOnVideos(job.runDir, source);
      writeFileAtomic(path.join(job.runDir, opts.runFile), `${JSON.stringify({ ...opts.fields, ...score }, null, 2)}\n`);
      out.runs.push({ index: job.index, runDir: job.runDir, ...score });
      log(
        `${opts.label} (${score.task}, ${source.root} ${source.split}): job ${job.index} J&F-Mean ${score.global['J&F-Mean'].toFixed(3)}, J-Mean ${score.global['J-Mean'].toFixed(3)} (${score.frames} frames predicted in ${score.predictSeconds.toFixed(0)} s)`,
      );
    } catch (err) {
      out.missing.push({ what: `job ${job.index}`, reason: firstLine(err) });
      log(`${opts.label}: job ${job.index} not scored: ${firstLine(err)}`);
    }
  }
  const floors: [string, () => Promise<VideoFloorScore>][] = [];
  if (out.runs.some((r) => r.task === 'semi_supervised')) floors.push(['copy_first', () => copyFirstOnVideos(source)]);
  // The zero-shot floors predict at the size and threshold of the first zero-shot run scored.
  const zeroShotRun = out.runs.find((r) => r.task === 'unsupervised');
  if (zeroShotRun !== undefined) {
    const c = loadRunConfig(zeroShotRun.runDir).config;
    for (const name of ZERO_SHOT_FLOORS) floors.push([name, () => zeroShotFloorOnVideos(name, source, c.data.size, c.eval.threshold)]);
  }
  for (const [name, compute] of floors) {
    try {
      const floor = await compute();
      out.floors.push(floor);
      log(`${opts.label} floor ${name} (${floor.task}): J&F-Mean ${floor.global['J&F-Mean'].toFixed(3)}, J-Mean ${floor.global['J-Mean'].toFixed(3)}`);
    } catch (err) {
      out.missing.push({ what: `floor ${name}`, reason: firstLine(err) });
    }
  }
  return out;
}

// Table cells both sections share.

export const LEVEL = `${Math.round(CONFIDENCE * 100)}%`;

/** Mean over seeds, then videos, with its bootstrap interval (seeds, then videos); '–' when nothing is finite. */
export function interval(groups: number[][]): string {
  const kept = finiteGroups(groups);
  if (kept.length === 0) return '–';
  const b = bootstrapMean(kept);
  return `${b.mean.toFixed(3)} [${b.lo.toFixed(3)}, ${b.hi.toFixed(3)}]`;
}

/** The point estimate of interval(groups): NaN when nothing is finite. */
export function groupedMean(groups: number[][]): number {
  const kept = finiteGroups(groups);
  return kept.length === 0 ? NaN : bootstrapMean(kept).mean;
}

function finiteGroups(groups: number[][]): number[][] {
  return groups.map((g) => g.filter((x) => Number.isFinite(x))).filter((g) => g.length > 0);
}

export const videoMean = (scores: SequenceScore[], key: 'jAndF' | 'j' | 'f'): number[] => scores.map((s) => s[key]);

export function meanOf(values: number[]): number {
  const v = values.filter(Number.isFinite);
  return v.length === 0 ? NaN : v.reduce((a, b) => a + b, 0) / v.length;
}

export function signed(x: number): string {
  return Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}` : '–';
}

/** A floor's row label: its name, with the frame size it predicted at unless each video's own. */
export function floorLabel(f: VideoFloorScore): string {
  return `floor: ${f.name}${f.size === 'native' ? '' : ` (${f.size[0]}x${f.size[1]})`}`;
}

/**
 * A sweep's scores on other videos: `<sweepDir>/<file>`, else `summaryKey` of its summary.json (a
 * committed summary); null when neither has them or the file is unreadable (the report then leaves
 * the section out).
 */
export function readSweepVideoScores<T extends SweepVideoScores>(sweepDir: string, file: string, summaryKey: string): T | null {
  for (const [where, key] of [
    [path.join(sweepDir, file), null],
    [path.join(sweepDir, 'summary.json'), summaryKey],
  ] as const) {
    if (!fs.existsSync(where)) continue;
    try {
      const parsed = JSON.parse(fs.readFileSync(where, 'utf8')) as Record<string, unknown>;
      const scores = (key === null ? parsed : parsed[key]) as T | undefined;
      if (scores !== undefined && Array.isArray(scores.runs) && Array.isArray(scores.floors)) return scores;
    } catch {
      // Unreadable: no scores.
    }
  }
  return null;
}

/** A report section's table of scores on other videos (real video, training-setting videos). */
export interface VideoScoresTable {
  title: string;
  note: string;
  header: string[];
  rows: string[][];
}
