/**
 * The adapter between the page and the project's inference core (src/models/inference_core.ts,
 * what `rvos infer` and the evaluator run): one frame in, one label map out, with the recurrent
 * state kept in the core between calls, and the same frame, mask and label conversions as
 * src/eval/predictor.ts, so the page's masks equal the CLI's for the same run and frames. (A page
 * cannot hand the predictor a whole video up front: live video and webcam frames arrive one at a
 * time, so there is no look-ahead frame either.)
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LabelMap } from '../../src/data/palette_codec.js';
import type { RgbImage } from '../../src/data/types.js';
import { frameToTensor, labelsToSlotMasks } from '../../src/eval/predictor.js';
import { InferenceCore, logitsToLabels } from '../../src/models/inference_core.js';
import type { RVOSModel } from '../../src/models/rvos_model.js';

export interface SegmenterOptions {
  /** Network input [H, W]. */
  size: [number, number];
  threshold: number;
  objectnessThreshold: number;
  /** One-shot previous-mask feed from frame 2 on (the run's eval.previous_mask; RVOS: 'soft'). */
  previousMask?: PreviousMaskFeed;
}

export class FrameSegmenter {
  private readonly core: InferenceCore;
  private t = 0;
  /** Frame 1, given by lookahead() before frame 0. */
  private pendingNext: RgbImage | null = null;

  constructor(
    model: RVOSModel,
    private readonly options: SegmenterOptions,
  ) {
    this.core = new InferenceCore(model, { previousMask: options.previousMask ?? 'soft', threshold: options.threshold, objectnessThreshold: options.objectnessThreshold });
  }

  /**
   * Whether frame 0 needs frame 1 first (model.first_frame_motion=next: frame 0's motion input is
   * the difference to frame 1); then pass frame 1 as `next` when stepping frame 0.
   */
  get needsLookahead(): boolean {
    return this.core.firstFrameLookahead;
  }

  /** Frames stepped so far. */
  get frames(): number {
    return this.t;
  }

  /**
   * Segments the next frame. `first` (one-shot, frame 0 only) gives the objects to follow: ids
   * 1..slots of a label map of the frame's size.
   */
  step(frame: RgbImage, first: LabelMap | null = null): LabelMap {
    const { size } = this.options;
    const { slots, mode } = this.core;
    if (this.t === 0) {
      const reference = this.pendingNext;
      this.pendingNext = null;
      const lookahead = reference !== null && this.core.firstFrameLookahead ? frameToTensor(reference, size) : null;
      this.core.startVideo(lookahead);
      lookahead?.dispose();
    }
    this.t++;
    const x = frameToTensor(frame, size);
    const given =
      t === 0 && first !== null && this.core.mode === 'one_shot'
        ? { ids: [...new Set(first.data)].filter((id) => id >= 1 && id <= this.core.slots), masks: labelsToSlotMasks(first, this.core.slots, size) }
        : undefined;
    try {
      const out = this.core.step(x, given);
      const labels = logitsToLabels(out.logits, out.keep, frame.width, frame.height, this.options.threshold);
      out.logits.dispose();
      return labels;
    } finally {
      x.dispose();
      given?.masks.dispose();
    }
  }

  dispose(): void {
    this.core.dispose();
  }
}
