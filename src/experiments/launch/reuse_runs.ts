/**
 * Re-using finished runs across sweeps: several experiments share runs (the main job's one-shot
 * run is the recurrence ablation's ST+ and the baselines' RVOS row; zero_vs_one_shot's runs are
 * matching_inputs' "none"). `rvos experiment NAME --reuse DIR` copies a finished run of DIR into
 * a job's empty folder when the two configs agree on everything that changes what is computed, so
 * the job is not trained a second time. The copy keeps the source's own record (.hydra/,
 * results.json) and gains `reused.json`, which the reports show.
 */
import fs from 'node:fs';
import path from 'node:path';
import { configDifferences, HYDRA_SUBDIR, loadRunConfig, type RvosConfig } from '../../config/index.js';
import { runDirState } from '../../logging/run_dir.js';
import { ConfigError } from '../../utils/errors.js';
import { writeFileAtomic } from '../../utils/fs.js';
import { jobRunDir } from './launcher.js';
import { readReused, REUSED_FILE, type ReusedRecord } from '../run/sweep_job.js';

/** Keys that name, place or schedule a run without changing what it computes. */
export const REUSE_IGNORED = [/^run\./, /^sweep\./, /^report\./, /^launcher\./, /^data\.prefetch$/];

interface Candidate {
  dir: string;
  config: RvosConfig;
}

/** Finished runs of a sweep folder (its numbered job folders), or the folder itself when it is one run. */
function finishedRuns(source: string): Candidate[] {
  if (!fs.existsSync(source) || !fs.statSync(source).isDirectory()) {
    throw new ConfigError(`--reuse ${source}: no such folder; name a sweep folder (or run folder) whose finished runs to re-use`);
  }
  const dirs = fs.existsSync(path.join(source, HYDRA_SUBDIR))
    ? [source]
    : fs
        .readdirSync(source)
        .filter((e) => /^\d+$/.test(e))
        .sort((a, b) => Number(a) - Number(b))
        .map((e) => path.join(source, e));
  const runs: Candidate[] = [];
  for (const dir of dirs) {
    if (runDirState(dir).kind !== 'finished' || !fs.existsSync(path.join(dir, HYDRA_SUBDIR, 'config.yaml'))) continue;
    runs.push({ dir, config: loadRunConfig(dir).config });
  }
  return runs;
}

/** Where a run's results were first computed (following an earlier copy's record). */
function originOf(dir: string): string {
  return readReused(dir)?.from ?? dir;
}

/**
 * For every job whose folder in `sweepDir` holds nothing yet, copies the first finished run of
 * `sources` whose config matches the job's (REUSE_IGNORED aside). The copy is made under a
 * temporary name and renamed into place, so an interrupted copy leaves no half run. Returns the
 * job indices filled.
 */
export function reuseFinishedRuns(sweepDir: string, jobs: { index: number; config: RvosConfig }[], sources: string[], log: (line: string) => void): number[] {
  const candidates = sources.flatMap(finishedRuns);
  const filled: number[] = [];
  for (const job of jobs) {
    const runDir = jobRunDir(sweepDir, job.index);
    if (runDirState(runDir).kind !== 'empty') continue;
    const match = candidates.find((c) => path.resolve(c.dir) !== path.resolve(runDir) && configDifferences(c.config, job.config, REUSE_IGNORED).length === 0);
    if (match === undefined) continue;
    const tmp = path.join(sweepDir, `.${job.index}.${process.pid}.tmp`);
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.cpSync(match.dir, tmp, { recursive: true, filter: (src) => !path.basename(src).startsWith('.rvos.lock') });
    const record: ReusedRecord = { from: originOf(match.dir), copied: new Date().toISOString() };
    writeFileAtomic(path.join(tmp, REUSED_FILE), `${JSON.stringify(record, null, 2)}\n`);
    // The job folder holds at most logs or a lock (runDirState 'empty'): replace it.
    fs.rmSync(runDir, { recursive: true, force: true });
    fs.renameSync(tmp, runDir);
    filled.push(job.index);
    log(`  job ${job.index}: re-used the finished run ${record.from} (same config)`);
  }
  return filled;
}
