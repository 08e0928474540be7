/**
 * The adapter between the page and the project's inference code: one frame in, one label map out,
 * with the recurrent state kept between calls. It follows src/eval/predictor.ts's rules (what
 * `rvos infer` runs) and uses its frame, mask and label conversions, so the page's masks equal the
 * CLI's for the same run and frames. (A page cannot hand the predictor a whole video up front:
 * live video and webcam frames arrive one at a time.)
 *
 * One-shot (RVOS): the previous-mask input of frames 0 and 1 is the first-frame mask, later frames
 * get the previous frame's soft output; only the given ids are reported. Zero-shot: slots whose
 * objectness is above the threshold, id = slot + 1.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LabelMap } from '../../src/data/palette_codec.js';
import type { RgbImage } from '../../src/data/types.js';
import { frameToTensor, labelsToSlotMasks, probabilitiesToLabels } from '../../src/eval/predictor.js';
import type { DecoderState, RVOSModel } from '../../src/models/rvos_model.js';

export interface SegmenterOptions {
  /** Network input [H, W]. */
  size: [number, number];
  threshold: number;
  objectnessThreshold: number;
}

export class FrameSegmenter {
  private state: DecoderState;
  private previous: tf.Tensor4D | null = null;
  private firstMasks: tf.Tensor4D | null = null;
  private readonly givenIds = new Set<number>();
  private t = 0;

  constructor(
    private readonly model: RVOSModel,
    private readonly options: SegmenterOptions,
  ) {
    this.state = model.initialState();
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
    const { mode, slots } = this.model.config;
    const { size } = this.options;
    const t = this.t++;
    const x = frameToTensor(frame, size);
    let input: tf.Tensor4D | null = null;
    if (mode === 'one_shot') {
      if (t === 0) {
        this.firstMasks = first === null ? tf.zeros([1, ...size, slots]) : labelsToSlotMasks(first, slots, size);
        for (const id of first?.data ?? []) if (id >= 1 && id <= slots) this.givenIds.add(id);
      }
      input = t <= 1 ? this.firstMasks : this.previous;
    }
    const out = this.model.step(x, input, this.state);
    this.model.disposeState(this.state);
    this.state = out.state;
    let keep = Array.from({ length: slots }, (_, s) => mode === 'zero_shot' || this.givenIds.has(s + 1));
    if (out.objectness !== null && mode === 'zero_shot') {
      const obj = tf.tidy(() => tf.sigmoid(out.objectness!));
      keep = Array.from(obj.dataSync(), (p) => p > this.options.objectnessThreshold);
      obj.dispose();
    }
    const labels = probabilitiesToLabels(out.logits, keep, frame.width, frame.height, this.options.threshold);
    if (input !== null && input !== this.firstMasks) input.dispose();
    if (this.previous !== null && this.previous !== input) this.previous.dispose();
    this.previous = mode === 'one_shot' ? tf.tidy(() => tf.sigmoid(out.logits)) : null;
    x.dispose();
    out.logits.dispose();
    out.objectness?.dispose();
    return labels;
  }

  dispose(): void {
    this.model.disposeState(this.state);
    this.previous?.dispose();
    this.firstMasks?.dispose();
    this.previous = null;
    this.firstMasks = null;
  }
}
