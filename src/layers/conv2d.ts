/**
 * A 2-D convolution with an optional bias (NHWC, no activation) whose gradient is one kernel
 * call (src/backend/fused_kernels/conv2d_grad.ts) on wasm and cpu: one tape node and two engine
 * calls forward (tfjs-core's fused conv2d makes three) and one backward (it makes three or four).
 * The forward kernel is tfjs-core's own FusedConv2D with the attributes tf.fused.conv2d passes, so
 * outputs and gradients are the same bit for bit. Other backends (tensorflow), activations and
 * non-float32 inputs take tf.fused.conv2d.
 *
 * With `resize`, x is first resized bilinearly with aligned corners (tf.image.resizeBilinear(x,
 * resize, true); the decoder head's ×2 upsampling) inside the same op (RvosResizeConv2D), so the
 * resize and its gradient are no tape node and no engine call of their own; switched off, or where
 * that kernel is missing, the resize is the separate op before the convolution.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hasFusedKernel } from '../backend/fused_kernels/index.js';
import { CONV2D_GRAD, RESIZE_CONV2D, type Conv2DGradAttrs, type ResizeConv2DAttrs } from '../backend/fused_kernels/conv2d_grad.js';
import { runKernelFunc } from './kernel_func.js';

export interface Conv2DArgs {
  x: tf.Tensor4D;
  filter: tf.Tensor4D;
  strides: number;
  pad: 'same' | 'valid' | number;
  bias?: tf.Tensor | null;
  activation?: 'linear' | 'relu' | 'relu6';
  /** [h, w]: x is first resized to this size, bilinearly with aligned corners. */
  resize?: [number, number] | null;
}

export function conv2d({ x, filter, strides, pad, bias, activation = 'linear', resize = null }: Conv2DArgs): tf.Tensor4D {
  const b = bias ?? null;
  const fused =
    activation === 'linear' &&
    hasFusedKernel(CONV2D_GRAD) &&
    [x, filter, ...(b === null ? [] : [b])].every((t) => t.dtype === 'float32') &&
    (b === null || b.rank === 1);
  if (resize !== null && !(fused && hasFusedKernel(RESIZE_CONV2D))) {
    return tf.tidy(() => conv2d({ x: tf.image.resizeBilinear(x, resize, true), filter, strides, pad, bias, activation }));
  }
  if (!fused) return tf.fused.conv2d({ x, filter, strides, pad, bias: b ?? undefined, activation });
  const attrs = { strides, pad, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined, activation: 'linear', leakyreluAlpha: undefined };
  const gradAttrs: Conv2DGradAttrs = { strides, pad, hasBias: b !== null, ...(resize === null ? {} : { resize }) };
  const inputs: tf.NamedTensorMap = b === null ? { x, filter } : { x, filter, bias: b };
  const [y] = runKernelFunc({
    inputs,
    forwardFunc: (_backend, save) => {
      if (resize !== null) {
        const resizeAttrs: ResizeConv2DAttrs = { strides, pad, size: resize };
        const [out, up] = tf
          .engine()
          .runKernel(
            RESIZE_CONV2D,
            [x, filter, ...(b === null ? [] : [b])] as unknown as tf.NamedTensorMap,
            resizeAttrs as unknown as tf.NamedAttrMap,
          ) as tf.Tensor[];
        // Saved for the gradient kernel: [resized x, filter, x].
        save([up!, filter, x]);
        return [out!];
      }
      const out = tf
        .engine()
        .runKernel(tf.FusedConv2D, { x, filter, bias: b ?? undefined } as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
      save([x, filter]);
      return [out];
    },
    backwardsFunc: (dy, saved) => {
      const grads = tf
        .engine()
        .runKernel(CONV2D_GRAD, [...saved, dy as tf.Tensor] as unknown as tf.NamedTensorMap, gradAttrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      return { x: () => grads[0]!, filter: () => grads[1]!, ...(b === null ? {} : { bias: () => grads[2]! }) };
    },
  });
  return y as tf.Tensor4D;
}
