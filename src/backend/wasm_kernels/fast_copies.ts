/**
 * Slice, SplitV, Unpack, Concat and Pack for the wasm backend as runs of memmove on the heap.
 * The built-in Slice (4.22) first copies the WHOLE input out of the heap (readSync) on every
 * call, and takes a per-element generic path above rank 4 (600 ms vs 6 ms measured on a
 * [4,4,96,96,3] slice); SplitV and Unpack call it once per output, so splitting the ConvLSTM
 * gates copied the gate tensor four times. Here a slice is the contiguous runs it covers, each one
 * TypedArray.copyWithin (a byte copy, so every 1-, 4-byte dtype works), on any rank. With the
 * addon (../fused_kernels/native_ops.ts) the runs go to it as strided blocks in one call: a
 * channel concatenation of NHWC tensors is thousands of runs of a few bytes, one copyWithin each.
 */
import * as tf from '@tensorflow/tfjs-core';
import { nativeFloatOps } from '../fused_kernels/native_ops.js';
import { wasmKernelOptions } from './kernel_options.js';
import { internals } from './wasm_heap.js';

interface HeapBackend {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } };
}

function bytesPerElement(dtype: tf.DataType): number {
  return dtype === 'bool' ? 1 : dtype === 'float32' || dtype === 'int32' ? 4 : 0;
}

/** Whether these kernels handle the dtype (strings and complex numbers keep the built-ins). */
function handles(dtype: tf.DataType): boolean {
  return wasmKernelOptions().fastCopies && bytesPerElement(dtype) > 0;
}

function offsetOf(backend: tf.KernelBackend, info: tf.TensorInfo): number {
  return (backend as unknown as HeapBackend).dataIdMap.get(info.dataId).memoryOffset;
}

function heap(backend: tf.KernelBackend): Uint8Array {
  return (backend as unknown as HeapBackend).wasm.HEAPU8;
}

/** The native copy's params: [count, then per block dst, src, bytes, rows, dstStride, srcStride]; grown as needed. */
let blockParams = new Float64Array(1 + 6 * 16);

function blockSlot(count: number): Float64Array {
  if (blockParams.length < 1 + 6 * count) blockParams = new Float64Array(1 + 6 * Math.max(count, (2 * (blockParams.length - 1)) / 6));
  return blockParams;
}

function setBlock(p: Float64Array, b: number, dst: number, src: number, bytes: number, rows: number, dstStride: number, srcStride: number): void {
  const q = 1 + 6 * b;
  p[q] = dst;
  p[q + 1] = src;
  p[q + 2] = bytes;
  p[q + 3] = rows;
  p[q + 4] = dstStride;
  p[q + 5] = srcStride;
}

/**
 * A slice's runs as native strided blocks: axes 0..k−1 of x (sizes `size`, element strides
 * `strides`) index the runs of `run` bytes from `base`; an axis is merged into the one inside it
 * when that one is taken whole, and the innermost remaining axis becomes a block's rows. False
 * when the addon is not there (the caller copies run by run).
 */
function nativeSlice(
  bytes: Uint8Array,
  src: number,
  dst: number,
  eb: number,
  shape: number[],
  size: number[],
  strides: number[],
  k: number,
  base: number,
  run: number,
): boolean {
  const native = nativeFloatOps();
  if (native === undefined) return false;
  // (size, stride) of the run axes, outermost first, merged where possible.
  const sizes: number[] = [];
  const steps: number[] = [];
  for (let a = 0; a < k; a++) {
    const last = sizes.length - 1;
    if (last >= 0 && size[a] === shape[a]) {
      sizes[last]! *= size[a]!;
      steps[last] = strides[a]!;
    } else {
      sizes.push(size[a]!);
      steps.push(strides[a]!);
    }
  }
  const rows = sizes.length === 0 ? 1 : sizes[sizes.length - 1]!;
  const rowStride = sizes.length === 0 ? 0 : steps[steps.length - 1]! * eb;
  const outer = sizes.slice(0, -1);
  const count = outer.reduce((n, d) => n * d, 1);
  const p = blockSlot(count);
  p[0] = count;
  const index = new Array<number>(outer.length).fill(0);
  let offset = base;
  for (let b = 0; b < count; b++) {
    setBlock(p, b, dst + b * rows * run, src + offset * eb, run, rows, run, rowStride);
    for (let a = outer.length - 1; a >= 0; a--) {
      index[a]!++;
      offset += steps[a]!;
      if (index[a]! < outer[a]!) break;
      offset -= outer[a]! * steps[a]!;
      index[a] = 0;
    }
  }
  native.copyBlocks(bytes, p);
  return true;
}

