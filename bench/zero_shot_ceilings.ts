/**
 * `npx tsx bench/zero_shot_ceilings.ts [PRED_DIR]` (or `npm run bench -- zero_shot_ceilings`, without
 * PRED_DIR): what bounds zero-shot on the main job's
 * held-out videos, apart from the model (docs/zero_shot.md). On the val split of
 * data/synthetic-varied-1k-v2 (made by `npm start`; the numbers in docs/zero_shot.md were measured on
 * the held-out split of the dataset before the train / val / test splits, docs/protocol.md):
 *
 * 1. The pipeline's ceiling: the ground truth sent through the model's resolution path (resized
 *    nearest to 64x64, average-pooled 2x2 to the stride-2 logit grid, upsampled bilinearly,
 *    thresholded and resized to the video's size by the same logitsToLabels as inference), scored
 *    with the DAVIS unsupervised protocol. Also without the pooling.
 * 2. A non-learned motion cue: per frame, the IoU with the union of the objects' masks of the
 *    blurred absolute luminance difference to the previous frame (plain, or camera-aligned by
 *    src/models/motion_alignment.ts; also the three-frame minimum with the next frame), at the
 *    best threshold for that frame (an oracle choice, so an upper bound for a thresholded cue).
 * 3. With PRED_DIR (a folder of predicted palette PNGs, e.g. a run's predictions/): the union IoU
 *    of the predictions, any predicted object against any true object.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readRgbImageResized, resizeLabelsNearest } from '../src/data/image_io.js';
import { readLabelPng, type LabelMap } from '../src/data/palette_png.js';
import { buildDavisEvaluation } from '../src/eval/report.js';
import { evaluateSequenceUnsupervised } from '../src/eval/sequence.js';
import { logitsToLabels } from '../src/models/inference_core.js';
import { alignPrevious } from '../src/models/motion_alignment.js';

const ROOT = 'data/synthetic-varied-1k-v2';
const SIZE = 64;
const SLOTS = 5;
const predDir = process.argv[2];

await tf.setBackend('cpu');
const splitFile = path.join(ROOT, 'ImageSets/2017/val.txt');
if (!fs.existsSync(splitFile)) {
  console.log(`zero_shot_ceilings: ${splitFile} is missing; run \`npm start\` first (it generates ${ROOT})`);
  process.exit(0);
}
const videos = fs.readFileSync(splitFile, 'utf8').trim().split('\n');
const annotations = (v: string): string => path.join(ROOT, 'Annotations_unsupervised/480p', v);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** 1. The ground truth through the model's resolution path; pool = 1 skips the stride-2 grid. */
function pipelineCeiling(pool: number): number {
  const sequences = videos.map((v) => {
    const names = fs.readdirSync(annotations(v)).sort();
    const gt = names.map((f) => readLabelPng(path.join(annotations(v), f)));
    const pred = gt.map((label): LabelMap => {
      const small = resizeLabelsNearest(label, SIZE, SIZE).data;
      const onehot = new Float32Array(SIZE * SIZE * SLOTS);
      for (let p = 0; p < small.length; p++) if (small[p]! > 0 && small[p]! <= SLOTS) onehot[p * SLOTS + small[p]! - 1] = 1;
      const logits = tf.tidy(() => {
        const masks = tf.tensor4d(onehot, [1, SIZE, SIZE, SLOTS]);
        const q = tf.clipByValue(pool > 1 ? tf.avgPool(masks, pool, pool, 'valid') : masks, 1e-4, 1 - 1e-4);
        return tf.image.resizeBilinear(tf.log(tf.div(q, tf.sub(1, q))) as tf.Tensor4D, [SIZE, SIZE], true);
      });
      const out = logitsToLabels(logits, Array<boolean>(SLOTS).fill(true), label.width, label.height, 0.5);
      logits.dispose();
      return out;
    });
    return evaluateSequenceUnsupervised(gt, pred, { sequence: v });
  });
  return buildDavisEvaluation('unsupervised', sequences).global['J&F-Mean'];
}

/** Luminance of a [1, S, S, 3] frame. */
function luminance(t: tf.Tensor4D): Float32Array {
  const d = t.dataSync();
  return Float32Array.from({ length: SIZE * SIZE }, (_, p) => 0.299 * d[p * 3]! + 0.587 * d[p * 3 + 1]! + 0.114 * d[p * 3 + 2]!);
}

