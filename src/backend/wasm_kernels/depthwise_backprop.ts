/**
 * DepthwiseConv2dNativeBackpropFilter / ...BackpropInput for the wasm backend (absent upstream,
 * tfjs#8474), each written as one forward depthwise convolution so that XNNPACK runs it:
 * - dW: batch folded into channels (image [1, h, w, B·cin], dy as a [oh, ow, B·cin, mult]
 *   filter, stride = forward dilation, dilation = forward stride), then summed over batch;
 * - dx: zero-dilated dy correlated with the flipped filter (one filter per output channel),
 *   then summed over the channel multiplier.
 * Unlike the cpu backend's loops, these honour `dilations`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { runComposed } from './composed_kernel.js';
import { cropToWindows, gradientWindows, inputWindows, isEmptyCrop, zeroDilate } from './conv_geometry.js';

/** dW of depthwiseConv2d(x, W) given dy; x, dy NHWC; W is [kh, kw, cin, mult]. */
export function depthwiseFilterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const { rows, cols } = inputWindows(info);
  if (isEmptyCrop(rows, cols)) return tf.zeros(info.filterShape);
  const [batch, outH, outW] = dy.shape;
  const cin = info.inChannels;
  const mult = info.outChannels / cin;
  const { cropped, padding } = cropToWindows(x, rows, cols);
  const [, h, w] = cropped.shape;
  const image = tf.reshape(tf.transpose(cropped, [1, 2, 0, 3]), [1, h, w, batch * cin]) as tf.Tensor4D;
  const dy5 = tf.reshape(dy, [batch, outH, outW, cin, mult]);
  const filter = tf.reshape(tf.transpose(dy5, [1, 2, 0, 3, 4]), [outH, outW, batch * cin, mult]) as tf.Tensor4D;
  const perBatch = tf.depthwiseConv2d(image, filter, [info.dilationHeight, info.dilationWidth], padding, 'NHWC', [info.strideHeight, info.strideWidth]);
  const kh = info.filterHeight;
  const kw = info.filterWidth;
  return tf.sum(tf.reshape(perBatch, [kh, kw, batch, cin, mult]), 2);
}

/** dx of depthwiseConv2d(x, W) given dy and W; dy NHWC, W [kh, kw, cin, mult]. */
export function depthwiseInputGradient(dy: tf.Tensor4D, filter: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const { rows, cols } = gradientWindows(info);
  const [kh, kw, cin, mult] = filter.shape;
  if (isEmptyCrop(rows, cols)) return tf.zeros([info.batchSize, info.inHeight, info.inWidth, cin]);
  const dilated = zeroDilate(dy, info.strideHeight, info.strideWidth);
  const { cropped, padding } = cropToWindows(dilated, rows, cols);
  const flipped = tf.reshape(tf.reverse(filter, [0, 1]), [kh, kw, cin * mult, 1]) as tf.Tensor4D;
  const perOutput = tf.depthwiseConv2d(cropped, flipped, 1, padding, 'NHWC', [info.dilationHeight, info.dilationWidth]);
  if (mult === 1) return perOutput;
  return tf.sum(tf.reshape(perOutput, [info.batchSize, info.inHeight, info.inWidth, cin, mult]), 4);
}

function backpropFilter({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.Tensor {
  const { strides, dilations, pad, dimRoundingMode, filterShape } = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const { x, dy } = inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
  return runComposed(backend, { x, dy }, (t) => {
    const x4 = t.x as tf.Tensor4D;
    const info = tf.backend_util.computeConv2DInfo(x4.shape, filterShape, strides, dilations ?? 1, pad, dimRoundingMode, true);
    return depthwiseFilterGradient(x4, t.dy as tf.Tensor4D, info);
  });
}

function backpropInput({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.Tensor {
  const { strides, dilations, pad, dimRoundingMode, inputShape } = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const { dy, filter } = inputs as unknown as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  return runComposed(backend, { dy, filter }, (t) => {
    const f4 = t.filter as tf.Tensor4D;
    const info = tf.backend_util.computeConv2DInfo(inputShape, f4.shape, strides, dilations ?? 1, pad, dimRoundingMode, true);
    return depthwiseInputGradient(t.dy as tf.Tensor4D, f4, info);
  });
}

export const depthwiseBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: backpropFilter as unknown as tf.KernelFunc,
};

export const depthwiseBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: backpropInput as unknown as tf.KernelFunc,
};
