/**
 * Runs a trained model over whole videos and turns its slot outputs into label maps at the
 * video's own resolution: the inference driver (the trainer's clip loop is the other driver).
 *
 * One-shot (RVOS): the previous-mask input of frames 0 and 1 is the first-frame ground truth,
 * later frames get the previous frame's soft output; an object that first appears at frame t > 0
 * (YouTube-VOS) has its given mask put into its slot's previous-mask input at frame t.
 * Zero-shot: slots whose objectness is above the threshold become proposals, id = slot + 1, so a
 * slot keeps its id across frames (RVOS has no objectness: with the head off every slot is kept).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RVOSModel } from '../models/rvos_model.js';
import type { LabelMap } from '../data/palette_png.js';
import type { RgbImage, VideoSequence } from '../data/types.js';
import { readFrameAtSize } from '../data/clip.js';
import { resizeLabelsNearest, resizeRgbBilinear } from '../data/resample.js';

export interface PredictOptions {
  /** Network input size [H, W]. */
  size: [number, number];
  /** Foreground probability threshold (RVOS: 0.5). */
  threshold: number;
  /** Zero-shot: minimum objectness probability for a slot to be reported. */
  objectnessThreshold: number;
  /**
   * One-shot previous-mask input from frame 2 on: the previous soft output ('soft', RVOS) or that
   * output thresholded at `threshold` ('binary', which keeps masks from fading over long videos).
   */
  previousMask?: 'soft' | 'binary';
  /**
   * Told about objects the model cannot follow (ids above its slots in a given mask); default
   * console.warn. Never silent: the evaluator scores such objects as missed.
   */
  warn?: (message: string) => void;
}

/** Ids of a label map above `slots` (void excluded), ascending. */
export function idsBeyondSlots(label: LabelMap, slots: number): number[] {
  const seen = new Set<number>();
  for (const id of label.data) if (id > slots && id !== 255) seen.add(id);
  return [...seen].sort((a, b) => a - b);
}

/** The warning for objects a model with `slots` slots drops. */
export function droppedObjectsMessage(sequence: string, frame: string, dropped: number[], slots: number): string {
  return `[rvos] ${sequence} frame ${frame}: object id${dropped.length > 1 ? 's' : ''} ${dropped.join(', ')} exceed${dropped.length > 1 ? '' : 's'} the model's ${slots} slots and ${dropped.length > 1 ? 'are' : 'is'} not followed (scored as missed); train with more model.slots to follow them`;
}

export interface VideoPrediction {
  labels: LabelMap[];
  /** Mean objectness probability per slot over the video (null without objectness head). */
  objectness: number[] | null;
}

/** Frame → [1,H,W,3] in [0,1] at the network size, resized as training clips are. */
export function frameToTensor(image: RgbImage, size: [number, number]): tf.Tensor4D {
  const [h, w] = size;
  const sized = resizeRgbBilinear(image, h, w);
  return tf.tidy(() => tf.div(tf.tensor4d(Float32Array.from(sized.data), [1, h, w, 3]), 255) as tf.Tensor4D);
}

/**
 * Label map → one-hot masks [1,H,W,S] at the network size (nearest, as training masks are), ids
 * 1..S in slots 0..S−1.
 */
export function labelsToSlotMasks(label: LabelMap, slots: number, size: [number, number], onlyIds?: Set<number>): tf.Tensor4D {
  const [h, w] = size;
  const sized = resizeLabelsNearest(label, h, w);
  const onehot = new Float32Array(h * w * slots);
  for (let i = 0; i < sized.data.length; i++) {
    const id = sized.data[i]!;
    if (id >= 1 && id <= slots && (onlyIds === undefined || onlyIds.has(id))) onehot[i * slots + id - 1] = 1;
  }
  return tf.tensor4d(onehot, [1, h, w, slots]);
}

/**
 * Slot probabilities [1,h,w,S] (network size) → label map at (width, height): each pixel takes
 * the most probable kept slot whose probability exceeds the threshold.
 */
export function probabilitiesToLabels(logits: tf.Tensor4D, keep: boolean[], width: number, height: number, threshold: number): LabelMap {
  const slots = keep.length;
  // Read outside tf.tidy: a tidy that returns a typed array walks every element looking for tensors.
  const resized = tf.tidy(() => tf.sigmoid(tf.image.resizeBilinear(logits, [height, width], true)));
  const probs = resized.dataSync() as Float32Array;
  resized.dispose();
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) {
    let best = threshold;
    let id = 0;
    for (let s = 0; s < slots; s++) {
      const p = probs[i * slots + s]!;
      if (keep[s] && p > best) {
        best = p;
        id = s + 1;
      }
    }
    data[i] = id;
  }
  return { width, height, data };
}

