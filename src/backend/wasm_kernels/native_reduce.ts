/**
 * Sum, Mean and Max of float32 tensors over a run of axes that is not the last (a convolution's
 * bias gradient sums NHWC over [0, 1, 2]; the objectness head pools over [1, 2]) on the wasm
 * backend by the addon (../fused_kernels/native_ops.ts). The built-in kernels first transpose the
 * reduced axes to the end (a full copy) and then reduce; here the reduction reads the tensor in
 * place, as [outer, reduced, inner], with each output's terms taken in the same order and
 * precision (float32, from the first term on), so the values are the same bit for bit. Other
 * cases (the last axis reduced, other dtypes, no addon) run the built-in kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { nativeFloatOps } from '../fused_kernels/native_ops.js';
import { type HeapBackend, type KernelArgs, withNativeFallback } from './native_fallback.js';
import { internals } from './wasm_heap.js';

/** The addon's operation codes (native/src/elementwise.cc, enum ReduceOp). */
const OPS: Readonly<Record<string, number>> = { [tf.Sum]: 0, [tf.Mean]: 1, [tf.Max]: 2 };

/** [op, xOff, outOff, outer, reduced, inner], reused. */
const params = new Float64Array(6);

function nativeReduce(kernelName: string, { inputs, backend, attrs }: KernelArgs): tf.TensorInfo | null {
  const native = nativeFloatOps();
  if (native === undefined) return null;
  const x = inputs.x!;
  if (x.dtype !== 'float32' || x.shape.length < 2) return null;
  const a = attrs as unknown as { axis?: number | number[]; reductionIndices?: number | number[]; keepDims: boolean };
  const axes = tf.util.parseAxisParam((kernelName === tf.Max ? a.reductionIndices : a.axis) ?? [], x.shape);
  // Ascending axes only: the built-in kernels sum in the order the axes are given.
  if (axes.length === 0 || axes.some((axis, i) => i > 0 && axis <= axes[i - 1]!)) return null;
  const first = axes[0]!;
  const last = axes[axes.length - 1]!;
  // One run of axes, not reaching the last axis (that case needs no transpose).
  if (last - first + 1 !== axes.length || last === x.shape.length - 1) return null;
  const outer = tf.util.sizeFromShape(x.shape.slice(0, first));
  const reduced = tf.util.sizeFromShape(x.shape.slice(first, last + 1));
  const inner = tf.util.sizeFromShape(x.shape.slice(last + 1));
  if (outer * reduced * inner === 0) return null;
  const shape = a.keepDims ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d)) : x.shape.filter((_, i) => i < first || i > last);
  const out = internals(backend).makeOutput(shape, 'float32');
  const heap = backend as unknown as HeapBackend;
  params[0] = OPS[kernelName]!;
  params[1] = heap.dataIdMap.get(x.dataId).memoryOffset;
  params[2] = heap.dataIdMap.get(out.dataId).memoryOffset;
  params[3] = outer;
  params[4] = reduced;
  params[5] = inner;
  native.reduceMiddle(heap.wasm.HEAPU8, params);
  return out;
}

/** Sum, Mean or Max on 'wasm': natively where it applies, else the built-in kernel. */
export function nativeReduceConfig(kernelName: string, builtIn: tf.KernelConfig | undefined): tf.KernelConfig {
  return withNativeFallback(kernelName, builtIn, nativeReduce);
}
