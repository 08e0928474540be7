/**
 * Runs a segmenter (the inference core, src/models/inference_core.ts) over a whole video read from
 * disk and turns its slot outputs into label maps at the video's own resolution. This file does
 * the file and image side (frames resized as training clips are, annotations turned into the
 * given masks of one-shot models); the rules between frames live in the core.
 *
 * One-shot: the objects of frame 0's annotation are given at frame 0; an object whose first
 * annotated frame is t > 0 (YouTube-VOS, `sequence.firstFrameOf`) is given at t. Zero-shot: no
 * annotation is read.
 */
import * as tf from '@tensorflow/tfjs-core';
import { logitsToLabels, type FrameOutput, type GivenObjects, type VideoSegmenter } from '../models/inference_core.js';
import type { LabelMap } from '../data/palette_codec.js';
import type { RgbImage, VideoSequence } from '../data/types.js';
import { readFrameAtSize } from '../data/clip.js';
import { resizeLabelsNearest, resizeRgbBilinear } from '../data/resample.js';

export interface PredictOptions {
  /** Network input size [H, W] (a segmenter that takes native resolution gets each video's own). */
  size: [number, number];
  /** Foreground probability threshold (RVOS: 0.5). */
  threshold: number;
  /**
   * Told about objects the model cannot follow (ids above its slots in a given mask); default
   * console.warn. Never silent: the evaluator scores such objects as missed.
   */
  warn?: (message: string) => void;
  /**
   * Filled with the process CPU time of the model's steps alone (`segmenter.step`: no frame
   * decoding, annotation reading or label maps) and the frames stepped: what differs between
   * model families at the same input size.
   */
  modelTiming?: { cpuSeconds: number; frames: number };
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

/** The objects of a label map given to a one-shot segmenter: ids 1..slots present in it (or only `ids`), their masks at the network size. */
export function givenFromLabels(label: LabelMap, slots: number, size: [number, number], ids?: number[]): GivenObjects {
  const present = (ids ?? [...new Set(label.data)]).filter((id) => id >= 1 && id <= slots);
  return { ids: present, masks: labelsToSlotMasks(label, slots, size, new Set(present)) };
}

/**
 * The objects given at frame t (one-shot), read from the sequence's annotation: every object of
 * frame 0's, later only those that first appear at t; null when none. Warns about ids beyond the
 * model's slots. The caller disposes the masks.
 */
export async function readGivenObjects(
  sequence: VideoSequence,
  t: number,
  slots: number,
  size: [number, number],
  warn: (m: string) => void = (m) => console.warn(m),
): Promise<GivenObjects | null> {
  const ids =
    t === 0
      ? null // frame 0: every object of its annotation
      : [...sequence.firstFrameOf].filter(([, f]) => f === t).map(([id]) => id);
  if (ids !== null && ids.length === 0) return null;
  const annotation = await sequence.readAnnotation(t);
  if (annotation === null) return null;
  const dropped = ids === null ? idsBeyondSlots(annotation, slots) : ids.filter((id) => id > slots).sort((a, b) => a - b);
  if (dropped.length > 0) warn(droppedObjectsMessage(sequence.name, sequence.frameNames[t]!, dropped, slots));
  return givenFromLabels(annotation, slots, size, ids ?? undefined);
}

/** Starts a new video; `next` is the video's frame 1, read only by a segmenter that wants it (firstFrameLookahead). */
export function startVideo(segmenter: VideoSegmenter, next: RgbImage | null, size: [number, number]): void {
  const lookahead = segmenter.firstFrameLookahead && next !== null ? frameToTensor(next, size) : null;
  segmenter.startVideo(lookahead);
  lookahead?.dispose();
}

/** A step's output as a label map of width × height (disposes its logits). */
export function outputLabels(out: FrameOutput, width: number, height: number, threshold: number): LabelMap {
  try {
    return logitsToLabels(out.logits, out.keep, width, height, threshold);
  } finally {
    out.logits.dispose();
  }
}

/** Predicts every frame of `sequence` with `segmenter`, from a fresh video state. */
export async function predictSequence(segmenter: VideoSegmenter, sequence: VideoSequence, options: PredictOptions): Promise<VideoPrediction> {
  const { slots, mode } = segmenter;
  const { width, height } = sequence;
  const labels: LabelMap[] = [];
  let objectnessSums: Float64Array | null = null;
  const warn = options.warn ?? ((m: string) => console.warn(m));
  options = segmenter.nativeResolution === true ? { ...options, size: [height, width] } : options;
  // A model whose frame-0 motion reference is the next frame (model.first_frame_motion=next) gets frame 1.
  const next = segmenter.firstFrameLookahead && sequence.frameNames.length > 1 ? await readFrameAtSize(sequence, 1, ...options.size) : null;
  startVideo(segmenter, next, options.size);
  try {
    for (let t = 0; t < sequence.frameNames.length; t++) {
      const frame = frameToTensor(await readFrameAtSize(sequence, t, ...options.size), options.size);
      const given = mode === 'one_shot' ? await readGivenObjects(sequence, t, slots, options.size, warn) : null;
      try {
        const cpu = options.modelTiming === undefined ? null : process.cpuUsage();
        const out = segmenter.step(frame, given ?? undefined);
        if (cpu !== null) {
          const used = process.cpuUsage(cpu);
          options.modelTiming!.cpuSeconds += (used.user + used.system) / 1e6;
          options.modelTiming!.frames++;
        }
        if (out.objectness !== null) {
          objectnessSums ??= new Float64Array(slots);
          out.objectness.forEach((p, s) => (objectnessSums![s]! += p));
        }
        labels.push(outputLabels(out, width, height, options.threshold));
      } finally {
        frame.dispose();
        given?.masks.dispose();
      }
    }
  } finally {
    segmenter.dispose();
  }
  const frames = sequence.frameNames.length;
  return { labels, objectness: objectnessSums === null ? null : Array.from(objectnessSums, (s) => s / frames) };
}
