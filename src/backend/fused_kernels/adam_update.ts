/**
 * Optimiser kernels, for speed. Adam over many small variables ran ~13 kernels per variable per
 * step (weight decay, both moments, bias correction, the update) and the global gradient norm
 * two per variable; here each variable's update is one kernel and the norm one kernel for all.
 *
 * The update reproduces src/train/adam.ts's op sequence bit for bit: every hyperparameter is the
 * float32 scalar the ops saw, and every product, sum, quotient and square root is rounded to
 * float32 where the separate kernel rounded it (an IEEE float32 operation equals the double
 * operation rounded once to float32, for +, −, ×, ÷ and √ of float32 operands). With the addon
 * the loops run in C++ (./native_ops.ts) in float32 arithmetic: the same values.
 */
import * as tf from '@tensorflow/tfjs-core';
import { floatKernelIO, fusedKernelConfigs, type FusedKernelArgs, type FusedKernelBackend } from './kernel_io.js';
import { NO_ARRAY, nativeFloatOps } from './native_ops.js';

export const ADAM_UPDATE = 'RvosAdamUpdate';
export const SUM_OF_SQUARES = 'RvosSumOfSquares';

export interface AdamUpdateAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  /** 1 − beta2^t. */
  correction2: number;
  /** lr / (1 − beta1^t). */
  stepSize: number;
  /** Whether inputs 2 and 3 are the previous moments (absent: zeros, the first step). */
  hasMoments: boolean;
}

const fround = Math.fround;

/** Inputs [variable, gradient, m?, v?] → [new variable, m, v]. */
function adamUpdate(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo[] {
  const list = args.inputs as unknown as tf.TensorInfo[];
  const a = args.attrs as unknown as AdamUpdateAttrs;
  const shape = list[0]!.shape;
  const b1 = fround(a.beta1),
    ob1 = fround(1 - a.beta1),
    b2 = fround(a.beta2),
    ob2 = fround(1 - a.beta2);
  const c2 = fround(a.correction2),
    eps = fround(a.epsilon),
    step = fround(a.stepSize),
    wd = fround(a.weightDecay);
  const decay = a.weightDecay > 0;
  return floatKernelIO(backendName, args.backend).compute(list, [shape, shape, shape], ([x, grad, mIn, vIn], [xNext, m, v]) => {
    const native = nativeFloatOps();
    if (native !== undefined)
      return native.adamUpdate(x!, grad!, mIn ?? NO_ARRAY, vIn ?? NO_ARRAY, xNext!, m!, v!, b1, ob1, b2, ob2, c2, eps, step, decay ? wd : 0);
    // The first step's zero moments as arrays, so that the loop below sees one kind of input.
    const mPrev = mIn ?? new Float32Array(x!.length);
    const vPrev = vIn ?? mPrev;
    const n = x!.length;
    for (let k = 0; k < n; k++) {
      const xk = x![k]!;
      const g = decay ? fround(grad![k]! + fround(xk * wd)) : grad![k]!;
      const mk = fround(fround(mPrev[k]! * b1) + fround(g * ob1));
      const vk = fround(fround(vPrev[k]! * b2) + fround(fround(g * g) * ob2));
      const denom = fround(fround(Math.sqrt(fround(vk / c2))) + eps);
      m![k] = mk;
      v![k] = vk;
      xNext![k] = xk - fround(fround(mk / denom) * step);
    }
  });
}

/** Inputs: any float32 tensors → scalar Σ x² over all of them (accumulated in double). */
function sumOfSquares(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo {
  const list = args.inputs as unknown as tf.TensorInfo[];
  const [out] = floatKernelIO(backendName, args.backend).compute(list, [[]], (ins, [total]) => {
    let sum = 0;
    const native = nativeFloatOps();
    if (native !== undefined) for (const x of ins) sum = native.sumOfSquares(x, sum);
    else for (const x of ins) for (let k = 0; k < x.length; k++) sum += x[k]! * x[k]!;
    total![0] = sum;
  });
  return out!;
}

export function adamUpdateKernelConfigs(): tf.KernelConfig[] {
  return fusedKernelConfigs(ADAM_UPDATE, adamUpdate);
}

export function sumOfSquaresKernelConfigs(): tf.KernelConfig[] {
  return fusedKernelConfigs(SUM_OF_SQUARES, sumOfSquares);
}