/** Copies x[begin : begin + size] into a new output of `outShape` (same element count as `size`). */
function sliceInto(backend: tf.KernelBackend, x: tf.TensorInfo, begin: number[], size: number[], outShape: number[]): tf.TensorInfo {
  const out = internals(backend).makeOutput(outShape, x.dtype);
  const total = tf.util.sizeFromShape(size);
  if (total === 0) return out;
  const eb = bytesPerElement(x.dtype);
  const shape = x.shape;
  const rank = shape.length;
  // Axes after `k` are taken whole, so each index of axes 0..k−1 is one contiguous run.
  let k = rank - 1;
  while (k >= 0 && begin[k] === 0 && size[k] === shape[k]) k--;
  const bytes = heap(backend);
  const src = offsetOf(backend, x);
  const dst = offsetOf(backend, out);
  if (k < 0) {
    bytes.copyWithin(dst, src, src + total * eb);
    return out;
  }
  const strides = tf.util.computeStrides(shape);
  const inner = k === rank - 1 ? 1 : strides[k]!;
  const run = size[k]! * inner * eb;
  let base = begin[k]! * inner;
  for (let a = 0; a < k; a++) base += begin[a]! * strides[a]!;
  if (nativeSlice(bytes, src, dst, eb, shape, size, strides, k, base, run)) return out;
  const index = new Array<number>(k).fill(0);
  const runs = total / (size[k]! * inner);
  let offset = base;
  for (let r = 0; r < runs; r++) {
    const from = src + offset * eb;
    bytes.copyWithin(dst + r * run, from, from + run);
    // Odometer over axes k−1 … 0.
    for (let a = k - 1; a >= 0; a--) {
      index[a]!++;
      offset += strides[a]!;
      if (index[a]! < size[a]!) break;
      offset -= size[a]! * strides[a]!;
      index[a] = 0;
    }
  }
  return out;
}

/** Concatenation along `axis` into an output of `outShape`: per outer index, each input's block in turn. */
function concatInto(backend: tf.KernelBackend, inputs: tf.TensorInfo[], axis: number, outShape: number[]): tf.TensorInfo {
  const dtype = inputs[0]!.dtype;
  const out = internals(backend).makeOutput(outShape, dtype);
  if (tf.util.sizeFromShape(outShape) === 0) return out;
  const eb = bytesPerElement(dtype);
  const outer = tf.util.sizeFromShape(outShape.slice(0, axis));
  const blocks = inputs.map((t) => (tf.util.sizeFromShape(t.shape) / outer) * eb);
  const row = blocks.reduce((a, b) => a + b, 0);
  const bytes = heap(backend);
  const dst = offsetOf(backend, out);
  const srcs = inputs.map((t) => offsetOf(backend, t));
  const native = nativeFloatOps();
  if (native !== undefined) {
    const p = blockSlot(inputs.length);
    p[0] = inputs.length;
    for (let i = 0, to = dst; i < inputs.length; to += blocks[i]!, i++) setBlock(p, i, to, srcs[i]!, blocks[i]!, outer, row, blocks[i]!);
    native.copyBlocks(bytes, p);
    return out;
  }
  for (let i = 0; i < inputs.length; i++) {
    const block = blocks[i]!;
    if (block === 0) continue;
    let to = dst + inputs.slice(0, i).reduce((a, _, j) => a + blocks[j]!, 0);
    let from = srcs[i]!;
    for (let o = 0; o < outer; o++, to += row, from += block) bytes.copyWithin(to, from, from + block);
  }
  return out;
}

