/**
 * The slot canvas (`model.inputs: [..., slot_canvas]`, zero-shot; not in RVOS): slot s of a frame also sees
 * what slots 0..s−1 of the same frame have already claimed, as one extra decoder channel per
 * level. The claim is the pixelwise maximum of the earlier slots' mask probabilities (stride 2),
 * max-pooled to every decoder level like the one-shot mask input (./mask_pyramid.ts).
 *
 * Why: in RVOS a later slot learns which objects are taken only through the spatial hidden state,
 * and zero-shot here rarely finds a second object (docs/zero_shot.md). An explicit memory of the
 * pixels already segmented is how recurrent instance segmentation tells its next step where not
 * to look (the "external memory" of Ren & Zemel, CVPR 2017).
 *
 * The canvas is an input, not a path for gradients: the probabilities are copied as constants,
 * so a slot's loss never reshapes the earlier slots' masks to suit it (the same choice as the
 * zero-shot matching references, ./matching_inputs.ts). Slot 0 sees an empty canvas.
 */
import * as tf from '@tensorflow/tfjs-core';
import { maskPyramid } from './mask_pyramid.js';
import { detach } from './nn.js';

export class SlotCanvas {
  private claimed: tf.Tensor4D | null = null;

  /** @param sizes the decoder levels' [h, w] (strides 32, 16, 8, 4) */
  constructor(
    private readonly batch: number,
    private readonly sizes: readonly [number, number][],
  ) {}

  /** The canvas at every level for the next slot: [B, h_k, w_k, 1] in [0, 1]. */
  levels(): tf.Tensor4D[] {
    if (this.claimed === null) return this.sizes.map(([h, w]) => tf.zeros([this.batch, h, w, 1]) as tf.Tensor4D);
    return maskPyramid(this.claimed, this.sizes);
  }

  /** Adds a slot's mask logit ([B, 2·h4, 2·w4, 1], stride 2) to the canvas. */
  claim(logit: tf.Tensor4D): void {
    const previous = this.claimed;
    const probabilities = tf.tidy((): tf.Tensor4D => {
      const p = tf.sigmoid(logit);
      return previous === null ? p : tf.maximum(previous, p);
    });
    this.claimed = detach(probabilities);
    probabilities.dispose();
    previous?.dispose();
  }
}
