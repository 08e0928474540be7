/**
 * Whole-video prediction with a baseline family's per-video tracker (src/models/baselines/):
 * the one-shot protocol of ./predictor.ts (objects are given at frame 0, or where they first
 * appear), label maps at the video's own resolution, and the time spent in the model.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BaselineModel, GivenObjects } from '../models/baselines/types.js';
import type { LabelMap } from '../data/palette_png.js';
import type { VideoSequence } from '../data/types.js';
import { readFrameAtSize } from '../data/clip.js';
import { frameToTensor, labelsToSlotMasks, type PredictOptions, type VideoPrediction } from './predictor.js';

export interface TrackerPrediction extends VideoPrediction {
  /** Seconds spent in tracker.step over the video (frame decoding and label maps excluded). */
  modelSeconds: number;
}

/** Probabilities [1, h, w, S] → label map at (width, height): the most probable kept slot above the threshold. */
function labelsFromProbabilities(probs: tf.Tensor4D, keep: boolean[], width: number, height: number, threshold: number): LabelMap {
  const slots = keep.length;
  const resized = tf.image.resizeBilinear(probs, [height, width], true);
  const p = resized.dataSync() as Float32Array;
  resized.dispose();
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) {
    let best = threshold;
    for (let s = 0; s < slots; s++) {
      if (keep[s] && p[i * slots + s]! > best) {
        best = p[i * slots + s]!;
        data[i] = s + 1;
      }
    }
  }
  return { width, height, data };
}

export async function predictWithTracker(model: BaselineModel, sequence: VideoSequence, options: PredictOptions): Promise<TrackerPrediction> {
  const slots = model.config.slots;
  const tracker = model.tracker();
  const labels: LabelMap[] = [];
  const givenIds = new Set<number>();
  let modelSeconds = 0;
  try {
    for (let t = 0; t < sequence.frameNames.length; t++) {
      const ids = t === 0 ? null : new Set([...sequence.firstFrameOf].filter(([, f]) => f === t).map(([id]) => id));
      let given: GivenObjects | null = null;
      if (t === 0 || ids!.size > 0) {
        const annotation = await sequence.readAnnotation(t);
        if (annotation !== null) {
          const present = new Set([...annotation.data].filter((id) => id >= 1 && id <= slots && (ids === null || ids.has(id))));
          given = { masks: labelsToSlotMasks(annotation, slots, options.size, present), slots: [...present].map((id) => id - 1) };
          for (const id of present) givenIds.add(id);
        }
      }
      const frame = frameToTensor(await readFrameAtSize(sequence, t, ...options.size), options.size);
      const started = performance.now();
      const probs = tracker.step(frame, given);
      probs.dataSync(); // the step is done when its values are
      modelSeconds += (performance.now() - started) / 1000;
      const keep = Array.from({ length: slots }, (_, s) => givenIds.has(s + 1));
      labels.push(labelsFromProbabilities(probs, keep, sequence.width, sequence.height, options.threshold));
      tf.dispose([frame, probs, ...(given === null ? [] : [given.masks])]);
    }
  } finally {
    tracker.dispose();
  }
  return { labels, objectness: null, modelSeconds };
}
