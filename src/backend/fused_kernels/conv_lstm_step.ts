/**
 * One ConvLSTM decoder step after the frame's shared gate input, as one kernel forward and one
 * backward (a training-speed measure):
 *   x = concat(parts),  z = conv2d(x, kernel, 3x3 'same'),  (h, c) = gates(z + shared, c_spatial)
 * As ops this was a Concat, a Conv2D and the gates op forward, and a SplitV, both convolution
 * gradients, the gates' gradient and a copy of it backward, each an engine call with a tape node
 * and tracked temporaries; a main-job step runs 80 of these steps. Here the kernels call the
 * backend's own Concat, Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter and SplitV kernel
 * functions directly (oneDNN's convolutions where the addon runs them), and the gates' kernels of
 * ./lstm_gates.ts: the same kernels on the same data, so the values are the same bit for bit.
 *
 * Forward inputs [part₀ … partₙ₋₁, kernel, shared?, cSpatial?] → [h, c, tanh(g), tanh(c), z, x?]
 * (x, the concatenation, only when there are several parts; the last four are for the backward
 * kernel). Backward inputs [x, kernel, z, shared?, cSpatial?, tanh(g), tanh(c), dh, dc] →
 * [dpart₀ … dpartₙ₋₁, dkernel, dshared?, dcSpatial?]. The op is wired up in
 * src/layers/conv_lstm_step.ts.
 *
 * The resizing variant (RvosConvLstmResizeStep, the same functions with `resize` set) first
 * resizes part₀ bilinearly with aligned corners to `resize` (the decoder's upsampling of the level
 * above's h), by the backend's own ResizeBilinear kernel, and its backward ends with the backend's
 * ResizeBilinearGrad: the attributes tf.image.resizeBilinear(x, size, true) and its gradient
 * pass, so the values are again those of the separate ops bit for bit. It returns x (the
 * concatenation, or the resized part₀ alone) as its last output, and its backward takes part₀
 * after tanh(c): [x, kernel, z, shared?, cSpatial?, tanh(g), tanh(c), part₀, dh, dc].
 */
import * as tf from '@tensorflow/tfjs-core';
import { backendKernel, fusedKernelConfigs, type FusedKernelArgs, type FusedKernelBackend } from './kernel_io.js';
import { lstmGatesBackward, lstmGatesForward } from './lstm_gates.js';

export const CONV_LSTM_STEP = 'RvosConvLstmStep';
export const CONV_LSTM_STEP_GRAD = 'RvosConvLstmStepGrad';
export const CONV_LSTM_RESIZE_STEP = 'RvosConvLstmResizeStep';
export const CONV_LSTM_RESIZE_STEP_GRAD = 'RvosConvLstmResizeStepGrad';

export interface ConvLstmStepAttrs {
  /** Channels of each input part, in concatenation order. */
  splits: number[];
  /** Whether a shared gate input (the frame's skip contribution and bias) is added to z. */
  hasShared: boolean;
  /** Whether the last input is c_spatial (else c = i·g). */
  hasSpatial: boolean;
  /** The resizing variant: part₀'s [height, width] after its bilinear (align corners) resize. */
  resize?: [number, number];
}

/** What tf.image.resizeBilinear(x, size, true) passes its kernel, and its gradient its own. */
function resizeAttrs(size: [number, number]): object {
  return { alignCorners: true, halfPixelCenters: false, size };
}

/** What tf.conv2d(x, kernel, 1, 'same') passes its kernel, and its gradients theirs. */
const CONV = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined };

function run(backendName: FusedKernelBackend, backend: tf.KernelBackend, kernelName: string, inputs: unknown, attrs: object): tf.TensorInfo | tf.TensorInfo[] {
  return backendKernel(backendName, kernelName).kernelFunc({
    inputs: inputs as tf.NamedTensorInfoMap,
    backend,
    attrs: attrs as unknown as tf.NamedAttrMap,
  }) as tf.TensorInfo | tf.TensorInfo[];
}

function forward(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo[] {
  const list = args.inputs as unknown as tf.TensorInfo[];
  const { splits, hasShared, hasSpatial, resize } = args.attrs as unknown as ConvLstmStepAttrs;
  const n = splits.length;
  const backend = args.backend;
  const parts = list.slice(0, n);
  if (resize !== undefined) parts[0] = run(backendName, backend, tf.ResizeBilinear, { images: parts[0] }, resizeAttrs(resize)) as tf.TensorInfo;
  const kernel = list[n]!;
  const rest = list.slice(n + 1);
  const x = n === 1 ? parts[0]! : (run(backendName, backend, tf.Concat, parts, { axis: 3 }) as tf.TensorInfo);
  if (resize !== undefined && n > 1) backend.disposeData(parts[0]!.dataId);
  const z = run(backendName, backend, tf.Conv2D, { x, filter: kernel }, CONV) as tf.TensorInfo;
  const gates = lstmGatesForward(backendName, { inputs: [z, ...rest] as unknown as tf.NamedTensorInfoMap, backend, attrs: { hasShared, hasSpatial } });
  return [...gates, z, ...(n === 1 && resize === undefined ? [] : [x])];
}

function backward(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo[] {
  const list = args.inputs as unknown as tf.TensorInfo[];
  const { splits, hasShared, hasSpatial, resize } = args.attrs as unknown as ConvLstmStepAttrs;
  const backend = args.backend;
  const [x, kernel, ...gateInputs] = list;
  // The resizing variant's part₀ sits before dh and dc; the gates' kernel takes the rest.
  const images = resize === undefined ? null : gateInputs.splice(gateInputs.length - 3, 1)[0]!;
  const [dz, dcSpatial] = lstmGatesBackward(backendName, {
    inputs: gateInputs as unknown as tf.NamedTensorInfoMap,
    backend,
    attrs: { hasShared, hasSpatial },
  });
  const dx = run(backendName, backend, tf.Conv2DBackpropInput, { dy: dz, filter: kernel }, { ...CONV, inputShape: x!.shape }) as tf.TensorInfo;
  const dKernel = run(backendName, backend, tf.Conv2DBackpropFilter, { x, dy: dz }, { ...CONV, filterShape: kernel!.shape }) as tf.TensorInfo;
  let dParts = [dx];
  if (splits.length > 1) {
    dParts = run(backendName, backend, tf.SplitV, { x: dx }, { numOrSizeSplits: splits, axis: 3 }) as tf.TensorInfo[];
    backend.disposeData(dx.dataId);
  }
  if (images !== null) {
    const dResized = dParts[0]!;
    dParts[0] = run(backendName, backend, tf.ResizeBilinearGrad, { images, dy: dResized }, resizeAttrs(resize!)) as tf.TensorInfo;
    backend.disposeData(dResized.dataId);
  }
  if (!hasShared) backend.disposeData(dz!.dataId);
  return [...dParts, dKernel, ...(hasShared ? [dz!] : []), ...(hasSpatial ? [dcSpatial!] : [])];
}

/** Forward and backward kernels for every backend in FUSED_KERNEL_BACKENDS. */
export function convLstmStepKernelConfigs(): tf.KernelConfig[] {
  return [
    ...fusedKernelConfigs(CONV_LSTM_STEP, forward),
    ...fusedKernelConfigs(CONV_LSTM_STEP_GRAD, backward),
    ...fusedKernelConfigs(CONV_LSTM_RESIZE_STEP, forward),
    ...fusedKernelConfigs(CONV_LSTM_RESIZE_STEP_GRAD, backward),
  ];
}
