/**
 * The convolution kernels of the wasm backend, run by oneDNN in place on the wasm heap: each
 * kernel wraps the wasm kernel registered before it (the fallback), makes its output on the heap,
 * then hands the addon the heap (re-read after the allocation: a growing heap is a new buffer)
 * and the byte offsets of the tensors. Cases the addon does not take (NCHW, prelu, a bias that is
 * not one value per output channel, an empty tensor, a rounding mode whose output size oneDNN's
 * formula does not give) run the fallback, as does any oneDNN error (counted in `nativeStats`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ACTIVATION_CODE, CONV_KIND, PARAM, type NativeAddon } from './addon.js';

/** The parts of tfjs-backend-wasm's BackendWasm (4.22) these kernels use. */
interface WasmHeapBackend {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };
type Conv2DInfo = tf.backend_util.Conv2DInfo;

/** The kernels this module replaces on 'wasm'. */
export const NATIVE_KERNEL_NAMES: readonly string[] = [
  tf.Conv2D,
  tf.FusedConv2D,
  tf.Conv2DBackpropInput,
  tf.Conv2DBackpropFilter,
  tf.DepthwiseConv2dNative,
  tf.FusedDepthwiseConv2D,
  tf.DepthwiseConv2dNativeBackpropInput,
  tf.DepthwiseConv2dNativeBackpropFilter,
];

let addon: NativeAddon | undefined;
let enabled = false;
const params = new Float64Array(PARAM.length);
const counts = { native: 0, fallback: 0, errors: 0 };
let lastError: string | undefined;

/** Runs the addon's kernels (true) or the wasm fallbacks (false); returns the previous setting. */
export function setNativeKernelsEnabled(on: boolean): boolean {
  const previous = enabled;
  enabled = on && addon !== undefined;
  return previous;
}

export function nativeKernelsEnabled(): boolean {
  return enabled;
}

/** Calls that ran natively, fell back (unsupported case), or failed in oneDNN (then fell back). */
export function nativeKernelCounts(): { native: number; fallback: number; errors: number; lastError: string | undefined } {
  return { ...counts, lastError };
}

function float32(...infos: tf.TensorInfo[]): boolean {
  return infos.every((i) => i.dtype === 'float32' && tf.util.sizeFromShape(i.shape) > 0);
}

/** Fills the geometry slots; false when oneDNN's output-size formula disagrees with tfjs's. */
function setGeometry(kind: number, info: Conv2DInfo, groups: number): boolean {
  const p = info.padInfo;
  const effH = (info.filterHeight - 1) * info.dilationHeight + 1;
  const effW = (info.filterWidth - 1) * info.dilationWidth + 1;
  if (Math.floor((info.inHeight - effH + p.top + p.bottom) / info.strideHeight) + 1 !== info.outHeight) return false;
  if (Math.floor((info.inWidth - effW + p.left + p.right) / info.strideWidth) + 1 !== info.outWidth) return false;
  params[PARAM.kind] = kind;
  params[PARAM.batch] = info.batchSize;
  params[PARAM.inH] = info.inHeight;
  params[PARAM.inW] = info.inWidth;
  params[PARAM.inC] = info.inChannels;
  params[PARAM.outH] = info.outHeight;
  params[PARAM.outW] = info.outWidth;
  params[PARAM.outC] = info.outChannels;
  params[PARAM.kH] = info.filterHeight;
  params[PARAM.kW] = info.filterWidth;
  params[PARAM.sH] = info.strideHeight;
  params[PARAM.sW] = info.strideWidth;
  // oneDNN counts dilation from 0 (0 = dense), tfjs from 1.
  params[PARAM.dH] = info.dilationHeight - 1;
  params[PARAM.dW] = info.dilationWidth - 1;
  params[PARAM.padT] = p.top;
  params[PARAM.padL] = p.left;
  params[PARAM.padB] = p.bottom;
  params[PARAM.padR] = p.right;
  params[PARAM.groups] = groups;
  params[PARAM.act] = 0;
  params[PARAM.alpha] = 0;
  params[PARAM.hasBias] = 0;
  params[PARAM.biasOff] = 0;
  return true;
}

/** The params array for a geometry (benchmarks ask the addon which implementation it picks). */
export function convParams(kind: keyof typeof CONV_KIND, info: Conv2DInfo, depthwise: boolean): Float64Array | undefined {
  return setGeometry(CONV_KIND[kind], info, depthwise ? info.inChannels : 1) ? params.slice() : undefined;
}

function offset(backend: WasmHeapBackend, info: tf.TensorInfo): number {
  const entry = backend.dataIdMap.get(info.dataId);
  if (entry === undefined) throw new Error('native kernel: tensor not on the wasm heap');
  return entry.memoryOffset;
}

/**
 * Makes the output, points the params at src (x or dx), weights (W or dW), dst (y or dy) and the
 * bias, and runs the addon; undefined (output released) when oneDNN refused.
 */
function execute(
  b: tf.KernelBackend,
  outShape: number[],
  role: 'src' | 'wei' | 'dst',
  tensors: { src?: tf.TensorInfo; wei?: tf.TensorInfo; dst?: tf.TensorInfo; bias?: tf.TensorInfo },
): tf.TensorInfo | undefined {
  const backend = b as unknown as WasmHeapBackend;
  const out = backend.makeOutput(outShape, 'float32');
  const slot = { src: PARAM.srcOff, wei: PARAM.weiOff, dst: PARAM.dstOff } as const;
  params[slot[role]] = offset(backend, out);
  for (const key of ['src', 'wei', 'dst'] as const) {
    const t = tensors[key];
    if (t !== undefined) params[slot[key]] = offset(backend, t);
  }
  if (tensors.bias !== undefined) params[PARAM.biasOff] = offset(backend, tensors.bias);
  try {
    // After makeOutput: the heap may have grown into a new buffer.
    addon!.conv(backend.wasm.HEAPU8, params);
  } catch (err) {
    backend.disposeData(out.dataId);
    counts.errors++;
    lastError = (err as Error).message;
    return undefined;
  }
  counts.native++;
  return out;
}

