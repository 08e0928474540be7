/**
 * The clip loss's soft-IoU term of one frame, and optionally its empty-slot term, as one kernel
 * forward and one backward (a training-speed measure):
 *   p = σ(logits),  I = Σ_hw p·y,  U = Σ_hw (p + y − p·y),  l = 1 − I / (U + ε)   per (b, s),
 *   loss = Σ l·w / max(Σ w, 1),   empty = Σ mean_hw(p)·v / max(Σ v, 1)
 * (src/models/losses.ts: weightedMean(softIoULossPerPair(logits, y), w) and
 * weightedMean(emptyMaskLossPerPair(logits), v)). As ops these are 14 and 8 kernels forward and
 * about 25 and 12 backward, each an engine call with a tape node, several of them passes over the
 * full mask size (the sums' broadcast gradients, σ's gradient twice, their sum).
 *
 * σ is the backend's own Sigmoid kernel (XNNPACK's on wasm, not Math.exp); everything else is the
 * same float32 operations as the ops and their tfjs-core gradients, in the same order: each
 * elementwise result rounded to float32 (Math.fround), the sums and means over pixels and over
 * pairs taken as the backend's Sum and Mean take them (wasm: a float32 running sum from 0, the
 * mean that sum divided by the count, as the built-in and the addon's kernels; cpu: a double
 * running sum rounded once, the mean a sum of x / n, as tfjs-backend-cpu), and the two gradients
 * of a tensor used twice added once (two terms: the order does not matter). So the losses and the
 * gradient are the same bit for bit (tests/layers/soft_iou_mean.test.ts).
 *
 * Forward inputs [logits [B, H, W, S], targets [B, H, W, S], w [B, S], v [B, S]?] → [loss [], p, I,
 * U + ε, max(Σw, 1) [], empty []?, max(Σv, 1) []?] (p, I, U + ε and the maxima for the backward
 * kernel). Backward inputs [p, targets, w, I, U + ε, max(Σw, 1), v?, max(Σv, 1)?, dloss, dempty?]
 * → [dlogits]. The op is src/layers/soft_iou_mean.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { floatKernelIO, fusedKernelConfigs, type FusedKernelArgs, type FusedKernelBackend } from './kernel_io.js';

export const SOFT_IOU_MEAN = 'RvosSoftIoUMean';
export const SOFT_IOU_MEAN_GRAD = 'RvosSoftIoUMeanGrad';

export interface SoftIoUMeanAttrs {
  /** The soft IoU's ε (src/models/losses.ts SOFT_IOU_EPSILON; used as the float32 scalar tf.add makes of it). */
  epsilon: number;
  /** Whether the empty-slot term (and its weights v) is computed too. */
  hasEmpty: boolean;
}

const f = Math.fround;

/** A running sum in the backend's Sum order and precision: float32 on wasm, double on cpu. */
function sums(backendName: FusedKernelBackend, n: number): Float32Array | Float64Array {
  return backendName === 'wasm' ? new Float32Array(n) : new Float64Array(n);
}

