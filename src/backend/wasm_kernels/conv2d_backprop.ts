/**
 * Conv2DBackpropFilter and Conv2DBackpropInput for the wasm backend, each written as ONE forward
 * convolution so that XNNPACK runs it (the wasm backend has no filter gradient and a naive-loop
 * input gradient). See ../../../shared/reference/platform.md, "TensorFlow.js backends":
 * - dW = conv2d(x with batch and channels swapped, dy as the filter, stride = forward dilation,
 *   dilation = forward stride), transposed back to [kh, kw, cin, cout];
 * - dx = conv2d(zero-dilated dy, flipped filter with in/out channels swapped, stride 1,
 *   dilation = forward dilation), padded for a full correlation and cropped to x.
 */
import * as tf from '@tensorflow/tfjs-core';
import { runComposed } from './composed_kernel.js';
import { cropToWindows, gradientWindows, inputWindows, isEmptyCrop, zeroDilate } from './conv_geometry.js';

type Pad = tf.Conv2DBackpropFilterAttrs['pad'];

function toNhwc(t: tf.Tensor4D, channelsLast: boolean): tf.Tensor4D {
  return channelsLast ? t : tf.transpose(t, [0, 2, 3, 1]);
}

/** dW of conv2d(x, W) given dy; x and dy NHWC, geometry from `info` (dilation 1 or not). */
export function conv2dFilterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const { rows, cols } = inputWindows(info);
  if (isEmptyCrop(rows, cols)) return tf.zeros(info.filterShape);
  const { cropped, padding } = cropToWindows(x, rows, cols);
  // Batch becomes the contracted channel axis: image [cin, h, w, B], filter [oh, ow, B, cout].
  const image = tf.transpose(cropped, [3, 1, 2, 0]);
  const filter = tf.transpose(dy, [1, 2, 0, 3]);
  const dw = tf.conv2d(image, filter, [info.dilationHeight, info.dilationWidth], padding, 'NHWC', [
    info.strideHeight,
    info.strideWidth,
  ]);
  return tf.transpose(dw, [1, 2, 0, 3]);
}

/** dx of conv2d(x, W) given dy and W; dy NHWC, W [kh, kw, cin, cout]. */
export function conv2dInputGradient(dy: tf.Tensor4D, filter: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const { rows, cols } = gradientWindows(info);
  if (isEmptyCrop(rows, cols)) return tf.zeros([info.batchSize, info.inHeight, info.inWidth, info.inChannels]);
  const dilated = zeroDilate(dy, info.strideHeight, info.strideWidth);
  const { cropped, padding } = cropToWindows(dilated, rows, cols);
  const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]);
  return tf.conv2d(cropped, flipped, 1, padding, 'NHWC', [info.dilationHeight, info.dilationWidth]);
}

function conv2dBackpropFilter({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.Tensor {
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const { x, dy } = inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const channelsLast = tf.backend_util.convertConv2DDataFormat(dataFormat) === 'channelsLast';
  return runComposed(backend, { x, dy }, (t) => {
    const x4 = toNhwc(t.x as tf.Tensor4D, channelsLast);
    const dy4 = toNhwc(t.dy as tf.Tensor4D, channelsLast);
    const info = tf.backend_util.computeConv2DInfo(x4.shape, filterShape, strides, 1, pad as Pad, dimRoundingMode);
    return conv2dFilterGradient(x4, dy4, info);
  });
}

function conv2dBackpropInput({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.Tensor {
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const { dy, filter } = inputs as unknown as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const channelsLast = tf.backend_util.convertConv2DDataFormat(dataFormat) === 'channelsLast';
  return runComposed(backend, { dy, filter }, (t) => {
    const dy4 = toNhwc(t.dy as tf.Tensor4D, channelsLast);
    const [b, d1, d2, d3] = inputShape;
    const xShapeNhwc: [number, number, number, number] = channelsLast ? [b, d1, d2, d3] : [b, d2, d3, d1];
    const info = tf.backend_util.computeConv2DInfo(xShapeNhwc, t.filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode);
    const dx = conv2dInputGradient(dy4, t.filter as tf.Tensor4D, info);
    return channelsLast ? dx : tf.transpose(dx, [0, 3, 1, 2]);
  });
}

export const conv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as unknown as tf.KernelFunc,
};

export const conv2dBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInput as unknown as tf.KernelFunc,
};