function boxBlur(x: Float32Array, r: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let y = 0; y < SIZE; y++)
    for (let c = 0; c < SIZE; c++) {
      let sum = 0;
      let n = 0;
      for (let yy = Math.max(0, y - r); yy <= Math.min(SIZE - 1, y + r); yy++)
        for (let cc = Math.max(0, c - r); cc <= Math.min(SIZE - 1, c + r); cc++, n++) sum += x[yy * SIZE + cc]!;
      out[y * SIZE + c] = sum / n;
    }
  return out;
}

/** IoU with `union` of the cue thresholded at the best of its 30th…98th percentiles. */
function bestIoU(cue: Float32Array, union: Uint8Array): number {
  const sorted = Float32Array.from(cue).sort();
  let best = 0;
  for (let q = 0.3; q < 0.99; q += 0.02) {
    const th = sorted[Math.floor(q * sorted.length)]!;
    let inter = 0;
    let uni = 0;
    for (let p = 0; p < cue.length; p++) {
      const a = cue[p]! > th;
      const b = union[p]! > 0;
      if (a && b) inter++;
      if (a || b) uni++;
    }
    if (uni > 0) best = Math.max(best, inter / uni);
  }
  return best;
}

/** 2. The motion cue's oracle-threshold IoU, plain / aligned / aligned three-frame, per frame. */
async function motionCue(): Promise<Record<string, number>> {
  const rows: Record<string, number[]> = { plain: [], aligned: [], 'aligned, three-frame': [] };
  for (const v of videos) {
    const dir = path.join(ROOT, 'JPEGImages/480p', v);
    const files = fs.readdirSync(dir).sort();
    const frames: tf.Tensor4D[] = [];
    for (const f of files) {
      const image = await readRgbImageResized(path.join(dir, f), SIZE, SIZE);
      frames.push(
        tf.tensor4d(
          Float32Array.from(image.data, (x) => x / 255),
          [1, SIZE, SIZE, 3],
        ),
      );
    }
    for (let t = 1; t + 1 < frames.length; t++) {
      const union = resizeLabelsNearest(readLabelPng(path.join(annotations(v), files[t]!.replace('.jpg', '.png'))), SIZE, SIZE).data;
      if (!union.some((x) => x > 0)) continue;
      const current = luminance(frames[t]!);
      const diff = (other: Float32Array): Float32Array => Float32Array.from(current, (x, i) => Math.abs(x - other[i]!));
      const alignedPrev = tf.tidy(() => alignPrevious(frames[t - 1]!, frames[t]!));
      const alignedNext = tf.tidy(() => alignPrevious(frames[t + 1]!, frames[t]!));
      const toPrev = diff(luminance(alignedPrev));
      const toNext = diff(luminance(alignedNext));
      tf.dispose([alignedPrev, alignedNext]);
      rows.plain!.push(bestIoU(boxBlur(diff(luminance(frames[t - 1]!)), 2), union));
      rows.aligned!.push(bestIoU(boxBlur(toPrev, 2), union));
      rows['aligned, three-frame']!.push(
        bestIoU(
          boxBlur(
            Float32Array.from(toPrev, (x, i) => Math.min(x, toNext[i]!)),
            2,
          ),
          union,
        ),
      );
    }
    tf.dispose(frames);
  }
  return Object.fromEntries(Object.entries(rows).map(([k, xs]) => [k, mean(xs)]));
}

/** 3. Union IoU of predicted palette PNGs against the ground truth, per frame with any object. */
function predictionUnionIoU(dir: string): number {
  const ious: number[] = [];
  for (const v of videos) {
    for (const f of fs.readdirSync(annotations(v)).sort()) {
      const pred = readLabelPng(path.join(dir, v, f));
      const gt = readLabelPng(path.join(annotations(v), f));
      let inter = 0;
      let uni = 0;
      for (let p = 0; p < gt.data.length; p++) {
        const a = pred.data[p]! > 0;
        const b = gt.data[p]! > 0 && gt.data[p]! !== 255;
        if (a && b) inter++;
        if (a || b) uni++;
      }
      if (uni > 0) ious.push(inter / uni);
    }
  }
  return mean(ious);
}

console.log(`held-out split of ${ROOT} (${videos.length} videos), network input ${SIZE}x${SIZE}`);
console.log(`pipeline ceiling, J&F (unsupervised): ${pipelineCeiling(2).toFixed(3)} with the stride-2 logit grid, ${pipelineCeiling(1).toFixed(3)} without`);
const cue = await motionCue();
console.log(
  `motion cue, union IoU at the best per-frame threshold: ${Object.entries(cue)
    .map(([k, x]) => `${k} ${x.toFixed(3)}`)
    .join(', ')}`,
);
if (predDir !== undefined) console.log(`predictions in ${predDir}: union IoU ${predictionUnionIoU(predDir).toFixed(3)}`);
