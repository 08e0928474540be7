/**
 * Reads a finished (or partly finished) sweep folder: every job's overrides and results, grouped
 * into variants (the overrides other than the seed), with mean ± std over seeds. The report and
 * the notebooks read sweeps through this.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readReused, type JobOutcome } from '../run/sweep_job.js';
import type { RunResults } from '../run/run.js';
import { GLOBAL_MEASURES, officialTaskName, type GlobalMeasure, type GlobalMetrics } from '../../eval/report.js';
import type { EvaluationBreakdown } from '../../eval/breakdown.js';
import type { EvalTask } from '../../data/types.js';
import { EvalError } from '../../utils/errors.js';

/** One video's scores of a run (J&F over its objects). */
export interface SequenceScore {
  name: string;
  jAndF: number;
  j?: number;
  f?: number;
}

/**
 * What results.json says about the split protocol. `split: 'test'`: `global`, `breakdown` and
 * `perSequence` are the test split scored with the checkpoint chosen on the validation split,
 * `final` the same test videos with the last step's weights, and `validation` the validation
 * split's curve. Without `split` (runs made before the test split existed) the checkpoint was
 * chosen on the very videos `global` reports: the old protocol.
 */
export interface ProtocolFields {
  split?: string;
  perSequence?: SequenceScore[];
  final?: { step: number; global: GlobalMetrics; breakdown?: EvaluationBreakdown; perSequence?: SequenceScore[] };
}

export type ResultsFile = RunResults & ProtocolFields;

export interface SweepJobResult {
  index: number;
  overrides: string[];
  runDir: string;
  status: JobOutcome['status'];
  /** The run folder this job's run was copied from (`rvos experiment --reuse`). */
  reusedFrom?: string;
  results?: ResultsFile;
  /** Per evaluated object: `<seq>_<k>` → J-Mean and F-Mean (from the run's eval JSON). */
  perObject: Map<string, { J: number; F: number }>;
}

export interface Stat {
  mean: number;
  std: number;
  n: number;
}

export interface Variant {
  /** The overrides that define the variant (seed and experiment= removed), e.g. 'model.mode=one_shot'. */
  label: string;
  overrides: string[];
  jobs: SweepJobResult[];
  metrics: Record<GlobalMeasure, Stat>;
  /** J&F-Mean of the last step's weights on the same videos (n = runs that recorded it). */
  final: Stat;
  /** 'test': every finished run scored the test split with a validation-chosen checkpoint; 'old': chosen on the reported videos; 'mixed'. */
  protocol: 'test' | 'old' | 'mixed' | null;
  perObject: Map<string, { J: Stat; F: Stat }>;
}

