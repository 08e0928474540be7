/**
 * One-shot mask input: each slot's previous mask max-pooled (2x2, ceil mode, repeatedly) to the
 * resolution of every decoder level (RVOS `model.py`). Every encoder here halves sizes with
 * ceil(n / 2), so repeated ceil-mode pooling reaches each level's size exactly.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * masks [B, H, W, S] in [0, 1] → one [B, h_k, w_k, S] per requested size (same order as `sizes`).
 * 'same' 2x2/2 max-pooling pads the bottom/right with -inf on odd sizes: PyTorch's ceil mode.
 */
export function maskPyramid(masks: tf.Tensor4D, sizes: readonly [number, number][]): tf.Tensor4D[] {
  return tf.tidy(() => {
    const found = new Map<string, tf.Tensor4D>();
    const key = (h: number, w: number): string => `${h}x${w}`;
    const wanted = new Set(sizes.map(([h, w]) => key(h, w)));
    let x = masks;
    const minH = Math.min(...sizes.map((s) => s[0]));
    const minW = Math.min(...sizes.map((s) => s[1]));
    for (;;) {
      const [, h, w] = x.shape;
      if (wanted.has(key(h, w))) found.set(key(h, w), x);
      if (found.size === wanted.size || (h <= minH && w <= minW) || (h === 1 && w === 1)) break;
      x = tf.maxPool(x, 2, 2, 'same');
    }
    return sizes.map(([h, w]) => {
      const t = found.get(key(h, w));
      if (t === undefined) {
        throw new Error(`maskPyramid: pooling ${masks.shape[1]}x${masks.shape[2]} by 2 never reaches ${h}x${w}; the encoder must halve sizes as ceil(n / 2)`);
      }
      return t;
    });
  });
}
