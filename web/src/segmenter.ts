/**
 * The adapter between the page and the project's inference core (src/models/inference_core.ts,
 * the loop `rvos infer` and the evaluator run): one frame in, one label map out, with the
 * recurrent state kept by the core between calls, so the page's masks equal the CLI's for the
 * same run and frames. (A page cannot hand the predictor a whole video up front: live video and
 * webcam frames arrive one at a time.)
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LabelMap } from '../../src/data/palette_codec.js';
import type { RgbImage } from '../../src/data/types.js';
import { frameToTensor, labelsToSlotMasks } from '../../src/eval/predictor.js';
import { InferenceCore, logitsToLabels, type PreviousMaskFeed } from '../../src/models/inference_core.js';
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
   * the difference to frame 1); then call `lookahead` with frame 1 before stepping frame 0.
   */
  get needsLookahead(): boolean {
    return this.core.firstFrameLookahead;
  }

  /** Gives frame 1 as frame 0's motion reference (before the first step). */
  lookahead(next: RgbImage): void {
    if (this.t !== 0) throw new Error('FrameSegmenter.lookahead: only before the first frame');
    this.pendingNext = next;
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
    let given: { ids: number[]; masks: tf.Tensor4D } | undefined;
    if (mode === 'one_shot' && first !== null && this.t === 1) {
      const ids = [...new Set(first.data)].filter((id) => id >= 1 && id <= slots);
      given = { ids, masks: labelsToSlotMasks(first, slots, size, new Set(ids)) };
    }
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
