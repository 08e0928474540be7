/**
 * Conv2DBackpropFilter and Conv2DBackpropInput for the wasm backend, each written as ONE forward
 * convolution so that XNNPACK runs it (the wasm backend has no filter gradient and a naive-loop
 * input gradient). See docs/platform.md ("Backward convolutions as forward ones"):
 * - dW = conv2d(x with batch and channels swapped, dy as the filter, stride = forward dilation,
 *   dilation = forward stride), transposed back to [kh, kw, cin, cout];
 * - dx = conv2d(zero-dilated dy, flipped filter with in/out channels swapped, stride 1,
 *   dilation = forward dilation), padded for a full correlation and cropped to x; or, by default
 *   and at dilation 1, one stride-1 convolution over dy per stride phase (./stride_phases.ts),
 *   with the rearranged filter cached while its source lives (./derived_filters.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { runComposed } from './composed_kernel.js';
import { cropToWindows, gradientWindows, inputWindows, isEmptyCrop, zeroDilate } from './conv_geometry.js';
import { derivedFilter } from './derived_filters.js';
import { wasmKernelOptions } from './kernel_options.js';
import { activeGroups, axisPhases, fillPhaseFilter, interleavePhases } from './stride_phases.js';
import { adoptOutput, heapF32, makeHeapOutput, tensorOf } from './wasm_heap.js';

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
  const dw = tf.conv2d(image, filter, [info.dilationHeight, info.dilationWidth], padding, 'NHWC', [info.strideHeight, info.strideWidth]);
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

/**
 * dx of conv2d(x, W) by stride phases (dilation 1 only): `filter` is the kernel's raw input, whose
 * rearranged copy is cached under its dataId. Runs inside a tidy (runComposed).
 */
export function conv2dInputGradientByPhases(backend: tf.KernelBackend, dy: tf.Tensor4D, filter: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const rows = axisPhases(info.inHeight, info.outHeight, info.filterHeight, info.strideHeight, info.padInfo.top);
  const cols = axisPhases(info.inWidth, info.outWidth, info.filterWidth, info.strideWidth, info.padInfo.left);
  const dxShape: [number, number, number, number] = [info.batchSize, info.inHeight, info.inWidth, info.inChannels];
  if (isEmptyCrop(rows.window, cols.window)) return tf.zeros(dxShape);
  const groups = activeGroups(rows, cols);
  const filterShape = filter.shape as [number, number, number, number];
  // The phase filter depends on the filter, the stride and the leading padding only.
  const key = `phases ${info.strideHeight},${info.strideWidth} ${info.padInfo.top},${info.padInfo.left}`;
  const shape = [rows.length, cols.length, info.outChannels, groups.length * info.inChannels];
  const { info: derived, owned } = derivedFilter(
    backend,
    filter,
    key,
    shape,
    (w, out) => fillPhaseFilter(w, filterShape, rows, cols, groups, out),
    wasmKernelOptions().cacheFilters,
  );
  const phaseFilter = (owned ? adoptOutput(backend, derived) : tensorOf(backend, derived)) as tf.Tensor4D;
  const { cropped, padding } = cropToWindows(dy, rows.window, cols.window);
  const y = tf.conv2d(cropped, phaseFilter, 1, padding, 'NHWC');
  if (rows.stride === 1 && cols.stride === 1) return y;
  const out = makeHeapOutput(backend, dxShape);
  interleavePhases(heapF32(backend, y), heapF32(backend, out), info, rows, cols, groups);
  return adoptOutput(backend, out) as tf.Tensor4D;
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
    const byPhases = wasmKernelOptions().inputGradient === 'phases' && info.dilationHeight === 1 && info.dilationWidth === 1;
    const dx = byPhases ? conv2dInputGradientByPhases(backend, dy4, filter, info) : conv2dInputGradient(dy4, t.filter as tf.Tensor4D, info);
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
