/**
 * Float32 data access for kernels written in TypeScript that run on both the wasm and the cpu
 * backend: inputs as Float32Array views, outputs filled in place, and the backend's own
 * elementwise kernels (Sigmoid, Tanh, Add) called directly on TensorInfos. Calling a backend
 * kernel function directly skips the engine (no tape, no profiling, no saved-tensor clones), which
 * is most of the cost of a small op here; using the backend's own kernels keeps the values
 * identical to the unfused ops (XNNPACK's sigmoid is not Math.exp) and keeps their SIMD speed on
 * large tensors, where a TypeScript loop is 5–8x slower than wasm SIMD (measured: 2 ns vs 0.3 ns
 * per element for an add).
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapF32, makeHeapOutput } from '../wasm_kernels/wasm_heap.js';

/** Backends these kernels are registered for. */
export const FUSED_KERNEL_BACKENDS = ['wasm', 'cpu'] as const;
export type FusedKernelBackend = (typeof FUSED_KERNEL_BACKENDS)[number];

/** What tfjs passes a kernel function. */
export type FusedKernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

/** One kernel config per backend in FUSED_KERNEL_BACKENDS, each calling `kernel` with its backend's name. */
export function fusedKernelConfigs(
  kernelName: string,
  kernel: (backendName: FusedKernelBackend, args: FusedKernelArgs) => tf.TensorInfo | tf.TensorInfo[],
): tf.KernelConfig[] {
  return FUSED_KERNEL_BACKENDS.map((backendName) => ({
    kernelName,
    backendName,
    kernelFunc: ((args: FusedKernelArgs) => kernel(backendName, args)) as unknown as tf.KernelFunc,
  }));
}

interface CpuBackendInternals {
  data: { get(dataId: tf.DataId): { values: tf.backend_util.BackendValues } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues): tf.TensorInfo;
}

/** The kernel's view of its backend. */
export interface FloatKernelIO {
  /**
   * Makes one float32 output per shape, then calls `fill` with views of the inputs and the
   * outputs (on wasm, views are taken after every allocation: the heap may move when it grows).
   */
  compute(inputs: tf.TensorInfo[], outputShapes: number[][], fill: (ins: Float32Array[], outs: Float32Array[]) => void): tf.TensorInfo[];
  /** Runs the backend's own unary kernel (Sigmoid, Tanh, …); release the result with `release`. */
  unary(kernelName: string, x: tf.TensorInfo): tf.TensorInfo;
  /** Runs the backend's own binary kernel (Add, Multiply, …) on same-shape inputs; release the result. */
  binary(kernelName: string, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo;
  /** Frees a temporary made by `unary`, `binary` or `compute`. */
  release(info: tf.TensorInfo): void;
}

export function floatKernelIO(backendName: FusedKernelBackend, backend: tf.KernelBackend): FloatKernelIO {
  const read = (info: tf.TensorInfo): Float32Array => {
    if (info.dtype !== 'float32') throw new Error(`fused kernel: expected float32 data, got ${info.dtype}`);
    return backendName === 'wasm' ? heapF32(backend, info) : ((backend as unknown as CpuBackendInternals).data.get(info.dataId).values as Float32Array);
  };
  return {
    compute(inputs, outputShapes, fill) {
      if (backendName === 'wasm') {
        const outs = outputShapes.map((shape) => makeHeapOutput(backend, shape));
        fill(inputs.map(read), outs.map(read));
        return outs;
      }
      const arrays = outputShapes.map((shape) => new Float32Array(tf.util.sizeFromShape(shape)));
      fill(inputs.map(read), arrays);
      return arrays.map((values, i) => (backend as unknown as CpuBackendInternals).makeTensorInfo(outputShapes[i]!, 'float32', values));
    },
    unary(kernelName, x) {
      return backendKernel(backendName, kernelName).kernelFunc({ inputs: { x }, backend, attrs: {} }) as tf.TensorInfo;
    },
    binary(kernelName, a, b) {
      return backendKernel(backendName, kernelName).kernelFunc({ inputs: { a, b }, backend, attrs: {} }) as tf.TensorInfo;
    },
    release(info) {
      backend.disposeData(info.dataId);
    },
  };
}

/** The kernel config `kernelName` has on a backend now (to call its kernelFunc directly, skipping the engine). */
export function backendKernel(backendName: FusedKernelBackend, kernelName: string): tf.KernelConfig {
  const kernel = tf.getKernel(kernelName, backendName);
  if (kernel === undefined) throw new Error(`fused kernel: backend '${backendName}' has no ${kernelName} kernel`);
  return kernel;
}
