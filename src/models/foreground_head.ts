/**
 * The foreground head (`model.inputs: [..., foreground]`, zero-shot; not in RVOS): one map per frame saying
 * which pixels belong to any object, trained on the union of the objects' masks
 * (`train.foreground_weight`) and shown to every slot as one more decoder channel per level.
 *
 * Why: zero-shot scores about the same on its training videos as on held-out ones (0.28 vs 0.25
 * J&F, docs/zero_shot.md), so it fails to learn the task rather than to generalise, and its masks
 * cover background regions. A slot's soft-IoU loss says "this object" only through the one object
 * Hungarian matching gave it; a dense per-pixel loss on "any object" is an easier signal that
 * reaches the shared encoder every step. Splitting the foreground into instances is then the
 * slots' job, the division of labour of proposal-free instance segmentation (foreground, then
 * instances; e.g. the semantic branch of Kirillov et al.'s panoptic FPN, CVPR 2019).
 *
 * Shape: a small top-down head over the decoder's reduced skips (strides 32, 16, 8, 4): each a
 * 1x1 conv to 8 channels, upsampled bilinearly to stride 4 and summed, ReLU, a 3x3 conv to one
 * logit. The slots see its probabilities as a constant (no gradient path from the slots' losses):
 * the head learns only what "foreground" is, like the slot canvas (./slot_canvas.ts).
 *
 * Zero-shot only: one-shot slots are told their objects by the given masks, and there the head
 * lowered J&F at every validation of the one measured run (docs/zero_shot.md).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Conv2D } from './nn.js';
import type { ParamStore } from './params.js';

/** Channels of each level's projection before they are summed. */
export const FOREGROUND_HEAD_CHANNELS = 8;

export class ForegroundHead {
  private readonly lateral: Conv2D[];
  private readonly out: Conv2D;

  /** @param skipChannels channels of the reduced skips, strides 32, 16, 8, 4 */
  constructor(store: ParamStore, skipChannels: readonly number[]) {
    this.lateral = skipChannels.map(
      (c, k) => new Conv2D(store, `foreground/lateral${k}`, c, FOREGROUND_HEAD_CHANNELS, { kernel: 1, bias: true, init: 'torchDefault' }, 'decoder'),
    );
    this.out = new Conv2D(store, 'foreground/logit', FOREGROUND_HEAD_CHANNELS, 1, { kernel: 3, bias: true, init: 'torchDefault' }, 'decoder');
  }

  /** Reduced skips (strides 32, 16, 8, 4) → [B, h4, w4, 1] foreground logits at stride 4. */
  apply(skips: readonly tf.Tensor4D[]): tf.Tensor4D {
    const finest = skips[skips.length - 1]!;
    const size: [number, number] = [finest.shape[1], finest.shape[2]];
    const summed = tf.addN(
      skips.map((s, k) => {
        const y = this.lateral[k]!.apply(s);
        return y.shape[1] === size[0] && y.shape[2] === size[1] ? y : tf.image.resizeBilinear(y, size, true);
      }),
    ) as tf.Tensor4D;
    return this.out.apply(tf.relu(summed));
  }
}
