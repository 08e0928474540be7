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

  constructor(
    model: RVOSModel,
    private readonly options: SegmenterOptions,
  ) {
    this.core = new InferenceCore(model, {
      previousMask: options.previousMask ?? 'soft',
      threshold: options.threshold,
      objectnessThreshold: options.objectnessThreshold,
    });
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
   * 1..slots of a label map of the frame's size. `next` (frame 0 only) is frame 1, the motion
   * reference of models with model.first_frame_motion=next (ignored by other models).
   */
  step(frame: RgbImage, first: LabelMap | null = null, next: RgbImage | null = null): LabelMap {
    const { size } = this.options;
    const { slots, mode } = this.core;
    if (this.t === 0) {
      const lookahead = next !== null && this.core.firstFrameLookahead ? frameToTensor(next, size) : null;
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
