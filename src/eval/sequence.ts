/**
 * The DAVIS protocols on one sequence held in memory (label maps, no files): the trainer's
 * validation calls these directly and the folder evaluators are built on them. Rules:
 * docs/metrics.md.
 */
import type { LabelMap } from '../data/palette_png.js';
import { EvalError } from '../utils/errors.js';
import { hungarian } from '../utils/hungarian.js';
import { boundaryRadius, DAVIS_BOUNDARY_THRESHOLD } from './boundary.js';
import { scoreFramePairs } from './frame_scores.js';
import { maskOfLabel, maxLabel } from './label_scan.js';
import { type ObjectStatistics, statistics } from './statistics.js';

/** Palette index of void ("don't care") pixels in DAVIS annotations. */
export const DAVIS_VOID_LABEL = 255;
/** davis2017-evaluation's max_n_proposals for the unsupervised task. */
export const DAVIS_MAX_PROPOSALS = 20;

export interface ObjectEvaluation {
  /** Official row name `<sequence>_<i>`, i counting from 1 in the official row order. */
  name: string;
  sequence: string;
  /** Ground-truth object id. */
  objectId: number;
  /** The predicted id scored for this object (unsupervised: the matched proposal; null = padding). */
  predictedId: number | null;
  J: ObjectStatistics;
  F: ObjectStatistics;
  /** Per evaluated frame. */
  jFrames: number[];
  fFrames: number[];
}

export interface SequenceEvaluation {
  sequence: string;
  /** Names (or indices) of the evaluated frames. */
  frames: string[];
  objects: ObjectEvaluation[];
}

export interface SequenceOptions {
  /** Names the rows (`<sequence>_<i>`); default 'sequence'. */
  sequence?: string;
  /** One name per frame (e.g. '00000'); default the frame index. */
  frameNames?: string[];
  /** One label per predicted frame, used in error messages (e.g. the PNG path). */
  predictionNames?: string[];
  boundTh?: number;
}

/** Largest label of a map, ignoring `ignore` (e.g. void). */
function maxLabelOf(map: LabelMap, ignore?: number): number {
  return maxLabel(map.data, ignore);
}

function checkFrames(gt: LabelMap[], pred: LabelMap[], options: SequenceOptions): { width: number; height: number } {
  if (gt.length === 0) throw new EvalError(`sequence '${options.sequence ?? 'sequence'}' has no ground-truth frames`);
  if (pred.length !== gt.length) {
    throw new EvalError(`sequence '${options.sequence ?? 'sequence'}': ${pred.length} predicted frames for ${gt.length} ground-truth frames`);
  }
  const { width, height } = gt[0]!;
  gt.forEach((m, t) => {
    if (m.width !== width || m.height !== height) {
      throw new EvalError(`ground-truth frame ${frameName(options, t)} is ${m.width}x${m.height}, frame 0 is ${width}x${height}`);
    }
  });
  return { width, height };
}

function frameName(options: SequenceOptions, t: number): string {
  return options.frameNames?.[t] ?? String(t);
}

function predictionName(options: SequenceOptions, t: number): string {
  return options.predictionNames?.[t] ?? `${options.sequence ?? 'sequence'} prediction frame ${frameName(options, t)}`;
}

function checkPredictionSize(pred: LabelMap, width: number, height: number, options: SequenceOptions, t: number): void {
  if (pred.width !== width || pred.height !== height) {
    throw new EvalError(
      `${predictionName(options, t)}: prediction is ${pred.width}x${pred.height} but the ground truth is ${width}x${height}; ` +
        'write predictions at the annotation resolution',
    );
  }
}

/**
 * DAVIS-2017 semi-supervised protocol on one sequence. `gt` and `pred` hold every frame of the
 * sequence; the first and last frame are not scored (the first is given, the official code also
 * drops the last). Objects are 1..N with N = the largest id in frame 0 (void aside); void counts
 * as background; a predicted id above N in a scored frame is an error; missing ids are empty.
 */