/** Sample mean and standard deviation (n − 1; 0 for a single value), NaN values left out. */
export function meanStd(values: number[]): Stat {
  const v = values.filter((x) => Number.isFinite(x));
  const n = v.length;
  if (n === 0) return { mean: NaN, std: NaN, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const std = n < 2 ? 0 : Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { mean, std, n };
}

const IGNORED_KEYS = /^(\+{0,2})(seed|experiment|run\.name|run\.root|launcher(\..*)?)=/;

export function variantOverrides(overrides: string[]): string[] {
  return overrides.filter((o) => !IGNORED_KEYS.test(o));
}

function readPerObject(runDir: string, task: EvalTask | undefined): Map<string, { J: number; F: number }> {
  const out = new Map<string, { J: number; F: number }>();
  if (task === undefined) return out;
  const file = path.join(runDir, 'eval', `per-sequence_results-${officialTaskName(task)}.csv`);
  if (!fs.existsSync(file)) return out;
  for (const line of fs.readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
    const [name, j, f] = line.split(',');
    out.set(name!, { J: Number(j), F: Number(f) });
  }
  return out;
}

export function readSweep(sweepDir: string): SweepJobResult[] {
  const summary = path.join(sweepDir, 'summary.json');
  if (!fs.existsSync(summary))
    throw new EvalError(`${summary} is missing: ${sweepDir} is not a sweep folder (run \`rvos train -m ...\` or \`rvos experiment NAME\`)`);
  const { jobs } = JSON.parse(fs.readFileSync(summary, 'utf8')) as { jobs: JobOutcome[] };
  return jobs.map((j) => {
    const results = j.results as ResultsFile | undefined;
    return {
      index: j.index,
      overrides: j.overrides,
      runDir: j.runDir,
      status: j.status,
      reusedFrom: readReused(j.runDir)?.from,
      results,
      perObject: readPerObject(j.runDir, results?.task),
    };
  });
}

/** A job's status for the reports' run tables: a copied run names where it was computed. */
export function jobStatusText(job: SweepJobResult): string {
  return job.reusedFrom === undefined ? job.status : `reused from ${job.reusedFrom}`;
}

export function groupVariants(jobs: SweepJobResult[]): Variant[] {
  const groups = new Map<string, SweepJobResult[]>();
  for (const job of jobs) {
    const label = variantOverrides(job.overrides).join(' ') || '(base)';
    groups.set(label, [...(groups.get(label) ?? []), job]);
  }
  return [...groups].map(([label, members]) => {
    const done = members.filter((m) => m.results !== undefined);
    const metrics = Object.fromEntries(GLOBAL_MEASURES.map((m) => [m, meanStd(done.map((d) => d.results!.global[m]))])) as Record<GlobalMeasure, Stat>;
    const names = new Set(done.flatMap((d) => [...d.perObject.keys()]));
    const perObject = new Map(
      [...names]
        .sort()
        .map((n) => [n, { J: meanStd(done.map((d) => d.perObject.get(n)?.J ?? NaN)), F: meanStd(done.map((d) => d.perObject.get(n)?.F ?? NaN)) }] as const),
    );
    const protocols = new Set(done.map((d) => runProtocol(d.results!)));
    const protocol = protocols.size === 0 ? null : protocols.size > 1 ? 'mixed' : [...protocols][0]!;
    const final = meanStd(done.map((d) => finalScore(d.results!) ?? NaN));
    return { label, overrides: variantOverrides(members[0]!.overrides), jobs: members, metrics, perObject, final, protocol };
  });
}

export function runProtocol(results: ResultsFile): 'test' | 'old' {
  return results.split === 'test' ? 'test' : 'old';
}

/**
 * The test J&F-Mean of the last step's weights: results.json's `final`, or, for a run of the old
 * protocol (validated on the very videos it reports), its validation score at the last step when
 * it validated there. Undefined when neither is known.
 */
export function finalScore(results: ResultsFile): number | undefined {
  if (results.final !== undefined) return results.final.global['J&F-Mean'];
  if (runProtocol(results) !== 'old') return undefined;
  const last = results.validation?.find((p) => p.step === results.steps);
  return last?.score;
}

/**
 * A run's J&F per video: results.json's `perSequence` (or `final.perSequence` for the last step's
 * weights), else, for the selected checkpoint of older runs whose folder is at hand, the mean of
 * J and F over each video's objects from the eval CSV (object `<video>_<k>`). Null when neither
 * is known (a committed summary of an older run): its statistics resample seeds only.
 */
export function perVideoScores(job: SweepJobResult, which: 'selected' | 'final' = 'selected'): Map<string, number> | null {
  const r = job.results;
  if (r === undefined) return null;
  const listed = which === 'final' ? r.final?.perSequence : r.perSequence;
  if (listed !== undefined && listed.length > 0) return new Map(listed.map((s) => [s.name, s.jAndF]));
  if (which === 'final' || job.perObject.size === 0) return null;
  const sums = new Map<string, { sum: number; n: number }>();
  for (const [name, o] of job.perObject) {
    const video = name.replace(/_\d+$/, '');
    const acc = sums.get(video) ?? { sum: 0, n: 0 };
    acc.sum += (o.J + o.F) / 2;
    acc.n += 1;
    sums.set(video, acc);
  }
  return new Map([...sums].map(([v, { sum, n }]) => [v, sum / n]));
}

/** A job's seed: from its results, else its `seed=` override; undefined when neither names one. */
export function jobSeed(job: SweepJobResult): string | undefined {
  const seed = job.results?.seed ?? job.overrides.find((o) => o.startsWith('seed='))?.slice(5);
  return seed === undefined ? undefined : String(seed);
}

/** The per-job table cells both reports show: test J&F-Mean and the final step's J&F ('–' where absent). */
export function jobScoreCells(job: SweepJobResult): [string, string] {
  if (job.results === undefined) return ['–', '–'];
  return [job.results.global['J&F-Mean'].toFixed(3), finalScore(job.results)?.toFixed(3) ?? '–'];
}
