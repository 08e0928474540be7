/**
 * Re-using finished runs across sweeps: several experiments share runs (the main job's one-shot
 * run is the recurrence ablation's ST+ and the baselines' RVOS row; zero_vs_one_shot's runs are
 * matching_inputs' "none"). `rvos experiment NAME --reuse DIR` copies a finished run of DIR into
 * a job's empty folder when the two configs agree on everything that changes what is computed, so
 * the job is not trained a second time. The copy keeps the source's own record (.hydra/,
 * results.json) and gains `reused.json`, which the reports show.
 *
 * A committed `<name>.summary.json` (docs/results/) can stand in for a sweep folder whose runs are
 * gone (a new machine): its jobs' results fill the matching jobs as results.json and the matched
 * config (.hydra/), with no weights, logs or loss curves. A summary records each job's resolved
 * config (`config`, `choices`), and a job matches on it, whatever the experiment files say today.
 * Older summaries record only the overrides; their jobs match when those overrides, composed with
 * this checkout's configs, give the job's config, which holds while the summary's commit (its
 * page's provenance) and this one compose them alike.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  composeConfig,
  configDifferences,
  HYDRA_SUBDIR,
  loadRunConfig,
  runConfigFromRecord,
  saveRunConfig,
  type ComposedConfig,
  type RunConfigRecord,
  type RvosConfig,
} from '../../config/index.js';
import { runDirState } from '../../logging/run_dir.js';
import { ConfigError } from '../../utils/errors.js';
import { writeFileAtomic } from '../../utils/fs.js';
import { RUN_SEEN_FILE } from '../report/seen_videos.js';
import { jobRunDir } from './launcher.js';
import { readReused, REUSED_FILE, type ReusedRecord } from '../run/sweep_job.js';

/** Keys that name, place or schedule a run without changing what it computes. */
export const REUSE_IGNORED = [/^run\./, /^sweep\./, /^report\./, /^launcher\./, /^data\.prefetch$/];

interface Candidate {
  /** The run folder, or `<summary file> job <index>` for a job of a committed summary. */
  dir: string;
  config: RvosConfig;
  /**
   * A committed summary's job: its results.json and composed config, written into the job folder
   * (nothing to copy), and its training-setting score when the summary carries one (written as
   * seen.json, which the "Training-setting videos" section then takes instead of scoring weights).
   */
  summary?: { results: Record<string, unknown>; composed: ComposedConfig; seen?: Record<string, unknown> };
}

/** Why the sweep needs each run's weights (a report section scored from checkpoints), or null when scores suffice. */
export type WeightsNeed = string | null;

/** The finished jobs of a committed summary, each with its recorded config (older summaries: its overrides composed by this checkout's configs). */
function summaryRuns(file: string, configDir: string, weightsNeed: WeightsNeed): Candidate[] {
  if (weightsNeed !== null) {
    throw new ConfigError(`--reuse ${file}: a committed summary holds scores, not weights, and ${weightsNeed}; re-use the sweep folder the summary came from`);
  }
  let jobs: ({ index: number; overrides: string[]; results?: Record<string, unknown> } & Partial<RunConfigRecord>)[];
  let seen: SummarySeen | undefined;
  try {
    const summary = JSON.parse(fs.readFileSync(file, 'utf8')) as { jobs: typeof jobs; seen?: SummarySeen };
    jobs = summary.jobs;
    seen = summary.seen;
    if (!Array.isArray(jobs)) throw new Error('no jobs');
  } catch {
    throw new ConfigError(`--reuse ${file}: not a sweep summary (a JSON file with a "jobs" list, e.g. docs/results/main.summary.json)`);
  }
  return jobs
    .filter((j) => j.results !== undefined)
    .map((j) => {
      const composed =
        j.config !== undefined
          ? runConfigFromRecord({ config: j.config, choices: j.choices ?? {} }, j.overrides, `${file} job ${j.index}`)
          : composeConfig({ configDir, overrides: j.overrides });
      const run = seen?.runs?.find((r) => r.index === j.index);
      // The source's job index and folder name are not the filled job's: left out.
      const { index: _index, runDir: _runDir, ...score } = run ?? { index: -1 };
      const seenRun = seen === undefined || run === undefined ? undefined : { ...seenFields(seen), ...score };
      return { dir: `${file} job ${j.index}`, config: composed.config, summary: { results: j.results!, composed, ...(seenRun && { seen: seenRun }) } };
    });
}

/** The `seen` section of a committed summary, as far as re-use reads it. */
interface SummarySeen {
  runs?: { index: number; runDir?: string }[];
  [key: string]: unknown;
}

/** The section's fields a run's seen.json repeats (what the videos were), without the sweep's runs and floors. */
function seenFields(seen: SummarySeen): Record<string, unknown> {
  const { runs: _runs, floors: _floors, missing: _missing, ...fields } = seen;
  return fields;
}

/**
 * Finished runs of a sweep folder (its numbered job folders), the folder itself when it is one
 * run, or the finished jobs of a committed summary file (summaryRuns).
 */
