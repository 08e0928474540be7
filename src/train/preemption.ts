/**
 * Stopping on a signal with a checkpoint, for clusters. Slurm sends SIGUSR1 `signal_delay_s`
 * before a task's time limit (sbatch --signal=B:USR1@N, forwarded by the batch script) and SIGTERM
 * when a task is cancelled, pre-empted or reaches its limit. On either, training stops after the
 * current step with a checkpoint and `rvos train` exits with PREEMPTED_EXIT_CODE, so the batch
 * script can requeue it; the requeued task resumes exactly from that checkpoint.
 */
import { RvosError } from '../utils/errors.js';

/** EX_TEMPFAIL (sysexits.h): "try again later", the exit code of a run stopped by a signal. */
export const PREEMPTED_EXIT_CODE = 75;

export const STOP_SIGNALS = ['SIGUSR1', 'SIGTERM'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

const EARLY_SIGNAL = Symbol.for('rvos.stopSignal');

/** Training was stopped by a signal after writing a checkpoint; `--resume` continues it. */
export class PreemptedError extends RvosError {
  readonly exitCode = PREEMPTED_EXIT_CODE;
}

export interface StopSignals {
  /** The first stop signal received, or null. */
  readonly received: StopSignal | null;
  /** Restores the previous signal behaviour. */
  dispose(): void;
}

/**
 * Records SIGUSR1/SIGTERM instead of dying on them. Repeats are ignored on purpose: Slurm signals
 * every process of a task and the batch script forwards too, and the second signal must not kill
 * the checkpoint being written. (While installed, SIGUSR1 no longer opens Node's inspector.)
 */
let watchers = 0;

/** Whether a training loop is watching for stop signals now (the CLI's SIGTERM exit defers to it). */
export function stopSignalsWatched(): boolean {
  return watchers > 0;
}

export function watchStopSignals(): StopSignals {
  // A signal that came before this point, recorded by bin/rvos-signals.mjs (the Slurm batch script preloads it).
  let received = ((globalThis as Record<symbol, unknown>)[EARLY_SIGNAL] as StopSignal | undefined) ?? null;
  const handlers = STOP_SIGNALS.map((signal) => {
    const handler = () => {
      received ??= signal;
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  watchers++;
  let disposed = false;
  return {
    get received() {
      return received;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      watchers--;
      for (const [signal, handler] of handlers) process.off(signal, handler);
    },
  };
}
