/**
 * ResizeBilinearGrad for the wasm backend. The built-in kernel (and the cpu one) ignores
 * `halfPixelCenters`, so the gradient of tf.image.resizeBilinear(x, size, false, true) (the
 * PyTorch align_corners=False convention) is silently wrong. That case runs here as a loop over
 * typed arrays, the exact adjoint of the forward sampling. The other cases are correct: with the
 * addon they run its separable adjoint summed in double (`resizeBilinearGradHeap`: within float32
 * rounding of the built-in kernel, not its bits; ~5x faster, where the built-in kernel computes
 * four 4-d offsets per element and was ~8% of a main-job training step; docs/speed.md, "tanh and
 * ResizeBilinearGrad in C++"), else the built-in kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { nativeFloatOps } from '../fused_kernels/native_ops.js';
import { outputFromHost } from './composed_kernel.js';
import type { HeapBackend } from './native_fallback.js';
import { internals } from './wasm_heap.js';

/** Source coordinate of output index `i` (tfjs/TensorFlow forward convention). */
function sourceCoordinate(i: number, ratio: number, halfPixel: boolean): number {
  return halfPixel ? ratio * (i + 0.5) - 0.5 : ratio * i;
}

function bilinearGradient(backend: tf.KernelBackend, images: tf.TensorInfo, dy: tf.TensorInfo, halfPixel: boolean): tf.TensorInfo {
  const [batch, inH, inW, channels] = images.shape as [number, number, number, number];
  const [, outH, outW] = dy.shape as [number, number, number, number];
  const dyValues = backend.readSync(dy.dataId) as Float32Array;
  const dx = new Float32Array(batch * inH * inW * channels);
  const rowRatio = inH / outH;
  const colRatio = inW / outW;
  let dyIndex = 0;
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < outH; r++) {
      const fr = sourceCoordinate(r, rowRatio, halfPixel);
      const top = Math.max(0, Math.floor(fr));
      const bottom = Math.min(inH - 1, Math.ceil(fr));
      const rowFrac = fr - top;
      const topBase = (b * inH + top) * inW;
      const bottomBase = (b * inH + bottom) * inW;
      for (let c = 0; c < outW; c++) {
        const fc = sourceCoordinate(c, colRatio, halfPixel);
        const left = Math.max(0, Math.floor(fc));
        const right = Math.min(inW - 1, Math.ceil(fc));
        const colFrac = fc - left;
        const wTL = (1 - rowFrac) * (1 - colFrac);
        const wTR = (1 - rowFrac) * colFrac;
        const wBL = rowFrac * (1 - colFrac);
        const wBR = rowFrac * colFrac;
        const tl = (topBase + left) * channels;
        const tr = (topBase + right) * channels;
        const bl = (bottomBase + left) * channels;
        const br = (bottomBase + right) * channels;
        for (let d = 0; d < channels; d++, dyIndex++) {
          const g = dyValues[dyIndex]!;
          dx[tl + d] += g * wTL;
          dx[tr + d] += g * wTR;
          dx[bl + d] += g * wBL;
          dx[br + d] += g * wBR;
        }
      }
    }
  }
  return outputFromHost(backend, images.shape, dx);
}

/** [dyOff, dxOff, batch, inH, inW, outH, outW, depth, alignCorners], reused. */
const params = new Float64Array(9);

/** The gradient by the addon; null without it, for other dtypes and for empty tensors. */
function nativeGradient(backend: tf.KernelBackend, images: tf.TensorInfo, dy: tf.TensorInfo, alignCorners: boolean): tf.TensorInfo | null {
  const native = nativeFloatOps();
  if (native === undefined || dy.dtype !== 'float32' || images.shape.length !== 4) return null;
  if (tf.util.sizeFromShape(dy.shape) === 0 || tf.util.sizeFromShape(images.shape) === 0) return null;
  const out = internals(backend).makeOutput([...images.shape], 'float32');
  const heap = backend as unknown as HeapBackend;
  const [batch, inH, inW, depth] = images.shape as [number, number, number, number];
  const [, outH, outW] = dy.shape as [number, number, number, number];
  params[0] = heap.dataIdMap.get(dy.dataId).memoryOffset;
  params[1] = heap.dataIdMap.get(out.dataId).memoryOffset;
  params.set([batch, inH, inW, outH, outW, depth, alignCorners ? 1 : 0], 2);
  native.resizeBilinearGradHeap(heap.wasm.HEAPU8, params);
  return out;
}

/** Marks our kernel function with the built-in one it wraps, so re-registration never nests. */
interface WrappingKernelFunc {
  (args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo;
  builtIn?: tf.KernelConfig;
}

/** Builds the replacement config around the currently registered kernel (kept for other cases). */
export function resizeBilinearGradConfig(current: tf.KernelConfig | undefined): tf.KernelConfig {
  const builtIn = (current?.kernelFunc as WrappingKernelFunc | undefined)?.builtIn ?? current;
  const kernelFunc: WrappingKernelFunc = (args) => {
    const { images, dy } = args.inputs as unknown as { images: tf.TensorInfo; dy: tf.TensorInfo };
    // tfjs rejects alignCorners together with halfPixelCenters, so the flag alone decides.
    if ((args.attrs as { halfPixelCenters?: boolean } | undefined)?.halfPixelCenters === true || builtIn === undefined) {
      return bilinearGradient(args.backend, images, dy, (args.attrs as { halfPixelCenters?: boolean } | undefined)?.halfPixelCenters === true);
    }
    const alignCorners = (args.attrs as { alignCorners?: boolean } | undefined)?.alignCorners === true;
    return nativeGradient(args.backend, images, dy, alignCorners) ?? (builtIn.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo);
  };
  kernelFunc.builtIn = builtIn;
  return {
    kernelName: tf.ResizeBilinearGrad,
    backendName: 'wasm',
    // The built-in kernel binds its wasm function in its setup; keep that running at backend init.
    setupFunc: builtIn?.setupFunc,
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
  };
}