export function evaluateSequenceSemi(gt: LabelMap[], pred: LabelMap[], options: SequenceOptions = {}): SequenceEvaluation {
  const sequence = options.sequence ?? 'sequence';
  const { width, height } = checkFrames(gt, pred, options);
  if (gt.length < 3) {
    throw new EvalError(`sequence '${sequence}' has ${gt.length} frames; the semi-supervised protocol scores frames 1..n-2 and needs at least 3`);
  }
  const numObjects = maxLabelOf(gt[0]!, DAVIS_VOID_LABEL);
  const radius = boundaryRadius(width, height, options.boundTh ?? DAVIS_BOUNDARY_THRESHOLD);
  const scored = Array.from({ length: gt.length - 2 }, (_, i) => i + 1);
  const jFrames = Array.from({ length: numObjects }, () => [] as number[]);
  const fFrames = Array.from({ length: numObjects }, () => [] as number[]);
  for (const t of scored) {
    const p = pred[t]!;
    checkPredictionSize(p, width, height, options, t);
    const top = maxLabelOf(p);
    if (top > numObjects) {
      throw new EvalError(
        `${predictionName(options, t)}: predicted id ${top} but sequence '${sequence}' has ${numObjects} object(s) in frame 0; ` +
          'predictions must use the ids of the first-frame annotation (0 = background)',
      );
    }
    const scores = scoreFramePairs({
      width,
      height,
      gt: gt[t]!.data,
      pred: p.data,
      numGt: numObjects,
      numPred: numObjects,
      radius,
      diagonalOnly: true,
    });
    for (let k = 0; k < numObjects; k++) {
      jFrames[k]!.push(scores.j[k * numObjects + k]!);
      fFrames[k]!.push(scores.f[k * numObjects + k]!);
    }
  }
  const objects = jFrames.map((js, k) => ({
    name: `${sequence}_${k + 1}`,
    sequence,
    objectId: k + 1,
    predictedId: k + 1,
    J: statistics(js),
    F: statistics(fFrames[k]!),
    jFrames: js,
    fFrames: fFrames[k]!,
  }));
  return { sequence, frames: scored.map((t) => frameName(options, t)), objects };
}

/**
 * DAVIS unsupervised protocol on one sequence: every frame scored, void (255) removed, up to 20
 * proposals (ids 1..max id), padded with empty proposals up to the number of objects. Each
 * object gets the proposal of a one-to-one assignment maximising Σ (mean J + mean F) / 2.
 * Rows come in the official order — ascending proposal index — and are named `<seq>_<i>` in that
 * order (as davis2017-evaluation does, so `<seq>_1` is not necessarily object 1; `objectId` says
 * which object a row is). Global numbers do not depend on the order.
 */
export function evaluateSequenceUnsupervised(gt: LabelMap[], pred: LabelMap[], options: SequenceOptions = {}): SequenceEvaluation {
  const sequence = options.sequence ?? 'sequence';
  const { width, height } = checkFrames(gt, pred, options);
  const numObjects = maxLabelOf(gt[0]!, DAVIS_VOID_LABEL);
  const radius = boundaryRadius(width, height, options.boundTh ?? DAVIS_BOUNDARY_THRESHOLD);
  let numProposals = 0;
  pred.forEach((p, t) => {
    checkPredictionSize(p, width, height, options, t);
    const top = maxLabelOf(p);
    if (top > DAVIS_MAX_PROPOSALS) {
      throw new EvalError(
        `${predictionName(options, t)}: proposal id ${top} is above the ${DAVIS_MAX_PROPOSALS} proposals the unsupervised task allows; ` +
          'keep at most 20 proposals per sequence, numbered 1..20',
      );
    }
    numProposals = Math.max(numProposals, top);
  });
  const rows = Math.max(numProposals, numObjects);
  // scores[p][g] = per-frame values of proposal p + 1 against object g + 1.
  const jFrames = Array.from({ length: rows }, () => Array.from({ length: numObjects }, () => [] as number[]));
  const fFrames = Array.from({ length: rows }, () => Array.from({ length: numObjects }, () => [] as number[]));
  for (let t = 0; t < gt.length; t++) {
    const g = gt[t]!.data;
    const voidMask = maskOfLabel(g, DAVIS_VOID_LABEL);
    const scores = scoreFramePairs({
      width,
      height,
      gt: g,
      pred: pred[t]!.data,
      numGt: numObjects,
      numPred: rows,
      voidMask,
      radius,
      diagonalOnly: false,
    });
    for (let o = 0; o < numObjects; o++) {
      for (let p = 0; p < rows; p++) {
        jFrames[p]![o]!.push(scores.j[o * rows + p]!);
        fFrames[p]![o]!.push(scores.f[o * rows + p]!);
      }
    }
  }
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const cost = jFrames.map((row, p) => row.map((js, o) => -(mean(js) + mean(fFrames[p]![o]!)) / 2));
  // Among assignments with exactly equal totals, scipy's linear_sum_assignment and ours may pick
  // different ones (e.g. several empty proposals); the totals, and in practice the numbers, agree.
  const assignment = numObjects === 0 ? [] : hungarian(cost);
  const objects: ObjectEvaluation[] = [];
  assignment.forEach((o, p) => {
    if (o < 0) return;
    const js = jFrames[p]![o]!,
      fs = fFrames[p]![o]!;
    objects.push({
      name: `${sequence}_${objects.length + 1}`,
      sequence,
      objectId: o + 1,
      predictedId: p < numProposals ? p + 1 : null,
      J: statistics(js),
      F: statistics(fs),
      jFrames: js,
      fFrames: fs,
    });
  });
  return { sequence, frames: gt.map((_, t) => frameName(options, t)), objects };
}
