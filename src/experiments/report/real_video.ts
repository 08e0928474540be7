/**
 * The "Real video" section of a sweep report: every finished run of an experiment scored on a
 * DAVIS-2016 folder (data.real_root, else $DAVIS2016_ROOT or $DAVIS_ROOT) with DAVIS-2016's rules
 * (src/eval/davis2016.ts): one-shot runs semi-supervised, zero-shot runs as unsupervised foreground
 * (the union of their instances). The folder only reports: nothing is trained or chosen on it (the
 * checkpoint is the one the synthetic validation split chose). Floors on the same videos: the
 * copy-first mask (one-shot) and the non-learned zero-shot predictors (`empty`, `motion_blob`).
 *
 * Written per run to `<runDir>/real.json` and for the sweep to `<sweepDir>/real_video.json`, which
 * report.md and report.html read (docs/real_video.md, "rvos experiment real").
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EvalTask } from '../../data/types.js';
import { ConfigError } from '../../utils/errors.js';
import { writeFileAtomic } from '../../utils/fs.js';
import {
  readSweepVideoScores,
  floorLabel,
  groupedMean,
  interval,
  LEVEL,
  meanOf,
  scoreRunOnVideos,
  scoreSweepOnVideos,
  signed,
  videoMean,
  type RunVideoScore,
  type VideoFloorScore,
  type VideoScoresTable,
  type VideoScore,
} from './score_videos.js';
import type { SweepJobResult, Variant } from './sweep_results.js';

export const REAL_VIDEO_FILE = 'real_video.json';
export const RUN_REAL_FILE = 'real.json';
/** DAVIS-2016's evaluation split (its 20 val videos; the test-dev videos have no public masks). */
export const REAL_SPLIT = 'val';
const ENV_KEYS = ['DAVIS2016_ROOT', 'DAVIS_ROOT'] as const;

export interface RealRoot {
  root: string;
  /** Where it came from: `data.real_root` or the environment variable's name. */
  from: string;
}

/** The DAVIS-2016 folder to score on: data.real_root, else $DAVIS2016_ROOT, else $DAVIS_ROOT; null when none is set. */
export function realVideoRoot(data: { real_root?: string | null }, env: NodeJS.ProcessEnv = process.env): RealRoot | null {
  if (data.real_root !== undefined && data.real_root !== null) return { root: data.real_root, from: 'data.real_root' };
  for (const key of ENV_KEYS) {
    const value = env[key];
    if (value !== undefined && value !== '') return { root: value, from: key };
  }
  return null;
}

/** Refuses a configured folder that is not there before anything trains (the scores come after training). */
export function checkRealVideoRoot(real: RealRoot | null): void {
  if (real === null || fs.existsSync(real.root)) return;
  throw new ConfigError(
    `${real.from}=${real.root}: no such folder; point it at a DAVIS-2016 folder (docs/real_video.md) or unset it to skip the real-video scores`,
  );
}

/** The line an experiment logs when no folder is configured. */
export const REAL_VIDEO_SKIPPED = 'real video: skipped (no DAVIS-2016 folder: set data.real_root, DAVIS2016_ROOT or DAVIS_ROOT to score the runs on one)';

export type RealScore = VideoScore;
export type RealRunScore = RunVideoScore;
export type RealFloor = VideoFloorScore;

export interface RealVideo {
  root: string;
  from: string;
  split: string;
  /** The scoring rules: DAVIS-2016's (one binary object per video). */
  protocol: 'davis2016';
  runs: RealRunScore[];
  floors: RealFloor[];
  /** Runs or floors that could not be scored, with the first line of why. */
  missing: { what: string; reason: string }[];
}

const source = (root: string, split: string) => ({ dataset: 'davis2016' as const, root, split, protocol: 'davis2016' as const });

/** One run's saved model over the folder's split, with the task of its mode. */
export async function scoreRunOnRealVideo(runDir: string, root: string, split = REAL_SPLIT): Promise<RealScore & { predictSeconds: number; frames: number }> {
  return scoreRunOnVideos(runDir, source(root, split));
}

/**
 * Scores every finished run of a sweep and the floors on `real`'s split and writes
 * `<runDir>/real.json` per run and `<sweepDir>/real_video.json`. A run or floor that fails is
 * listed under `missing` with the reason rather than failing the report.
 */