type Args = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

function withFallback(kernelName: string, builtIn: tf.KernelConfig | undefined, fast: (args: Args) => tf.TensorInfo | tf.TensorInfo[] | null): tf.KernelConfig {
  return {
    kernelName,
    backendName: 'wasm',
    // Built-ins bind their wasm functions in setup; keep that running at backend init.
    setupFunc: builtIn?.setupFunc,
    kernelFunc: ((args: Args) => fast(args) ?? builtIn!.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0])) as unknown as tf.KernelFunc,
  };
}

export function fastSliceConfig(builtIn: tf.KernelConfig | undefined): tf.KernelConfig {
  return withFallback(tf.Slice, builtIn, ({ inputs, backend, attrs }) => {
    const x = inputs.x!;
    if (!handles(x.dtype)) return null;
    const { begin, size } = attrs as unknown as tf.SliceAttrs;
    const [b, s] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, begin, size);
    return sliceInto(backend, x, b, s, s);
  });
}

export function fastSplitVConfig(builtIn: tf.KernelConfig | undefined): tf.KernelConfig {
  return withFallback(tf.SplitV, builtIn, ({ inputs, backend, attrs }) => {
    const x = inputs.x!;
    if (!handles(x.dtype)) return null;
    const { numOrSizeSplits, axis } = attrs as unknown as tf.SplitVAttrs;
    const a = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, numOrSizeSplits, a);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((n) => {
      const size = [...x.shape];
      size[a] = n;
      const part = sliceInto(backend, x, [...begin], size, size);
      begin[a]! += n;
      return part;
    });
  });
}

export function fastUnpackConfig(builtIn: tf.KernelConfig | undefined): tf.KernelConfig {
  return withFallback(tf.Unpack, builtIn, ({ inputs, backend, attrs }) => {
    const x = inputs.value!;
    if (!handles(x.dtype)) return null;
    const a = tf.util.parseAxisParam((attrs as unknown as tf.UnpackAttrs).axis, x.shape)[0]!;
    const outShape = x.shape.filter((_, i) => i !== a);
    const size = [...x.shape];
    size[a] = 1;
    return Array.from({ length: x.shape[a]! }, (_, i) => {
      const begin = new Array<number>(x.shape.length).fill(0);
      begin[a] = i;
      return sliceInto(backend, x, begin, size, outShape);
    });
  });
}

export function fastConcatConfig(builtIn: tf.KernelConfig | undefined): tf.KernelConfig {
  return withFallback(tf.Concat, builtIn, ({ inputs, backend, attrs }) => {
    const list = inputs as unknown as tf.TensorInfo[];
    if (list.length < 2 || !handles(list[0]!.dtype)) return null;
    const axis = tf.util.parseAxisParam((attrs as unknown as tf.ConcatAttrs).axis, list[0]!.shape)[0]!;
    tf.backend_util.assertParamsConsistent(
      list.map((t) => t.shape),
      axis,
    );
    return concatInto(
      backend,
      list,
      axis,
      tf.backend_util.computeOutShape(
        list.map((t) => t.shape),
        axis,
      ),
    );
  });
}

export function fastPackConfig(builtIn: tf.KernelConfig | undefined): tf.KernelConfig {
  return withFallback(tf.Pack, builtIn, ({ inputs, backend, attrs }) => {
    const list = inputs as unknown as tf.TensorInfo[];
    if (list.length < 2 || !handles(list[0]!.dtype)) return null;
    const shape = list[0]!.shape;
    if (list.some((t) => !tf.util.arraysEqual(t.shape, shape) || t.dtype !== list[0]!.dtype)) return null;
    const axis = (attrs as unknown as tf.PackAttrs).axis;
    const a = axis < 0 ? axis + shape.length + 1 : axis;
    const outShape = [...shape.slice(0, a), list.length, ...shape.slice(a)];
    return concatInto(backend, list, a, outShape);
  });
}