function forward(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo[] {
  const [logits, targets, weights, emptyWeights] = args.inputs as unknown as tf.TensorInfo[];
  const { epsilon, hasEmpty } = args.attrs as unknown as SoftIoUMeanAttrs;
  const [b, h, w, s] = logits!.shape;
  const pairs = b! * s!;
  const pixels = h! * w!;
  const n = f(pixels);
  const io = floatKernelIO(backendName, args.backend);
  const p = io.unary(tf.Sigmoid, logits!);
  const eps = f(epsilon);
  const inputs = [p, targets!, weights!, ...(hasEmpty ? [emptyWeights!] : [])];
  const shapes = [[], [b!, s!], [b!, s!], [], ...(hasEmpty ? [[], []] : [])];
  const outs = io.compute(inputs, shapes, ([pv, yv, wv, vv], [loss, inter, den, countMax, empty, emptyCountMax]) => {
    // Per pair, its pixels in order (stride S): I, U and Σp as running sums in the backend's precision.
    const iSum = new Float64Array(pairs);
    const uSum = new Float64Array(pairs);
    const pSum = new Float64Array(pairs);
    const f32 = backendName === 'wasm';
    for (let k = 0; k < pairs; k++) {
      const start = Math.floor(k / s!) * pixels * s! + (k % s!);
      const end = start + pixels * s!;
      let iAcc = 0;
      let uAcc = 0;
      let pAcc = 0;
      if (f32) {
        for (let i = start; i < end; i += s!) {
          const pi = pv![i]!;
          const yi = yv![i]!;
          const py = f(pi * yi);
          iAcc = f(iAcc + py);
          uAcc = f(uAcc + f(f(pi + yi) - py));
          pAcc = f(pAcc + pi);
        }
      } else {
        for (let i = start; i < end; i += s!) {
          const pi = pv![i]!;
          const yi = yv![i]!;
          const py = f(pi * yi);
          iAcc += py;
          uAcc += f(f(pi + yi) - py);
          pAcc += f(pi / n);
        }
      }
      iSum[k] = iAcc;
      uSum[k] = uAcc;
      pSum[k] = pAcc;
    }
    const cpu = !f32;
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
    if (!hasEmpty) return;
    total[0] = 0;
    count[0] = 0;
    for (let k = 0; k < pairs; k++) {
      const mean = cpu ? f(pSum[k]!) : f(pSum[k]! / n);
      total[0] += f(mean * vv![k]!);
      count[0] += vv![k]!;
    }
    emptyCountMax![0] = Math.max(f(count[0]!), 1);
    empty![0] = f(f(total[0]!) / emptyCountMax![0]!);
  });
  return [outs[0]!, p, ...outs.slice(1)];
}

function backward(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo[] {
  const list = args.inputs as unknown as tf.TensorInfo[];
  const { hasEmpty } = args.attrs as unknown as SoftIoUMeanAttrs;
  const [p, targets] = list;
  const [b, h, w, s] = p!.shape;
  const pixels = h! * w!;
  const n = f(pixels);
  const io = floatKernelIO(backendName, args.backend);
  return io.compute(list, [p!.shape], ([pv, yv, wv, iv, dv, mv, ...rest], [dl]) => {
    const [vv, mvE, dyv, dyE] = hasEmpty ? rest : [undefined, undefined, ...rest];
    const pairs = b! * s!;
    // Per pair: the gradients of U (dU), of p·y (dI − dU: its two uses, the intersection and the
    // union) and of σ's output through the empty term's mean (dq).
    const dU = new Float32Array(pairs);
    const dPy = new Float32Array(pairs);
    const dq = new Float32Array(pairs);
    // total / max(count, 1) → Σ(l·w) → l·w → 1 − r → I / den → U + ε.
    const dTotal = f(dyv![0]! / mv![0]!);
    for (let k = 0; k < pairs; k++) {
      const dr = -f(dTotal * wv![k]!);
      const dI = f(dr / dv![k]!);
      dU[k] = -f(f(dr * iv![k]!) / f(dv![k]! * dv![k]!));
      dPy[k] = f(-dU[k]! + dI);
    }
    if (hasEmpty) {
      // total / max(count, 1) → Σ(m·v) → m·v → mean over pixels.
      const dEmpty = f(dyE![0]! / mvE![0]!);
      for (let k = 0; k < pairs; k++) dq[k] = f(f(dEmpty * vv![k]!) / n);
    }
    // Per pair, its pixels (stride S): p's gradient from p + y and from p·y, then σ's,
    // dp·(p·(1 − p)); with the empty term, its σ gradient added.
    for (let k = 0; k < pairs; k++) {
      const start = Math.floor(k / s!) * pixels * s! + (k % s!);
      const end = start + pixels * s!;
      const dUk = dU[k]!;
      const dPyk = dPy[k]!;
      const dqk = dq[k]!;
      if (hasEmpty) {
        for (let i = start; i < end; i += s!) {
          const pi = pv![i]!;
          const slope = f(pi * f(1 - pi));
          dl![i] = f(f(f(dUk + f(dPyk * yv![i]!)) * slope) + f(dqk * slope));
        }
      } else {
        for (let i = start; i < end; i += s!) {
          const pi = pv![i]!;
          dl![i] = f(f(dUk + f(dPyk * yv![i]!)) * f(pi * f(1 - pi)));
        }
      }
    }
  });
}

/** Forward and backward kernels for every backend in FUSED_KERNEL_BACKENDS. */
export function softIoUMeanKernelConfigs(): tf.KernelConfig[] {
  return [...fusedKernelConfigs(SOFT_IOU_MEAN, forward), ...fusedKernelConfigs(SOFT_IOU_MEAN_GRAD, backward)];
}