function channelsLast(attrs: tf.NamedAttrMap | undefined): boolean {
  const format = (attrs as { dataFormat?: string } | undefined)?.dataFormat;
  return format === undefined || format === 'NHWC' || format === 'channelsLast';
}

/** Sets the activation and bias slots of a fused forward; false when the addon cannot fuse them. */
function setFusion(attrs: tf.NamedAttrMap, inputs: tf.NamedTensorInfoMap, outChannels: number): boolean {
  const { activation, leakyreluAlpha } = attrs as { activation?: string; leakyreluAlpha?: number };
  const code = ACTIVATION_CODE[activation ?? 'linear'];
  if (code === undefined || inputs.preluActivationWeights != null) return false;
  params[PARAM.act] = code;
  params[PARAM.alpha] = activation === 'leakyrelu' ? (leakyreluAlpha ?? 0.2) : 0;
  const bias = inputs.bias;
  if (bias != null) {
    // One value per output channel (what the wasm kernel accepts as rank 1, any leading 1s).
    if (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== outChannels || bias.shape[bias.shape.length - 1] !== outChannels) return false;
    params[PARAM.hasBias] = 1;
  }
  return true;
}

function forward(depthwise: boolean, fused: boolean) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo | undefined => {
    const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    if (!channelsLast(attrs) || !float32(x, filter)) return undefined;
    const { strides, pad, dilations, dimRoundingMode } = attrs as unknown as tf.Conv2DAttrs;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      strides,
      dilations ?? 1,
      pad,
      dimRoundingMode,
      depthwise,
    );
    if (!setGeometry(CONV_KIND.forward, info, depthwise ? info.inChannels : 1)) return undefined;
    if (fused && !setFusion(attrs!, inputs, info.outChannels)) return undefined;
    const bias = fused && inputs.bias != null ? inputs.bias : undefined;
    return execute(backend, [info.batchSize, info.outHeight, info.outWidth, info.outChannels], 'dst', { src: x, wei: filter, bias });
  };
}

function backwardData(depthwise: boolean) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo | undefined => {
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    if (!channelsLast(attrs) || !float32(dy, filter)) return undefined;
    const { strides, pad, dimRoundingMode, inputShape, dilations } = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
    const info = tf.backend_util.computeConv2DInfo(
      inputShape,
      filter.shape as [number, number, number, number],
      strides,
      dilations ?? 1,
      pad,
      dimRoundingMode,
      depthwise,
    );
    if (!setGeometry(CONV_KIND.backwardData, info, depthwise ? info.inChannels : 1)) return undefined;
    return execute(backend, [...inputShape], 'src', { wei: filter, dst: dy });
  };
}

function backwardWeights(depthwise: boolean) {
  return ({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo | undefined => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    if (!channelsLast(attrs) || !float32(x, dy)) return undefined;
    const { strides, pad, dimRoundingMode, filterShape, dilations } = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      dilations ?? 1,
      pad,
      dimRoundingMode,
      depthwise,
    );
    if (!setGeometry(CONV_KIND.backwardWeights, info, depthwise ? info.inChannels : 1)) return undefined;
    return execute(backend, [...filterShape], 'wei', { src: x, dst: dy });
  };
}

const IMPLEMENTATIONS: Record<string, (args: KernelArgs) => tf.TensorInfo | undefined> = {
  [tf.Conv2D]: forward(false, false),
  [tf.FusedConv2D]: forward(false, true),
  [tf.Conv2DBackpropInput]: backwardData(false),
  [tf.Conv2DBackpropFilter]: backwardWeights(false),
  [tf.DepthwiseConv2dNative]: forward(true, false),
  [tf.FusedDepthwiseConv2D]: forward(true, true),
  [tf.DepthwiseConv2dNativeBackpropInput]: backwardData(true),
  [tf.DepthwiseConv2dNativeBackpropFilter]: backwardWeights(true),
};

let registered = false;
/** The wasm kernels the native ones wrap, by kernel name. */
const fallbacks = new Map<string, tf.KernelConfig>();

/** The wasm kernel a native kernel falls back to (undefined when `kernelName` is not wrapped). */
export function nativeFallback(kernelName: string): tf.KernelConfig | undefined {
  return fallbacks.get(kernelName);
}

/**
 * Registers (once per process) the native kernels over the wasm ones now registered (which
 * become the fallbacks); they run natively only while enabled (`setNativeKernelsEnabled`).
 */
export function registerNativeKernels(loaded: NativeAddon): void {
  addon = loaded;
  if (registered) return;
  for (const kernelName of NATIVE_KERNEL_NAMES) {
    const fallback = tf.getKernel(kernelName, 'wasm');
    if (fallback === undefined) continue;
    fallbacks.set(kernelName, fallback);
    const native = IMPLEMENTATIONS[kernelName]!;
    const kernelFunc = (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
      if (enabled) {
        const out = native(args);
        if (out !== undefined) return out;
        counts.fallback++;
      }
      return fallback.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]);
    };
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ ...fallback, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
  registered = true;
}
