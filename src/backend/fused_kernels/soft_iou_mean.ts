/**
 * The clip loss's soft-IoU term of one frame as one kernel forward and one backward (a
 * training-speed measure):
 *   p = σ(logits),  I = Σ_hw p·y,  U = Σ_hw (p + y − p·y),  l = 1 − I / (U + ε)   per (b, s),
 *   loss = Σ l·w / max(Σ w, 1)
 * (src/models/losses.ts: weightedMean(softIoULossPerPair(logits, y), w)). As ops that is 14
 * kernels forward and about 25 backward, each an engine call with a tape node, two of them
 * broadcasting multiplications of the full mask size (the sums' gradients).
 *
 * σ is the backend's own Sigmoid kernel (XNNPACK's on wasm, not Math.exp); everything else is the
 * same float32 operations as the ops and their tfjs-core gradients, in the same order: each
 * elementwise result rounded to float32 (Math.fround), the sums over pixels and over pairs taken in
 * the order the backend's Sum takes them (wasm: a float32 running sum from 0, as the built-in and
 * the addon's kernels; cpu: a double running sum rounded once, as tfjs-backend-cpu), the
 * gradients of a tensor used twice added as the back-propagation adds them. So the loss and the
 * gradient are the same bit for bit (tests/layers/soft_iou_mean.test.ts).
 *
 * Forward inputs [logits [B, H, W, S], targets [B, H, W, S], weights [B, S]] → [loss [], p, I, U + ε,
 * max(Σw, 1) []] (the last four for the backward kernel). Backward inputs [p, targets, weights, I,
 * U + ε, max(Σw, 1), dloss] → [dlogits]. The op is src/layers/soft_iou_mean.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { floatKernelIO, fusedKernelConfigs, type FusedKernelArgs, type FusedKernelBackend } from './kernel_io.js';

export const SOFT_IOU_MEAN = 'RvosSoftIoUMean';
export const SOFT_IOU_MEAN_GRAD = 'RvosSoftIoUMeanGrad';

/** The soft IoU's ε (src/models/losses.ts SOFT_IOU_EPSILON) as the float32 scalar tf.add makes of it. */
export interface SoftIoUMeanAttrs {
  epsilon: number;
}

const f = Math.fround;

/** A running sum in the backend's Sum order and precision: float32 on wasm, double on cpu. */
function sums(backendName: FusedKernelBackend, n: number): Float32Array | Float64Array {
  return backendName === 'wasm' ? new Float32Array(n) : new Float64Array(n);
}

function forward(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo[] {
  const [logits, targets, weights] = args.inputs as unknown as tf.TensorInfo[];
  const { epsilon } = args.attrs as unknown as SoftIoUMeanAttrs;
  const [b, h, w, s] = logits!.shape;
  const pairs = b! * s!;
  const pixels = h! * w!;
  const io = floatKernelIO(backendName, args.backend);
  const p = io.unary(tf.Sigmoid, logits!);
  const eps = f(epsilon);
  const outs = io.compute([p, targets!, weights!], [[], [b!, s!], [b!, s!], []], ([pv, yv, wv], [loss, inter, den, countMax]) => {
    const iSum = sums(backendName, pairs);
    const uSum = sums(backendName, pairs);
    for (let bi = 0, i = 0; bi < b!; bi++) {
      const row = bi * s!;
      for (let q = 0; q < pixels; q++) {
        for (let si = 0; si < s!; si++, i++) {
          const py = f(pv![i]! * yv![i]!);
          iSum[row + si] += py;
          uSum[row + si] += f(f(pv![i]! + yv![i]!) - py);
        }
      }
    }
    const total = sums(backendName, 1);
    const count = sums(backendName, 1);
    for (let k = 0; k < pairs; k++) {
      inter![k] = iSum[k]!;
      den![k] = f(f(uSum[k]!) + eps);
      const perPair = f(1 - f(inter![k]! / den![k]!));
      total[0] += f(perPair * wv![k]!);
      count[0] += wv![k]!;
    }
    countMax![0] = Math.max(f(count[0]!), 1);
    loss![0] = f(f(total[0]!) / countMax![0]!);
  });
  return [outs[0]!, p, outs[1]!, outs[2]!, outs[3]!];
}

function backward(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo[] {
  const [p, targets, weights, inter, den, countMax, dy] = args.inputs as unknown as tf.TensorInfo[];
  const [b, h, w, s] = p!.shape;
  const pixels = h! * w!;
  const io = floatKernelIO(backendName, args.backend);
  return io.compute([p!, targets!, weights!, inter!, den!, countMax!, dy!], [p!.shape], ([pv, yv, wv, iv, dv, mv, dyv], [dl]) => {
    const pairs = b! * s!;
    // Per pair: the gradients of U (dU) and of p·y (dI − dU: its two uses, the intersection and the union).
    const dU = new Float32Array(pairs);
    const dPy = new Float32Array(pairs);
    // total / max(count, 1) → Σ(l·w) → l·w → 1 − r → I / den → U + ε.
    const dTotal = f(dyv![0]! / mv![0]!);
    for (let k = 0; k < pairs; k++) {
      const dr = -f(dTotal * wv![k]!);
      const dI = f(dr / dv![k]!);
      dU[k] = -f(f(dr * iv![k]!) / f(dv![k]! * dv![k]!));
      dPy[k] = f(-dU[k]! + dI);
    }
    for (let bi = 0, i = 0; bi < b!; bi++) {
      const row = bi * s!;
      for (let q = 0; q < pixels; q++) {
        for (let si = 0; si < s!; si++, i++) {
          const k = row + si;
          // p's gradient from p + y and from p·y, then σ's: dp·(p·(1 − p)).
          const dp = f(dU[k]! + f(dPy[k]! * yv![i]!));
          dl![i] = f(dp * f(pv![i]! * f(1 - pv![i]!)));
        }
      }
    }
  });
}

/** Forward and backward kernels for every backend in FUSED_KERNEL_BACKENDS. */
export function softIoUMeanKernelConfigs(): tf.KernelConfig[] {
  return [...fusedKernelConfigs(SOFT_IOU_MEAN, forward), ...fusedKernelConfigs(SOFT_IOU_MEAN_GRAD, backward)];
}
