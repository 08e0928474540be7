/**
 * The encoders' input normalisation as one kernel: (frame − mean)/std per channel, and with the
 * motion input also (frame − previous)/std, written side by side ([B, H, W, 3] → [B, H, W, 6]).
 * As separate ops that was a broadcasting Sub and RealDiv per part plus a Concat: the wasm backend
 * runs a broadcasting RealDiv on its slow path (milliseconds for a batch of 64x64 frames, a few
 * percent of a main-job training step). Each difference and quotient is rounded to float32 as the
 * separate Sub and RealDiv kernels round them, so the values are the same bit for bit (also in C++
 * with the addon: ./native_ops.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { floatKernelIO, fusedKernelConfigs, type FusedKernelArgs, type FusedKernelBackend } from './kernel_io.js';
import { NO_ARRAY, nativeFloatOps } from './native_ops.js';

export const NORMALIZE_INPUT = 'RvosNormalizeInput';

/** Inputs [frame, mean, std, previous?] (mean and std [C]) → [B, H, W, C] or, with previous, [B, H, W, 2C]. */
function normalizeInput(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo {
  const list = args.inputs as unknown as tf.TensorInfo[];
  const frame = list[0]!;
  const channels = frame.shape[3]!;
  const motion = list.length > 3;
  const shape = [...frame.shape.slice(0, 3), motion ? 2 * channels : channels];
  const fround = Math.fround;
  const [out] = floatKernelIO(backendName, args.backend).compute(list, [shape], ([x, mean, std, previous], [y]) => {
    const native = nativeFloatOps();
    if (native !== undefined) return native.normalizeInput(x!, mean!, std!, previous ?? NO_ARRAY, y!, channels);
    const width = motion ? 2 * channels : channels;
    for (let p = 0, q = 0; p < x!.length; p += channels, q += width) {
      for (let c = 0; c < channels; c++) {
        const v = x![p + c]!;
        y![q + c] = fround(v - mean![c]!) / std![c]!;
        if (previous !== undefined) y![q + channels + c] = fround(v - previous[p + c]!) / std![c]!;
      }
    }
  });
  return out!;
}

export function normalizeInputKernelConfigs(): tf.KernelConfig[] {
  return fusedKernelConfigs(NORMALIZE_INPUT, normalizeInput);
}
