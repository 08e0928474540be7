/**
 * launcher=slurm: a sweep submitted as one Slurm job array, then (unless `--no-wait`) watched until
 * every task has ended, with a progress line whenever the counts change, and collected into the
 * same outcomes and summary.json as the local launchers. Everything Slurm-side is kept in
 * `<sweep>/.slurm/`: the batch script of each submission (`<arrayJobId>.sbatch`), the logs
 * (`<arrayJobId>_<index>.log`), exit files, and `array.json` (which submission runs which job).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCK_FILE } from '../../../logging/index.js';
import { writeFileAtomic } from '../../../utils/fs.js';
import type { JobOutcome, LaunchOptions, SweepJob } from '../../run/sweep_job.js';
import { batchScript } from './batch_script.js';
import { arrayTaskStates, sbatch, type SlurmTaskState } from './commands.js';
import { countPhases, progressLine, readExit, taskView, type TaskView } from './task_state.js';

/** false `wait` (`--no-wait`): return right after the submission; `rvos report DIR` collects later. */
export type SlurmLaunch = NonNullable<LaunchOptions['slurm']>;

interface Submission {
  arrayJobId: string;
  indexes: number[];
  script: string;
  submitted: string;
}

interface ArrayRecord {
  format: 'rvos-slurm-1';
  jobs: SweepJob[];
  submissions: Submission[];
}

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../bin');

const slurmDirOf = (sweepDir: string) => path.join(sweepDir, '.slurm');
const recordFile = (sweepDir: string) => path.join(slurmDirOf(sweepDir), 'array.json');
export const taskLog = (sweepDir: string, arrayJobId: string, index: number) => path.join(slurmDirOf(sweepDir), `${arrayJobId}_${index}.log`);

function readRecord(sweepDir: string): ArrayRecord | undefined {
  const file = recordFile(sweepDir);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as ArrayRecord) : undefined;
}