/** Predicts every frame of `sequence`. One-shot reads first masks from the sequence's annotations. */
export async function predictSequence(model: RVOSModel, sequence: VideoSequence, options: PredictOptions): Promise<VideoPrediction> {
  const { mode, slots } = model.config;
  const { width, height } = sequence;
  const labels: LabelMap[] = [];
  const objectnessSums = new Float64Array(slots);
  const warn = options.warn ?? ((m: string) => console.warn(m));
  // Frame 0's motion reference (model.first_frame_motion=next) is frame 1.
  const lookahead = sequence.frameNames.length > 1 && model.config.motionInput === true && model.config.firstFrameMotion === 'next'
    ? frameToTensor(await readFrameAtSize(sequence, 1, ...options.size), options.size)
    : null;
  let state = model.initialState(lookahead);
  lookahead?.dispose();
  let previous: tf.Tensor4D | null = null;
  let firstMasks: tf.Tensor4D | null = null;
  const firstFrameOf = sequence.firstFrameOf;
  // One-shot reports only the objects it was given (frame 0, or later where they first appear).
  const givenIds = new Set<number>();
  for (let t = 0; t < sequence.frameNames.length; t++) {
    const frame = frameToTensor(await readFrameAtSize(sequence, t, ...options.size), options.size);
    let input: tf.Tensor4D | null = null;
    if (mode === 'one_shot') {
      if (t === 0) {
        const first = await sequence.readAnnotation(0);
        firstMasks = first === null ? tf.zeros([1, ...options.size, slots]) : labelsToSlotMasks(first, slots, options.size);
        for (const id of first?.data ?? []) if (id >= 1 && id <= slots) givenIds.add(id);
        const dropped = first === null ? [] : idsBeyondSlots(first, slots);
        if (dropped.length > 0) warn(droppedObjectsMessage(sequence.name, sequence.frameNames[0]!, dropped, slots));
      }
      input = t <= 1 ? firstMasks : previous;
      const newIds = new Set([...firstFrameOf].filter(([, f]) => f === t && t > 0).map(([id]) => id));
      if (newIds.size > 0) input = await injectNewObjects(sequence, t, input!, newIds, slots, options.size, warn);
      for (const id of newIds) givenIds.add(id);
    }
    const out = model.step(frame, input, state);
    model.disposeState(state);
    state = out.state;
    let keep = Array.from({ length: slots }, (_, s) => mode === 'zero_shot' || givenIds.has(s + 1));
    if (out.objectness !== null) {
      const obj = tf.tidy(() => tf.sigmoid(out.objectness!).dataSync());
      obj.forEach((p, s) => (objectnessSums[s]! += p));
      if (mode === 'zero_shot') keep = Array.from(obj, (p) => p > options.objectnessThreshold);
    }
    labels.push(probabilitiesToLabels(out.logits, keep, width, height, options.threshold));
    if (input !== null && input !== firstMasks) input.dispose();
    if (previous !== null && previous !== input) previous.dispose();
    previous =
      mode !== 'one_shot'
        ? null
        : options.previousMask === 'binary'
          ? tf.tidy(() => tf.cast(tf.greater(tf.sigmoid(out.logits), options.threshold), 'float32') as tf.Tensor4D)
          : tf.tidy(() => tf.sigmoid(out.logits));
    frame.dispose();
    out.logits.dispose();
    out.objectness?.dispose();
  }
  model.disposeState(state);
  previous?.dispose();
  firstMasks?.dispose();
  const frames = sequence.frameNames.length;
  return { labels, objectness: model.config.objectness ? Array.from(objectnessSums, (s) => s / frames) : null };
}

/** Puts the given masks of objects first annotated at frame t into their slots of `input`. */
async function injectNewObjects(sequence: VideoSequence, t: number, input: tf.Tensor4D, ids: Set<number>, slots: number, size: [number, number], warn: (m: string) => void): Promise<tf.Tensor4D> {
  const annotation = await sequence.readAnnotation(t);
  if (annotation === null) return input;
  const dropped = [...ids].filter((id) => id > slots).sort((a, b) => a - b);
  if (dropped.length > 0) warn(droppedObjectsMessage(sequence.name, sequence.frameNames[t]!, dropped, slots));
  return tf.tidy(() => {
    const given = labelsToSlotMasks(annotation, slots, size, ids);
    const slotIsNew = tf.tensor4d(Array.from({ length: slots }, (_, s) => (ids.has(s + 1) ? 1 : 0)), [1, 1, 1, slots]);
    return tf.add(tf.mul(input, tf.sub(1, slotIsNew)), tf.mul(given, slotIsNew)) as tf.Tensor4D;
  });
}
