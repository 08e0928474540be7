/**
 * Recorded run timings, for the wall-time estimate printed before a sweep starts. After every
 * finished job the sweep appends one line to `<run.root>/timings.jsonl`: the setting's speed key
 * (everything in the config that changes the cost of a step or of an evaluation), how many jobs
 * ran at once, and the run's measured seconds. A new run of the same setting is estimated as
 *   steps × (seconds per training step) + (validations + 1) × (seconds per evaluation) + start-up,
 * each the median over the matching records (preferring ones with the same parallelism, since
 * jobs share the CPU).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RvosConfig } from '../../config/index.js';
import type { RunResults } from './run.js';

export const TIMINGS_FILE = 'timings.jsonl';

export interface TimingRecord {
  key: string;
  parallel: number;
  steps: number;
  validations: number;
  trainSeconds: number;
  evalSeconds: number;
  /** The job's wall time (start-up, training, final evaluation, saving). */
  seconds: number;
}

/** What decides the cost of a step and of an evaluation: not the seed, step count or schedule of validations. */
const SCHEDULE_KEYS = new Set(['steps', 'val_every', 'ckpt_every', 'patience', 'log_every']);

export function speedKey(config: RvosConfig): string {
  const train = Object.fromEntries(Object.entries(config.train).filter(([k]) => !SCHEDULE_KEYS.has(k)));
  return JSON.stringify({ backend: config.backend, model: config.model, encoder: config.encoder, data: config.data, train });
}

/** Validations a run of `steps` steps makes (every val_every steps and at the end; see the trainer). */
export function validationCount(steps: number, valEvery: number): number {
  return valEvery > 0 ? Math.ceil(steps / valEvery) : 0;
}

export function recordTiming(runRoot: string, config: RvosConfig, parallel: number, results: RunResults, seconds: number): void {
  const record: TimingRecord = {
    key: speedKey(config),
    parallel,
    steps: results.steps,
    validations: results.validation.length,
    trainSeconds: results.trainSeconds,
    evalSeconds: results.evalSeconds,
    seconds,
  };
  fs.mkdirSync(runRoot, { recursive: true });
  // One short line per append (O_APPEND): concurrent sweeps never interleave within a line.
  fs.appendFileSync(path.join(runRoot, TIMINGS_FILE), `${JSON.stringify(record)}\n`);
}

export function readTimings(runRoot: string): TimingRecord[] {
  const file = path.join(runRoot, TIMINGS_FILE);
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        const r = JSON.parse(line) as TimingRecord;
        return typeof r.key === 'string' && r.steps > 0 ? [r] : [];
      } catch {
        return [];
      }
    });
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export interface JobEstimate {
  seconds: number;
  /** Records it is based on. */
  records: number;
  secondsPerStep: number;
}

/** Expected wall time of one job of `config` from the records, or null when none matches. */
export function estimateJobSeconds(records: TimingRecord[], config: RvosConfig, parallel: number): JobEstimate | null {
  const key = speedKey(config);
  const same = records.filter((r) => r.key === key);
  const chosen = same.some((r) => r.parallel === parallel) ? same.filter((r) => r.parallel === parallel) : same;
  if (chosen.length === 0) return null;
  const evalSeconds = median(chosen.map((r) => r.evalSeconds));
  // Validation evaluates the same videos as the final evaluation, so it costs about the same.
  const secondsPerStep = median(chosen.map((r) => Math.max(0, r.trainSeconds - r.validations * r.evalSeconds) / r.steps));
  const startup = median(chosen.map((r) => Math.max(0, r.seconds - r.trainSeconds - r.evalSeconds)));
  const steps = config.train.steps;
  const seconds = steps * secondsPerStep + (validationCount(steps, config.train.val_every) + 1) * evalSeconds + startup;
  return { seconds, records: chosen.length, secondsPerStep };
}
