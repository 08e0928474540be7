/**
 * Where an interrupted run continues from: the newest intact checkpoint. A damaged one (missing,
 * unparsable or truncated files; checkpoint.ts checkpointProblem) is set aside rather than loaded,
 * and the pointer files are made to agree with the checkpoint the run continues from.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../utils/fs.js';
import { checkpointProblem, readCheckpointProgress, readPointer, stepDirName } from './checkpoint.js';

/** A checkpoint that cannot be loaded, with the reason. */
export interface DamagedCheckpoint {
  /** The step folder's name, e.g. step-000020. */
  name: string;
  problem: string;
}

export interface ResumePoint {
  /** The newest intact checkpoint at or before the one latest.json names; undefined when none is intact. */
  intact?: { step: number; name: string };
  /** Checkpoints newer than `intact` (from latest.json's down) that cannot be loaded, newest first. */
  damaged: DamagedCheckpoint[];
}

/**
 * Where a run can continue from: the checkpoint latest.json names if it is intact, else the newest
 * intact one before it (a damaged latest.json: the newest intact step folder). Read-only; reads
 * each candidate's state.json and the size of its tensors.bin.
 */
export function findResumePoint(checkpointsDir: string): ResumePoint {
  let folders: string[];
  try {
    folders = fs.readdirSync(checkpointsDir).filter((d) => /^step-\d+$/.test(d));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { damaged: [] };
    throw err;
  }
  const latest = readPointer(checkpointsDir, 'latest');
  const stepOf = (d: string) => Number(d.slice('step-'.length));
  const candidates = folders.filter((d) => latest === undefined || stepOf(d) < latest.step).sort((a, b) => stepOf(b) - stepOf(a));
  if (latest !== undefined) candidates.unshift(latest.dir);
  const damaged: DamagedCheckpoint[] = [];
  for (const name of candidates) {
    const dir = path.join(checkpointsDir, name);
    const problem = fs.existsSync(dir) ? checkpointProblem(dir) : `checkpoint ${dir} is missing`;
    if (problem === undefined) return { intact: { step: stepOf(name), name }, damaged };
    damaged.push({ name, problem });
  }
  return { damaged };
}

/**
 * Makes `point.intact` the checkpoint a resumed run continues from: each damaged step folder is
 * renamed to `<name>.damaged` (kept for inspection, ignored by pruning and loading), latest.json
 * names the intact one, and best.json the best step of its progress (removed when that folder is
 * gone), so the resumed run's pointers agree with its progress.
 */
export function adoptResumePoint(checkpointsDir: string, point: ResumePoint): void {
  if (point.intact === undefined) throw new RangeError('adoptResumePoint: no intact checkpoint');
  for (const d of point.damaged) {
    const from = path.join(checkpointsDir, d.name);
    if (!fs.existsSync(from)) continue;
    const to = `${from}.damaged`;
    fs.rmSync(to, { recursive: true, force: true });
    fs.renameSync(from, to);
  }
  const { step, name } = point.intact;
  writeFileAtomic(path.join(checkpointsDir, 'latest.json'), JSON.stringify({ step, dir: name }));
  const progress = readCheckpointProgress(path.join(checkpointsDir, name));
  const best = readPointer(checkpointsDir, 'best');
  if (best !== undefined && best.step === progress.bestStep && fs.existsSync(path.join(checkpointsDir, best.dir))) return;
  const bestName = progress.bestStep === null ? undefined : stepDirName(progress.bestStep);
  if (bestName !== undefined && checkpointProblem(path.join(checkpointsDir, bestName)) === undefined) {
    writeFileAtomic(path.join(checkpointsDir, 'best.json'), JSON.stringify({ step: progress.bestStep, dir: bestName, score: progress.bestScore }));
  } else {
    fs.rmSync(path.join(checkpointsDir, 'best.json'), { force: true });
  }
}
