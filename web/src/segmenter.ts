/**
 * The adapter between the page and the project's inference core (src/models/inference_core.ts,
 * the loop `rvos infer` and the evaluator run): one frame in, one label map out, with the
 * recurrent state kept by the core between calls, so the page's masks equal the CLI's for the
 * same run and frames. The per-frame glue (frame and given masks in, label map out) is the
 * predictor's own (src/eval/predictor.ts). (A page cannot hand the predictor a whole video up
 * front: live video and webcam frames arrive one at a time.)
 */
import type { LabelMap } from '../../src/data/palette_codec.js';
import type { RgbImage } from '../../src/data/types.js';
import { frameToTensor, givenFromLabels, outputLabels, startVideo } from '../../src/eval/predictor.js';
import { InferenceCore, type FrameModel, type GivenObjects, type PreviousMaskFeed } from '../../src/models/inference_core.js';

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
    model: FrameModel,
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
    if (this.t === 0) startVideo(this.core, next, size);
    this.t++;
    const x = frameToTensor(frame, size);
    const given: GivenObjects | undefined = mode === 'one_shot' && first !== null && this.t === 1 ? givenFromLabels(first, slots, size) : undefined;
    try {
      return outputLabels(this.core.step(x, given), frame.width, frame.height, this.options.threshold);
    } finally {
      x.dispose();
      given?.masks.dispose();
    }
  }

  dispose(): void {
    this.core.dispose();
  }
}
