/**
 * Where each array task of a sweep stands: queued, running, done or failed, from Slurm's state
 * (squeue/sacct) and the exit file the batch script leaves (`.slurm/exit/<index>.json`). Slurm's
 * word wins while a task is active (a pre-empted task that Slurm requeues may have left an exit
 * file); once Slurm has let go of it, the exit file says how it ended.
 */
import fs from 'node:fs';
import path from 'node:path';

export type TaskPhase = 'queued' | 'running' | 'done' | 'failed';

/** What the batch script writes when an attempt ends without a requeue. */
export interface ExitRecord {
  array_task: string;
  code: number;
  signal: string;
  restarts: number;
  seconds: number;
}

export interface TaskView {
  index: number;
  phase: TaskPhase;
  /** Slurm's state when it still lists the task. */
  slurmState?: string;
  exit?: ExitRecord;
  /** Why a failed task failed, in one line. */
  reason?: string;
}

const QUEUED = new Set(['PENDING', 'REQUEUED', 'REQUEUE_FED', 'REQUEUE_HOLD', 'RESV_DEL_HOLD', 'SUSPENDED', 'STOPPED']);
const RUNNING = new Set(['RUNNING', 'CONFIGURING', 'COMPLETING', 'SIGNALING', 'STAGE_OUT', 'RESIZING']);

export function exitFile(sweepDir: string, index: number): string {
  return path.join(sweepDir, '.slurm', 'exit', `${index}.json`);
}

/** The exit record of `index` written by array job `arrayJobId` (an older submission's is ignored). */
export function readExit(sweepDir: string, index: number, arrayJobId: string): ExitRecord | undefined {
  try {
    const record = JSON.parse(fs.readFileSync(exitFile(sweepDir, index), 'utf8')) as ExitRecord;
    return record.array_task === `${arrayJobId}_${index}` ? record : undefined;
  } catch {
    return undefined;
  }
}

export function taskView(index: number, slurmState: string | undefined, exit: ExitRecord | undefined): TaskView {
  if (slurmState !== undefined && QUEUED.has(slurmState)) return { index, phase: 'queued', slurmState };
  if (slurmState !== undefined && RUNNING.has(slurmState)) return { index, phase: 'running', slurmState };
  if (exit !== undefined) {
    if (exit.code === 0) return { index, phase: 'done', slurmState, exit };
    const stopped = exit.signal === '' ? '' : ` after SIG${exit.signal}`;
    return { index, phase: 'failed', slurmState, exit, reason: `exit code ${exit.code}${stopped}` };
  }
  return {
    index,
    phase: 'failed',
    slurmState,
    reason: `ended without an exit status (Slurm: ${slurmState ?? 'no longer listed'}; cancelled, killed or out of time)`,
  };
}

export function countPhases(views: Iterable<TaskView>): Record<TaskPhase, number> {
  const counts: Record<TaskPhase, number> = { queued: 0, running: 0, done: 0, failed: 0 };
  for (const v of views) counts[v.phase]++;
  return counts;
}

export function progressLine(arrayJobId: string, counts: Record<TaskPhase, number>): string {
  return `slurm array ${arrayJobId}: ${counts.queued} queued, ${counts.running} running, ${counts.done} done, ${counts.failed} failed`;
}
