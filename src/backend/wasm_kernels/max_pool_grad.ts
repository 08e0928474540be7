/**
 * MaxPoolGrad for the wasm backend as a loop over typed arrays. The built-in wasm kernel (4.22)
 * is wrong whenever a window's maximum is not positive: with all-negative inputs it drops the
 * gradient (measured: sum(dx) = 1 instead of 120 on a [2,9,7,3] input), and after a ReLU many
 * windows are all zeros. This follows the cpu backend / TensorFlow rule: each output's gradient
 * goes to the FIRST maximum of its window (row-major), padding never wins.
 */
import * as tf from '@tensorflow/tfjs-core';
import { outputFromHost } from './composed_kernel.js';

function maxPoolGrad({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { dy, input } = inputs as unknown as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const x = backend.readSync(input.dataId) as Float32Array;
  const dyValues = backend.readSync(dy.dataId) as Float32Array;
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
  const dx = new Float32Array(batchSize * inHeight * inWidth * channels);
  // Channels innermost: contiguous reads, one running maximum per channel.
  const best = new Float32Array(channels);
  const bestIndex = new Int32Array(channels);
  let dyBase = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * strideHeight - info.padInfo.top;
      const yStart = Math.max(0, y0);
      const yEnd = Math.min(inHeight, y0 + fh);
      for (let ox = 0; ox < outWidth; ox++, dyBase += channels) {
        const x0 = ox * strideWidth - info.padInfo.left;
        const xStart = Math.max(0, x0);
        const xEnd = Math.min(inWidth, x0 + fw);
        best.fill(Number.NEGATIVE_INFINITY);
        bestIndex.fill(-1);
        for (let yy = yStart; yy < yEnd; yy++) {
          for (let xx = xStart; xx < xEnd; xx++) {
            const base = ((b * inHeight + yy) * inWidth + xx) * channels;
            for (let c = 0; c < channels; c++) {
              const v = x[base + c]!;
              if (v > best[c]!) {
                best[c] = v;
                bestIndex[c] = base + c;
              }
            }
          }
        }
        for (let c = 0; c < channels; c++) {
          const index = bestIndex[c]!;
          if (index >= 0) dx[index] += dyValues[dyBase + c]!;
        }
      }
    }
  }
  return outputFromHost(backend, input.shape, dx);
}

export const maxPoolGradConfig: tf.KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as tf.KernelFunc,
};
