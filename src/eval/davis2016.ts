/**
 * The DAVIS-2016 protocol (the official Matlab eval_sequence of davis-matlab; docs/real_video.md):
 * one binary object per video, frames 1..n-2 scored (the first and last are not), J and F with
 * the same per-frame definitions and M/R/D statistics as DAVIS-2017's semi-supervised task. Both
 * DAVIS-2016 tasks score this way:
 *
 * - semi_supervised: the first mask is given; a prediction holds 0 and the object (1, or 255 as
 *   DAVIS-2016's own 0/255 result masks have it);
 * - unsupervised: nothing is given; the union of the predicted instances (every non-zero id) is
 *   the foreground, scored against the binary mask. DAVIS-2016's unsupervised task is binary, so
 *   a zero-shot model is not asked which instance is the object.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LabelMap } from '../data/palette_codec.js';
import { openDavis2016, type Davis2016Resolution } from '../data/davis2016.js';
import type { EvalTask, VideoSequence } from '../data/types.js';
import { EvalError } from '../utils/errors.js';
import { readPrediction } from './davis.js';
import { maskOfLabel } from './label_scan.js';
import { buildDavisEvaluation, type DavisEvaluation } from './report.js';
import { evaluateSequenceSemi, evaluateSequenceUnsupervised, type SequenceEvaluation, type SequenceOptions } from './sequence.js';
import { temporalStability } from './temporal_stability.js';

/**
 * Which rules score a video: 'davis2017' (multi-object; semi-supervised or unsupervised with
 * proposals matched to objects) or 'davis2016' (one binary foreground object, above).
 */
export type DavisProtocol = 'davis2017' | 'davis2016';

/** The value DAVIS-2016's own result masks use for the object. */
const DAVIS2016_RESULT_FOREGROUND = 255;

/** A predicted label map as the binary foreground the DAVIS-2016 `task` scores (0/1). */
export function predictedForeground(pred: LabelMap, task: EvalTask, name: string): LabelMap {
  const out = new Uint8Array(pred.data.length);
  for (let p = 0; p < pred.data.length; p++) {
    const v = pred.data[p]!;
    if (v === 0) continue;
    if (task === 'semi_supervised' && v !== 1 && v !== DAVIS2016_RESULT_FOREGROUND) {
      throw new EvalError(`${name}: predicted id ${v}, but a DAVIS-2016 semi-supervised video has one object; predictions must hold 0 and 1 (or 0 and 255)`);
    }
    out[p] = 1;
  }
  return { width: pred.width, height: pred.height, data: out };
}

/**
 * Scores one video with the DAVIS-2016 protocol. `gt` holds every frame's binary mask (0/1, as the
 * DAVIS-2016 reader gives them); `pred` every frame's predicted label map.
 */
export function evaluateSequence2016(gt: LabelMap[], pred: LabelMap[], task: EvalTask, options: SequenceOptions = {}): SequenceEvaluation {
  const sequence = options.sequence ?? 'sequence';
  if (gt.length > 0 && !gt[0]!.data.includes(1)) {
    throw new EvalError(`sequence '${sequence}': the first frame's mask has no object; the DAVIS-2016 protocol scores the object of frame 0`);
  }
  const binary = pred.map((p, t) =>
    predictedForeground(p, task, options.predictionNames?.[t] ?? `${sequence} prediction frame ${options.frameNames?.[t] ?? t}`),
  );
  return evaluateSequenceSemi(gt, binary, options);
}

/** Scores one video with `protocol`'s rules for `task`. */
export function evaluateSequenceWith(
  protocol: DavisProtocol,
  task: EvalTask,
  gt: LabelMap[],
  pred: LabelMap[],
  options: SequenceOptions = {},
): SequenceEvaluation {
  if (protocol === 'davis2016') return evaluateSequence2016(gt, pred, task, options);
  return task === 'semi_supervised' ? evaluateSequenceSemi(gt, pred, options) : evaluateSequenceUnsupervised(gt, pred, options);
}

export interface Davis2016EvalOptions {
  /** DAVIS-2016 root, either layout (src/data/davis2016.ts). */
  root: string;
  /** Result folder: <results>/<sequence>/<frame>.png. */
  results: string;
  task: EvalTask;
  /** Default 'val'. */
  split?: string;
  /** Only these videos of the split. */
  sequences?: string[];
  resolution?: Davis2016Resolution;
  boundTh?: number;
  /** Also compute the temporal stability T of the predicted foreground (slow; reported separately). */
  temporalStability?: boolean;
  onSequence?: (evaluation: SequenceEvaluation, index: number, total: number) => void;
}

/** The videos of a split to score, in split order; unknown names are an EvalError. */
async function sequencesToScore(options: Davis2016EvalOptions): Promise<VideoSequence[]> {
  const split = options.split ?? 'val';
  const dataset = await openDavis2016(options.root, { split, resolution: options.resolution });
  if (options.sequences === undefined) return dataset.sequences;
  const byName = new Map(dataset.sequences.map((s) => [s.name, s]));
  const missing = options.sequences.filter((s) => !byName.has(s));
  if (missing.length > 0) throw new EvalError(`--sequences: ${missing.join(', ')} not in DAVIS-2016 split '${split}' at ${options.root}`);
  if (options.sequences.length === 0) throw new EvalError('no sequence to evaluate: --sequences names none');
  return options.sequences.map((s) => byName.get(s)!);
}

/** Evaluates a result folder on DAVIS-2016 (either task). */
export async function evaluateDavis2016(options: Davis2016EvalOptions): Promise<DavisEvaluation> {
  const { results, task } = options;
  if (!fs.existsSync(results) || !fs.statSync(results).isDirectory()) throw new EvalError(`${results}: result folder does not exist`);
  const sequences = await sequencesToScore(options);
  const evaluated: SequenceEvaluation[] = [];
  const stability: Record<string, number> = {};
  for (const [index, seq] of sequences.entries()) {
    const frames = seq.frameNames;
    const gt: LabelMap[] = [];
    for (let t = 0; t < frames.length; t++) gt.push((await seq.readAnnotation(t))!);
    // Only the scored frames are read (the official code accepts results without the first and last).
    const predictionNames = frames.map((f) => path.join(results, seq.name, `${f}.png`));
    const pred = frames.map((_, t) => (t === 0 || t === frames.length - 1 ? gt[t]! : readPrediction(predictionNames[t]!)));
    const evaluation = evaluateSequence2016(gt, pred, task, { sequence: seq.name, frameNames: frames, predictionNames, boundTh: options.boundTh });
    evaluated.push(evaluation);
    if (options.temporalStability) {
      const scored = pred.slice(1, -1).map((p, k) => maskOfLabel(predictedForeground(p, task, predictionNames[k + 1]!).data, 1));
      stability[evaluation.objects[0]!.name] = temporalStability(scored, seq.width, seq.height).mean;
    }
    options.onSequence?.(evaluation, index, sequences.length);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const result = buildDavisEvaluation(task, evaluated);
  if (options.temporalStability) {
    const valid = Object.values(stability).filter((v) => !Number.isNaN(v));
    result.temporalStability = { mean: valid.length === 0 ? Number.NaN : valid.reduce((a, b) => a + b, 0) / valid.length, perObject: stability };
  }
  return result;
}
