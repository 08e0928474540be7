/**
 * Global DAVIS numbers from per-object rows, and the result files in the official format
 * (davis2017-evaluation's evaluation_method.py: global_results-<task>.csv and
 * per-sequence_results-<task>.csv, 3 decimals, NaN written as an empty cell) plus a JSON.
 */
import path from 'node:path';
import type { EvalTask } from '../data/types.js';
import { writeFileAtomic } from '../utils/fs.js';
import type { ObjectEvaluation, SequenceEvaluation } from './sequence.js';

/** The official global column names, in the official order. */
export const GLOBAL_MEASURES = ['J&F-Mean', 'J-Mean', 'J-Recall', 'J-Decay', 'F-Mean', 'F-Recall', 'F-Decay'] as const;
export type GlobalMeasure = (typeof GLOBAL_MEASURES)[number];
export type GlobalMetrics = Record<GlobalMeasure, number>;

export interface PerObjectRow {
  Sequence: string;
  'J-Mean': number;
  'F-Mean': number;
}

/** The official spelling of a task in the result file names (davis2017-evaluation). */
export function officialTaskName(task: EvalTask): 'semi-supervised' | 'unsupervised' {
  return task === 'semi_supervised' ? 'semi-supervised' : 'unsupervised';
}

export interface DavisEvaluation {
  task: EvalTask;
  global: GlobalMetrics;
  perObject: PerObjectRow[];
  sequences: SequenceEvaluation[];
  /** DAVIS-2016 temporal stability T of the predictions (lower is better), when requested. */
  temporalStability?: TemporalStabilityReport;
}

export interface TemporalStabilityReport {
  /** Mean over objects of the per-object T (objects without a valid frame pair are skipped). */
  mean: number;
  /** Row name (`<sequence>_<i>`) → T of that object's predicted masks. */
  perObject: Record<string, number>;
}

/** Plain mean (numpy's mean: NaN propagates, empty gives NaN). */
function mean(values: number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/**
 * Means over ALL objects of all sequences (no per-sequence averaging first), as the official
 * evaluation. J&F-Mean = (J-Mean + F-Mean) / 2.
 */
export function globalMetrics(objects: ObjectEvaluation[]): GlobalMetrics {
  const jMean = mean(objects.map((o) => o.J.mean));
  const fMean = mean(objects.map((o) => o.F.mean));
  return {
    'J&F-Mean': (jMean + fMean) / 2,
    'J-Mean': jMean,
    'J-Recall': mean(objects.map((o) => o.J.recall)),
    'J-Decay': mean(objects.map((o) => o.J.decay)),
    'F-Mean': fMean,
    'F-Recall': mean(objects.map((o) => o.F.recall)),
    'F-Decay': mean(objects.map((o) => o.F.decay)),
  };
}

export function perObjectRows(sequences: SequenceEvaluation[]): PerObjectRow[] {
  return sequences.flatMap((s) => s.objects.map((o) => ({ Sequence: o.name, 'J-Mean': o.J.mean, 'F-Mean': o.F.mean })));
}

export function buildDavisEvaluation(task: EvalTask, sequences: SequenceEvaluation[]): DavisEvaluation {
  const objects = sequences.flatMap((s) => s.objects);
  return { task, global: globalMetrics(objects), perObject: perObjectRows(sequences), sequences };
}

/**
 * Python's '%.3f': correct rounding of the exact binary value. JavaScript's toFixed agrees except
 * on exact ties, where it rounds up and Python rounds half to even; a double is an exact tie at
 * 3 decimals only when it is an odd multiple of 1/16 (e.g. 0.0625 → '0.062'). NaN → '' (pandas).
 */
export function formatFixed3(x: number): string {
  if (Number.isNaN(x)) return '';
  const sixteenths = x * 16;
  if (Number.isInteger(sixteenths) && Math.abs(sixteenths) % 2 === 1) {
    const thousandths = x * 1000; // exact: ends in .5
    const down = Math.floor(thousandths);
    const even = down % 2 === 0 ? down : down + 1;
    return (even / 1000).toFixed(3);
  }
  return x.toFixed(3);
}

export function globalCsv(global: GlobalMetrics): string {
  return `${GLOBAL_MEASURES.join(',')}\n${GLOBAL_MEASURES.map((m) => formatFixed3(global[m])).join(',')}\n`;
}

export function perSequenceCsv(rows: PerObjectRow[]): string {
  const lines = rows.map((r) => `${r.Sequence},${formatFixed3(r['J-Mean'])},${formatFixed3(r['F-Mean'])}`);
  return ['Sequence,J-Mean,F-Mean', ...lines].join('\n') + '\n';
}

/** The global table as the official script prints it (columns right-aligned, 3 decimals). */
export function formatGlobalTable(global: GlobalMetrics): string {
  const cells = GLOBAL_MEASURES.map((m) => formatFixed3(global[m]) || 'NaN');
  const widths = GLOBAL_MEASURES.map((m, i) => Math.max(m.length, cells[i]!.length));
  return [GLOBAL_MEASURES.map((m, i) => m.padStart(widths[i]!)).join(' '), cells.map((c, i) => c.padStart(widths[i]!)).join(' ')].join('\n');
}

/** JSON-safe copy: NaN becomes null. */
function jsonNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

/**
 * Writes global_results-<task>.csv, per-sequence_results-<task>.csv and results-<task>.json
 * (everything, per-frame values included) atomically into outDir, plus
 * temporal_stability-<task>.csv when T was computed; returns the paths.
 */
export function writeEvaluation(outDir: string, evaluation: DavisEvaluation): string[] {
  const name = officialTaskName(evaluation.task);
  const files = [
    path.join(outDir, `global_results-${name}.csv`),
    path.join(outDir, `per-sequence_results-${name}.csv`),
    path.join(outDir, `results-${name}.json`),
  ];
  writeFileAtomic(files[0]!, globalCsv(evaluation.global));
  writeFileAtomic(files[1]!, perSequenceCsv(evaluation.perObject));
  writeFileAtomic(files[2]!, JSON.stringify(evaluation, jsonNumbers, 1) + '\n');
  if (evaluation.temporalStability !== undefined) {
    const t = evaluation.temporalStability;
    const file = path.join(outDir, `temporal_stability-${name}.csv`);
    const rows = Object.entries(t.perObject).map(([name, v]) => `${name},${formatFixed3(v)}`);
    writeFileAtomic(file, ['Sequence,T-Mean', ...rows, `mean,${formatFixed3(t.mean)}`].join('\n') + '\n');
    files.push(file);
  }
  return files;
}
