/**
 * Add, Sub and Multiply of float32 tensors of one shape (or one side a single value) on the wasm
 * backend by the addon (../fused_kernels/native_ops.ts), in place on the heap. A training step runs
 * ~800 of these, mostly tfjs-core summing a tensor's gradients pairwise, on a few thousand
 * elements each, where the built-in kernel's call (an XNNPACK operator per call, shapes passed by
 * copies on the wasm stack) costs more than the arithmetic. IEEE float32 addition, subtraction
 * and multiplication: the built-in kernels' values. Other cases (broadcasting, other dtypes, no
 * addon) run the built-in kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { nativeFloatOps } from '../fused_kernels/native_ops.js';
import { type HeapBackend, type KernelArgs, withNativeFallback } from './native_fallback.js';
import { internals } from './wasm_heap.js';

/** The addon's operation codes (native/src/elementwise.cc, enum BinaryOp). */
const OPS: Readonly<Record<string, number>> = { [tf.Add]: 0, [tf.Sub]: 1, [tf.Multiply]: 2 };

/** [op, aOff, bOff, outOff, n, aScalar, bScalar], reused. */
const params = new Float64Array(7);

function nativeBinary(kernelName: string, { inputs, backend }: KernelArgs): tf.TensorInfo | null {
  const native = nativeFloatOps();
  if (native === undefined) return null;
  const a = inputs.a!;
  const b = inputs.b!;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const sizeA = tf.util.sizeFromShape(a.shape);
  const sizeB = tf.util.sizeFromShape(b.shape);
  let shape: number[];
  if (tf.util.arraysEqual(a.shape, b.shape)) shape = a.shape;
  // One value against a tensor of at least its rank: the output has the tensor's shape.
  else if (sizeA === 1 && a.shape.length <= b.shape.length) shape = b.shape;
  else if (sizeB === 1 && b.shape.length <= a.shape.length) shape = a.shape;
  else return null;
  const n = tf.util.sizeFromShape(shape);
  if (n === 0) return null;
  const out = internals(backend).makeOutput(shape, 'float32');
  const heap = backend as unknown as HeapBackend;
  params[0] = OPS[kernelName]!;
  params[1] = heap.dataIdMap.get(a.dataId).memoryOffset;
  params[2] = heap.dataIdMap.get(b.dataId).memoryOffset;
  params[3] = heap.dataIdMap.get(out.dataId).memoryOffset;
  params[4] = n;
  params[5] = sizeA === 1 && n > 1 ? 1 : 0;
  params[6] = sizeB === 1 && n > 1 ? 1 : 0;
  // The heap as it is after the allocation (growing it replaces the buffer).
  native.binaryHeap(heap.wasm.HEAPU8, params);
  return out;
}

/** Add, Sub or Multiply on 'wasm': natively where it applies, else the built-in kernel. */
export function nativeBinaryConfig(kernelName: string, builtIn: tf.KernelConfig | undefined): tf.KernelConfig {
  return withNativeFallback(kernelName, builtIn, nativeBinary);
}