export async function writeRealVideo(sweepDir: string, jobs: SweepJobResult[], real: RealRoot, log: (line: string) => void = () => {}): Promise<RealVideo> {
  const fields = { root: real.root, split: REAL_SPLIT, protocol: 'davis2016' as const };
  const scores = await scoreSweepOnVideos(jobs, source(real.root, REAL_SPLIT), { runFile: RUN_REAL_FILE, fields, label: 'real video', log });
  const out: RealVideo = { root: real.root, from: real.from, split: REAL_SPLIT, protocol: 'davis2016', ...scores };
  writeFileAtomic(path.join(sweepDir, REAL_VIDEO_FILE), `${JSON.stringify(out, null, 2)}\n`);
  return out;
}

/**
 * A sweep's real-video scores: real_video.json, else the `real` of its summary.json (a committed
 * summary); null when neither has them (no folder was configured) or the file is unreadable.
 */
export function readRealVideo(sweepDir: string): RealVideo | null {
  return readSweepVideoScores<RealVideo>(sweepDir, REAL_VIDEO_FILE, 'real');
}

const TASK_NAMES: Record<EvalTask, string> = { semi_supervised: 'semi-supervised', unsupervised: 'unsupervised foreground' };

/**
 * The section's table: one row per variant (runs scored on the folder) and one per floor, with
 * mean over seeds and videos and its bootstrap interval (seeds, then videos), as the test tables.
 */
export function realVideoTable(variants: Variant[], real: RealVideo, label: (v: Variant) => string): VideoScoresTable {
  const byIndex = new Map(real.runs.map((r) => [r.index, r]));
  const copy = real.floors.find((f) => f.name === 'copy_first');
  const videos = new Set([...real.runs, ...real.floors].flatMap((s) => s.perSequence.map((p) => p.name))).size;
  const header = ['variant', 'task', 'n', `J&F [${LEVEL}]`, `J [${LEVEL}]`, 'F', 'J&F − copy-first floor'];
  const rows: string[][] = [];
  for (const v of variants) {
    const runs = v.jobs.flatMap((j) => (byIndex.has(j.index) ? [byIndex.get(j.index)!] : []));
    if (runs.length === 0) continue;
    const task = runs[0]!.task;
    const jf = runs.map((r) => videoMean(r.perSequence, 'jAndF'));
    const mean = groupedMean(jf);
    rows.push([
      label(v),
      TASK_NAMES[task],
      String(runs.length),
      interval(jf),
      interval(runs.map((r) => videoMean(r.perSequence, 'j'))),
      interval(runs.map((r) => videoMean(r.perSequence, 'f'))).split(' [')[0]!,
      task === 'semi_supervised' && copy !== undefined ? signed(mean - meanOf(videoMean(copy.perSequence, 'jAndF'))) : '–',
    ]);
  }
  for (const f of real.floors) {
    rows.push([
      floorLabel(f),
      TASK_NAMES[f.task],
      '–',
      meanOf(videoMean(f.perSequence, 'jAndF')).toFixed(3),
      meanOf(videoMean(f.perSequence, 'j')).toFixed(3),
      meanOf(videoMean(f.perSequence, 'f')).toFixed(3),
      '–',
    ]);
  }
  const missing = real.missing.length === 0 ? '' : ` Not scored: ${real.missing.map((m) => `${m.what} (${m.reason})`).join('; ')}.`;
  const note =
    `Every run's validation-chosen checkpoint on the ${videos} videos of split '${real.split}' of the DAVIS-2016 folder ${real.root} (${real.from}), with DAVIS-2016's rules: one-shot runs semi-supervised (first mask given), zero-shot runs as unsupervised foreground (the union of their instances against the binary mask). ` +
    `Nothing was trained or chosen on these videos. Mean over seeds and videos (each video weighs the same) with a ${LEVEL} bootstrap interval over seeds, then videos. ` +
    `Floors: copy-first repeats the given first mask at each video's own resolution; empty and motion_blob are the non-learned zero-shot predictors, at the zero-shot runs' frame size.${missing}`;
  return { title: 'Real video (DAVIS-2016)', note, header, rows };
}