function readResults(runDir: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(runDir, 'results.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function tail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function outcomeOf(job: SweepJob, sweepDir: string, arrayJobId: string, view: TaskView): JobOutcome {
  const runDir = path.join(sweepDir, String(job.index));
  const results = readResults(runDir);
  const base = { index: job.index, overrides: job.overrides, runDir, exitCode: view.exit?.code ?? null, seconds: view.exit?.seconds ?? 0, results };
  if (view.phase === 'queued' || view.phase === 'running') return { ...base, status: 'pending' };
  const log = taskLog(sweepDir, arrayJobId, job.index);
  if (view.phase === 'done' && results !== undefined) return { ...base, status: 'ok' };
  const reason = view.phase === 'done' ? 'exited 0 without writing results.json' : view.reason!;
  return { ...base, status: 'failed', error: `array task ${arrayJobId}_${job.index} ${reason}; log: ${log}\n${tail(log, 15)}` };
}

function writeSummary(sweepDir: string, outcomes: Iterable<JobOutcome>): void {
  const jobs = [...outcomes].sort((a, b) => a.index - b.index);
  writeFileAtomic(path.join(sweepDir, 'summary.json'), JSON.stringify({ jobs }, null, 2));
}

/** Removes what a failed submission would leave: its script, and a sweep folder it made useless. */
function undoSubmission(sweepDir: string, tmpScript: string, slurmDirExisted: boolean): void {
  fs.rmSync(tmpScript, { force: true });
  if (slurmDirExisted) return;
  fs.rmSync(slurmDirOf(sweepDir), { recursive: true, force: true });
  // A sweep folder made for this sweep holds only multirun.yaml (and the launcher's own lock):
  // nothing else refers to it.
  const left = fs.readdirSync(sweepDir);
  if (left.every((f) => f === 'multirun.yaml' || f.startsWith(LOCK_FILE))) fs.rmSync(sweepDir, { recursive: true, force: true });
}

async function submit(jobs: SweepJob[], options: LaunchOptions, slurm: SlurmLaunch, sweepDir: string): Promise<Submission> {
  const slurmDir = slurmDirOf(sweepDir);
  const existed = fs.existsSync(slurmDir);
  // The script is generated first: a bad launcher key fails before anything is written.
  const text = batchScript({
    config: slurm.config,
    sweepDir,
    cwd: process.cwd(),
    jobs,
    extraArgs: options.extraArgs ?? [],
    overwrite: options.overwrite ?? false,
    node: slurm.config.node ?? process.execPath,
    rvosBin: path.join(BIN, 'rvos.mjs'),
    signalsPreload: path.join(BIN, 'rvos-signals.mjs'),
    jobName: `rvos-${path.basename(path.dirname(sweepDir))}_${path.basename(sweepDir)}`,
  });
  fs.mkdirSync(path.join(slurmDir, 'exit'), { recursive: true });
  const tmpScript = path.join(slurmDir, `.submit-${process.pid}.sbatch.tmp`);
  writeFileAtomic(tmpScript, text);
  let arrayJobId: string;
  try {
    arrayJobId = await sbatch(tmpScript, slurm.config);
  } catch (err) {
    undoSubmission(sweepDir, tmpScript, existed);
    throw err;
  }
  const script = path.join(slurmDir, `${arrayJobId}.sbatch`);
  fs.renameSync(tmpScript, script);
  return { arrayJobId, indexes: jobs.map((j) => j.index), script, submitted: new Date().toISOString() };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pending reasons that do not go away by waiting (squeue(1) JOB REASON CODES). */
const NEVER_STARTS =
  /^(PartitionConfig|PartitionNodeLimit|PartitionTimeLimit|BadConstraints|InvalidAccount|InvalidQOS|ReqNodeNotAvail|.*MaxCpuPerJob.*|.*PerJobLimit|DependencyNeverSatisfied)/;

/** Submits the jobs as one array and, when `slurm.wait`, waits for every task; outcomes in job order. */
export async function launchSlurmArray(jobs: SweepJob[], options: LaunchOptions, slurm: SlurmLaunch): Promise<JobOutcome[]> {
  const sweepDir = path.resolve(options.sweepDir);
  const outcomes = new Map<number, JobOutcome>();
  const toRun: SweepJob[] = [];
  for (const job of jobs) {
    const runDir = path.join(sweepDir, String(job.index));
    const finished = options.skipFinished ? readResults(runDir) : undefined;
    if (finished === undefined) toRun.push(job);
    else outcomes.set(job.index, { index: job.index, overrides: job.overrides, runDir, status: 'skipped', exitCode: 0, seconds: 0, results: finished });
  }
  if (toRun.length === 0) {
    writeSummary(sweepDir, outcomes.values());
    return [...outcomes.values()].sort((a, b) => a.index - b.index);
  }
  const submission = await submit(toRun, options, slurm, sweepDir);
  const { arrayJobId } = submission;
  const previous = readRecord(sweepDir);
  writeFileAtomic(
    recordFile(sweepDir),
    JSON.stringify({ format: 'rvos-slurm-1', jobs, submissions: [...(previous?.submissions ?? []), submission] } satisfies ArrayRecord, null, 2),
  );
  const pendingView = (index: number): TaskView => ({ index, phase: 'queued' });
  for (const job of toRun) outcomes.set(job.index, outcomeOf(job, sweepDir, arrayJobId, pendingView(job.index)));
  writeSummary(sweepDir, outcomes.values());
  slurm.log(
    `submitted array job ${arrayJobId}: ${toRun.length} task(s), at most ${slurm.config.array_parallelism} at a time; ` +
      `script ${submission.script}, logs ${path.join(path.dirname(submission.script), `${arrayJobId}_<job>.log`)}`,
  );
  if (!slurm.wait) return [...outcomes.values()].sort((a, b) => a.index - b.index);
  return watch(toRun, options, slurm, sweepDir, arrayJobId, outcomes);
}

async function watch(
  toRun: SweepJob[],
  options: LaunchOptions,
  slurm: SlurmLaunch,
  sweepDir: string,
  arrayJobId: string,
  outcomes: Map<number, JobOutcome>,
): Promise<JobOutcome[]> {
  const open = new Map(toRun.map((j) => [j.index, j]));
  const views = new Map<number, TaskView>(toRun.map((j) => [j.index, { index: j.index, phase: 'queued' }]));
  const started = new Set<number>();
  // A task counts as ended only when two polls in a row agree: a pre-empted task that Slurm
  // requeues passes through states that look final for a moment.
  const endedOnce = new Set<number>();
  let lastLine = '';
  const warned = new Set<string>();
  let failingSince: number | null = null;
  while (open.size > 0) {
    const states = await arrayTaskStates(arrayJobId);
    if (states === undefined) {
      failingSince ??= Date.now();
      if (Date.now() - failingSince > 60_000)
        slurm.log(
          `squeue has not answered for ${Math.round((Date.now() - failingSince) / 1000)} s; still waiting (Ctrl-C leaves the array running; \`rvos report ${sweepDir}\` collects it later)`,
        );
      await sleep(slurm.config.poll_s * 1000);
      continue;
    }
    failingSince = null;
    for (const [index, job] of open) {
      const slurmState = states.get(index);
      const view = taskView(index, slurmState?.state, readExit(sweepDir, index, arrayJobId));
      views.set(index, view);
      const reason = slurmState?.reason;
      if (view.phase === 'queued' && reason !== undefined && NEVER_STARTS.test(reason) && !warned.has(reason)) {
        warned.add(reason);
        slurm.log(
          `array task ${arrayJobId}_${index} is pending with reason ${reason}: the partition may never run it; \`scancel ${arrayJobId}\` and fix the launcher.* keys, or wait if the limits will change`,
        );
      }
      if ((view.phase === 'running' || view.phase === 'done' || view.phase === 'failed') && !started.has(index)) {
        started.add(index);
        options.onJobStart?.(job, path.join(sweepDir, String(index)));
      }
      if (view.phase !== 'done' && view.phase !== 'failed') {
        endedOnce.delete(index);
        continue;
      }
      if (!endedOnce.has(index)) {
        endedOnce.add(index);
        continue;
      }
      const outcome = outcomeOf(job, sweepDir, arrayJobId, view);
      outcomes.set(index, outcome);
      open.delete(index);
      writeSummary(sweepDir, outcomes.values());
      options.onJobEnd?.(outcome);
    }
    const line = progressLine(arrayJobId, countPhases(views.values()));
    if (line !== lastLine) slurm.log(line);
    lastLine = line;
    if (open.size > 0) await sleep(slurm.config.poll_s * 1000);
  }
  return [...outcomes.values()].sort((a, b) => a.index - b.index);
}

/**
 * Brings summary.json of a Slurm sweep up to date without waiting (for `rvos report` after
 * `--no-wait`): finished tasks are ok/failed, the others pending. False when the folder was not
 * launched on Slurm.
 */
export async function collectSlurmSweep(sweepDir: string): Promise<boolean> {
  const record = readRecord(sweepDir);
  if (record === undefined) return false;
  const latest = new Map<number, string>();
  for (const s of record.submissions) for (const i of s.indexes) latest.set(i, s.arrayJobId);
  // Undefined where Slurm could not be asked (not on PATH here, controller down): then a task
  // without an exit file counts as pending rather than failed.
  const states = new Map<string, Map<number, SlurmTaskState> | undefined>();
  for (const id of new Set(latest.values())) states.set(id, await arrayTaskStates(id).catch(() => undefined));
  const outcomes = record.jobs.map((job): JobOutcome => {
    const id = latest.get(job.index);
    const runDir = path.join(sweepDir, String(job.index));
    if (id === undefined)
      return { index: job.index, overrides: job.overrides, runDir, status: 'skipped', exitCode: 0, seconds: 0, results: readResults(runDir) };
    const known = states.get(id);
    const exit = readExit(sweepDir, job.index, id);
    const view =
      known === undefined && exit === undefined ? { index: job.index, phase: 'queued' as const } : taskView(job.index, known?.get(job.index)?.state, exit);
    return outcomeOf(job, sweepDir, id, view);
  });
  writeSummary(sweepDir, outcomes);
  return true;
}