function finishedRuns(source: string, configDir: string, weightsNeed: WeightsNeed): Candidate[] {
  if (fs.existsSync(source) && fs.statSync(source).isFile()) return summaryRuns(source, configDir, weightsNeed);
  if (!fs.existsSync(source)) {
    throw new ConfigError(
      `--reuse ${source}: no such folder; name a sweep folder (or run folder, or a committed <name>.summary.json) whose finished runs to re-use`,
    );
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

export interface ReuseOptions {
  /** Composes a committed summary's overrides. */
  configDir: string;
  /** Why the sweep needs each run's weights after training (a section scored from checkpoints), or null. */
  weightsNeed: WeightsNeed;
  log: (line: string) => void;
}

/** Where a job would be filled from: the first finished run of the sources with the same config. */
export interface ReuseMatch {
  index: number;
  /** The source run folder, or `<summary file> job <index>`. */
  from: string;
}

/**
 * The jobs `reuseFinishedRuns` would fill, writing nothing (`rvos experiment --dry-run`): with a
 * sweep folder, its jobs whose folders hold nothing yet; without one, every job.
 */
export function matchReusable(
  sweepDir: string | null,
  jobs: { index: number; config: RvosConfig }[],
  sources: string[],
  options: Omit<ReuseOptions, 'log'>,
): ReuseMatch[] {
  const fillable = (index: number) => sweepDir === null || runDirState(jobRunDir(sweepDir, index)).kind === 'empty';
  const ownDir = (index: number) => (sweepDir === null ? null : jobRunDir(sweepDir, index));
  return matchCandidates(jobs, sources, options, fillable, ownDir).map(({ index, match }) => ({
    index,
    from: match.summary !== undefined ? match.dir : originOf(match.dir),
  }));
}

function matchCandidates(
  jobs: { index: number; config: RvosConfig }[],
  sources: string[],
  options: Omit<ReuseOptions, 'log'>,
  fillable: (index: number) => boolean,
  ownDir: (index: number) => string | null = () => null,
): { index: number; match: Candidate }[] {
  const candidates = sources.flatMap((s) => finishedRuns(s, options.configDir, options.weightsNeed));
  return jobs.flatMap((job) => {
    if (!fillable(job.index)) return [];
    // A job never fills from its own folder (a source may be the sweep being filled).
    const own = ownDir(job.index);
    const match = candidates.find(
      (c) => (own === null || path.resolve(c.dir) !== path.resolve(own)) && configDifferences(c.config, job.config, REUSE_IGNORED).length === 0,
    );
    return match === undefined ? [] : [{ index: job.index, match }];
  });
}

/**
 * For every job whose folder in `sweepDir` holds nothing yet, copies the first finished run of
 * `sources` whose config matches the job's (REUSE_IGNORED aside). The copy is made under a
 * temporary name and renamed into place, so an interrupted copy leaves no half run. Returns the
 * job indices filled.
 */
export function reuseFinishedRuns(sweepDir: string, jobs: { index: number; config: RvosConfig }[], sources: string[], options: ReuseOptions): number[] {
  const fillable = (index: number) => runDirState(jobRunDir(sweepDir, index)).kind === 'empty';
  const filled: number[] = [];
  for (const { index, match } of matchCandidates(jobs, sources, options, fillable, (i) => jobRunDir(sweepDir, i))) {
    const runDir = jobRunDir(sweepDir, index);
    const tmp = path.join(sweepDir, `.${index}.${process.pid}.tmp`);
    fs.rmSync(tmp, { recursive: true, force: true });
    if (match.summary !== undefined) {
      // The config the job matched on, so the folder reads as a run (the reports load it); its
      // output_dir is the job folder the copy is renamed to, not the temporary one.
      saveRunConfig(tmp, match.summary.composed, runDir);
      writeFileAtomic(path.join(tmp, 'results.json'), `${JSON.stringify(match.summary.results, null, 2)}\n`);
      if (match.summary.seen !== undefined) writeFileAtomic(path.join(tmp, RUN_SEEN_FILE), `${JSON.stringify(match.summary.seen, null, 2)}\n`);
    } else {
      fs.cpSync(match.dir, tmp, { recursive: true, filter: (src) => !path.basename(src).startsWith('.rvos.lock') });
    }
    const record: ReusedRecord =
      match.summary !== undefined
        ? { from: match.dir, copied: new Date().toISOString(), scoresOnly: true }
        : { from: originOf(match.dir), copied: new Date().toISOString() };
    writeFileAtomic(path.join(tmp, REUSED_FILE), `${JSON.stringify(record, null, 2)}\n`);
    // The job folder holds at most logs or a lock (runDirState 'empty'): replace it.
    fs.rmSync(runDir, { recursive: true, force: true });
    fs.renameSync(tmp, runDir);
    filled.push(index);
    options.log(`  job ${index}: re-used the finished run ${record.from} (same config)`);
  }
  return filled;
}
