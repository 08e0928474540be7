/**
 * DAVIS-2017 evaluation over folders: a minimal reader of the DAVIS layout (sequence lists and
 * annotation frames only) and the result folders, built on the in-memory protocols.
 * Layout: <root>/ImageSets/2017/<split>.txt, <root>/Annotations[_unsupervised]/<res>/<seq>/*.png;
 * results: <results>/<seq>/<frame>.png (palette indices, same frame names).
 */
import fs from 'node:fs';
import path from 'node:path';
import { grayscaleAnnotationWarning, type LabelMap, readLabelPng, refuseBinaryMask } from '../data/palette_png.js';
import type { EvalTask } from '../data/types.js';
import { DataError, EvalError } from '../utils/errors.js';
import { buildDavisEvaluation, type DavisEvaluation } from './report.js';
import { maskOfLabel } from './label_scan.js';
import { temporalStability } from './temporal_stability.js';
import { evaluateSequenceSemi, evaluateSequenceUnsupervised, type SequenceEvaluation } from './sequence.js';

export interface DavisEvalOptions {
  /** DAVIS root (holds ImageSets/ and Annotations/). */
  root: string;
  /** Result folder: <results>/<sequence>/<frame>.png. */
  results: string;
  task: EvalTask;
  /** ImageSets/2017/<split>.txt; default 'val'. Ignored when `sequences` is given. */
  split?: string;
  sequences?: string[];
  resolution?: string;
  /** Annotation folder under root; default 'Annotations' (semi) or 'Annotations_unsupervised'. */
  annotations?: string;
  boundTh?: number;
  /** Also compute the DAVIS-2016 temporal stability T of the predictions (slow; reported separately). */
  temporalStability?: boolean;
  /** Called after each sequence (progress). */
  onSequence?: (evaluation: SequenceEvaluation, index: number, total: number) => void;
  /**
   * Input that is scored but probably not as meant, one line each: grayscale PNGs (read as ids)
   * and predicted frames the ground truth lacks (not scored). Default: stderr.
   */
  warn?: (line: string) => void;
}

/** Sequence names of a DAVIS split, one per line of ImageSets/2017/<split>.txt. */
export function readDavisSplit(root: string, split: string): string[] {
  const file = path.join(root, 'ImageSets', '2017', `${split}.txt`);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new DataError(`split file is missing; pass an existing --split or check that --root points at the DAVIS folder`, file);
  }
  const names = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  // Scores over no sequence would be empty CSVs that look like a result.
  if (names.length === 0) throw new DataError('split file is empty; it must list one sequence name per line (or pass --sequences)', file);
  return names;
}

/** Frame names (without .png), sorted, of one annotation folder. */
export function listAnnotationFrames(folder: string): string[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(folder);
  } catch {
    throw new DataError('annotation folder is missing; check --root, the split and the resolution', folder);
  }
  const frames = entries
    .filter((f) => f.endsWith('.png'))
    .map((f) => f.slice(0, -4))
    .sort();
  if (frames.length === 0) throw new DataError('annotation folder has no .png frames', folder);
  return frames;
}

/** Reads one predicted frame; a missing file is an EvalError naming it. */
export function readPrediction(file: string, onGrayscale?: (file: string, map: LabelMap) => void): LabelMap {
  if (!fs.existsSync(file)) {
    throw new EvalError(`${file}: predicted frame is missing; the result folder needs one PNG per annotated frame, with the same name`);
  }
  try {
    return readLabelPng(file, onGrayscale);
  } catch (err) {
    throw new EvalError(`${file}: unreadable prediction (${(err as Error).message})`);
  }
}

/** Grey values read as ids: the file is collected for the warning, and a 0/255 mask refused. */
export function grayAsIds(files: string[]): (file: string, map: LabelMap) => void {
  return (file, map) => {
    refuseBinaryMask(map, file);
    files.push(file);
  };
}

