/**
 * A baseline family as a `VideoSegmenter` (src/models/inference_core.ts): the inference core's
 * callers (evaluator, `rvos infer`, notebooks) drive a baseline's per-video tracker exactly as they
 * drive RVOS through the core. The tracker's probabilities are returned as logits (the core's
 * output) and only slots of objects given so far are reported.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { FrameOutput, GivenObjects as CoreGiven, VideoSegmenter } from '../inference_core.js';
import type { BaselineModel, FrameTracker } from './types.js';

/** Probabilities are clipped to (ε, 1 − ε) so that 0/1 masks (copy_first) give finite logits. */
const PROBABILITY_EPSILON = 1e-6;

export class TrackerSegmenter implements VideoSegmenter {
  readonly slots: number;
  readonly mode = 'one_shot' as const;
  readonly firstFrameLookahead = false;
  private tracker: FrameTracker | null = null;
  private readonly given = new Set<number>();

  constructor(private readonly model: BaselineModel) {
    this.slots = model.config.slots;
  }

  startVideo(): void {
    this.tracker?.dispose();
    this.tracker = this.model.tracker();
    this.given.clear();
  }

  step(frame: tf.Tensor4D, given?: CoreGiven): FrameOutput {
    if (this.tracker === null) this.startVideo();
    const slots = (given?.ids ?? []).filter((id) => Number.isInteger(id) && id >= 1 && id <= this.slots).map((id) => id - 1);
    for (const s of slots) this.given.add(s);
    const probs = this.tracker!.step(frame, given === undefined || slots.length === 0 ? null : { masks: given.masks, slots });
    const logits = tf.tidy(() => {
      const p = tf.clipByValue(probs, PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON);
      return tf.sub(tf.log(p), tf.log(tf.sub(1, p))) as tf.Tensor4D;
    });
    probs.dispose();
    return { logits, objectness: null, keep: Array.from({ length: this.slots }, (_, s) => this.given.has(s)) };
  }

  dispose(): void {
    this.tracker?.dispose();
    this.tracker = null;
  }
}
