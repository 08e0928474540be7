/**
 * The mean binary cross-entropy of logits against 0/1 targets as one kernel forward and one
 * backward (a training-speed measure), in the stable form of src/models/losses.ts:
 *   loss = mean(max(x, 0) − x·t + log1p(exp(−|x|)))
 * (the objectness and foreground terms of the clip loss). As ops that is 9 kernels forward and
 * about 14 backward, each an engine call with a tape node.
 *
 * exp and log1p are the backend's own Exp and Log1p kernels (the wasm libm's results); the rest
 * is the same float32 operations as the ops and their tfjs-core gradients (and this project's
 * ReLU and Mean gradients), in the same order: each elementwise result rounded to float32, the
 * mean taken as the backend's Mean takes it (wasm: a float32 running sum from 0 divided by the
 * count; cpu: a double running sum of x / n rounded once), and the three gradients that reach x
 * (through |x|, x·t and max(x, 0), in that order) added as the back-propagation adds them. So the
 * loss and the gradient are the same bit for bit for finite logits (tests/layers/bce_mean.test.ts).
 *
 * Forward inputs [x, t] → [loss [], exp(−|x|)] (the second for the backward kernel). Backward
 * inputs [x, t, exp(−|x|), dloss] → [dx]. The op is src/layers/bce_mean.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { floatKernelIO, fusedKernelConfigs, type FusedKernelArgs, type FusedKernelBackend } from './kernel_io.js';

export const BCE_MEAN = 'RvosBceMean';
export const BCE_MEAN_GRAD = 'RvosBceMeanGrad';

const f = Math.fround;

function forward(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo[] {
  const [x, t] = args.inputs as unknown as tf.TensorInfo[];
  const size = tf.util.sizeFromShape(x!.shape);
  const n = f(size);
  const io = floatKernelIO(backendName, args.backend);
  const [negAbs] = io.compute([x!], [x!.shape], ([xv], [out]) => {
    for (let i = 0; i < size; i++) out![i] = -Math.abs(xv![i]!);
  });
  const e = io.unary(tf.Exp, negAbs!);
  io.release(negAbs!);
  const log = io.unary(tf.Log1p, e);
  const cpu = backendName === 'cpu';
  const [loss] = io.compute([x!, t!, log], [[]], ([xv, tv, lv], [out]) => {
    let acc = 0;
    for (let i = 0; i < size; i++) {
      const xi = xv![i]!;
      const v = f(f((xi > 0 ? xi : 0) - f(xi * tv![i]!)) + lv![i]!);
      acc = cpu ? acc + f(v / n) : f(acc + v);
    }
    out![0] = cpu ? f(acc) : f(acc / n);
  });
  io.release(log);
  return [loss!, e];
}

function backward(backendName: FusedKernelBackend, args: FusedKernelArgs): tf.TensorInfo[] {
  const [x, t, e, dy] = args.inputs as unknown as tf.TensorInfo[];
  const size = tf.util.sizeFromShape(x!.shape);
  const n = f(size);
  return floatKernelIO(backendName, args.backend).compute([x!, t!, e!, dy!], [x!.shape], ([xv, tv, ev, dyv], [dx]) => {
    // The mean's gradient, then the sum's: g to both terms.
    const g = f(dyv![0]! / n);
    for (let i = 0; i < size; i++) {
      const xi = xv![i]!;
      const ei = ev![i]!;
      // log1p(u): g / (u + 1); exp: · exp(−|x|); neg; |x|: · step(x, −1).
      const dAbs = -f(f(g / f(ei + 1)) * ei);
      const a = f(dAbs * (xi > 0 ? 1 : -1));
      // −x·t: (−g)·t; max(x, 0): g·step(x).
      const m = f(-g * tv![i]!);
      const r = f(g * (xi > 0 ? 1 : 0));
      dx![i] = f(f(a + m) + r);
    }
  });
}

/** Forward and backward kernels for every backend in FUSED_KERNEL_BACKENDS. */
export function bceMeanKernelConfigs(): tf.KernelConfig[] {
  return [...fusedKernelConfigs(BCE_MEAN, forward), ...fusedKernelConfigs(BCE_MEAN_GRAD, backward)];
}