/** PNGs in a sequence's result folder whose names are not among the annotated `frames`. */
function extraFrames(folder: string, frames: string[]): string[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(folder);
  } catch {
    return [];
  }
  const known = new Set(frames);
  return entries
    .filter((f) => f.endsWith('.png') && !known.has(f.slice(0, -4)))
    .sort()
    .map((f) => path.join(folder, f));
}

/** Evaluates a DAVIS result folder with the official semi-supervised or unsupervised protocol. */
export async function evaluateDavis(options: DavisEvalOptions): Promise<DavisEvaluation> {
  const { root, results, task } = options;
  const resolution = options.resolution ?? '480p';
  const annotations = options.annotations ?? (task === 'semi_supervised' ? 'Annotations' : 'Annotations_unsupervised');
  if (!fs.existsSync(results) || !fs.statSync(results).isDirectory()) {
    throw new EvalError(`${results}: result folder does not exist`);
  }
  const sequences = options.sequences ?? readDavisSplit(root, options.split ?? 'val');
  if (sequences.length === 0) throw new EvalError('no sequence to evaluate: --sequences names none');
  const evaluated: SequenceEvaluation[] = [];
  const stability: Record<string, number> = {};
  const grayGt: string[] = [];
  const grayResults: string[] = [];
  const unscored: string[] = [];
  for (const [index, sequence] of sequences.entries()) {
    const gtFolder = path.join(root, annotations, resolution, sequence);
    const frames = listAnnotationFrames(gtFolder);
    const gt = frames.map((f) => readLabelPng(path.join(gtFolder, `${f}.png`), grayAsIds(grayGt)));
    // Semi-supervised: the official toolkit reads only the scored frames (not the first/last).
    const needed = task === 'semi_supervised' ? new Set(frames.slice(1, -1)) : new Set(frames);
    const predictionNames = frames.map((f) => path.join(results, sequence, `${f}.png`));
    const pred = frames.map((f, t) => (needed.has(f) ? readPrediction(predictionNames[t]!, grayAsIds(grayResults)) : gt[t]!));
    unscored.push(...extraFrames(path.join(results, sequence), frames));
    const seqOptions = { sequence, frameNames: frames, predictionNames, boundTh: options.boundTh };
    const evaluation = task === 'semi_supervised' ? evaluateSequenceSemi(gt, pred, seqOptions) : evaluateSequenceUnsupervised(gt, pred, seqOptions);
    evaluated.push(evaluation);
    if (options.temporalStability) {
      const scoredFrames = new Set(evaluation.frames);
      const predicted = pred.filter((_, t) => scoredFrames.has(frames[t]!));
      for (const o of evaluation.objects) {
        const id = o.predictedId;
        const masks = id === null ? [] : predicted.map((m) => maskOfLabel(m.data, id));
        stability[o.name] = id === null ? Number.NaN : temporalStability(masks, gt[0]!.width, gt[0]!.height).mean;
      }
    }
    options.onSequence?.(evaluation, index, sequences.length);
    // Yield between sequences so a caller's timers and signals run during long evaluations.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const warn = options.warn ?? ((line: string) => process.stderr.write(`[rvos] warning: ${line}\n`));
  const grayWarnings = [grayscaleAnnotationWarning(grayGt, path.join(root, annotations, resolution)), grayscaleAnnotationWarning(grayResults, results)];
  for (const line of grayWarnings) if (line !== undefined) warn(line);
  if (unscored.length > 0) {
    warn(
      `${unscored.length} predicted frame${unscored.length === 1 ? ' has' : 's have'} no ground-truth annotation and ${unscored.length === 1 ? 'is' : 'are'} not scored ` +
        `(first: ${unscored[0]}); check that the result folder uses the dataset's frame names`,
    );
  }
  const result = buildDavisEvaluation(task, evaluated);
  if (options.temporalStability) {
    const valid = Object.values(stability).filter((v) => !Number.isNaN(v));
    result.temporalStability = { mean: valid.length === 0 ? Number.NaN : valid.reduce((a, b) => a + b, 0) / valid.length, perObject: stability };
  }
  return result;
}
