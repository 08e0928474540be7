/**
 * Adam with parameter groups, L2 weight decay added to the gradient (PyTorch's Adam
 * `weight_decay`, which RVOS uses) and state keyed by stable variable names, so a checkpoint can
 * save it and a resumed run continues bit-for-bit. tfjs's own AdamOptimizer keys its moments by
 * position and by engine-global variable names, which is why it is not used here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ADAM_UPDATE, SUM_OF_SQUARES, type AdamUpdateAttrs } from '../backend/fused_kernels/adam_update.js';
import { hasFusedKernel } from '../backend/fused_kernels/index.js';
import { nativeFloatOps } from '../backend/fused_kernels/native_ops.js';

export interface ParamGroup {
  /** Stable name → variable (e.g. from RVOSModel.namedVariables()). */
  variables: Map<string, tf.Variable>;
  lr: number;
}

export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
}

/** Serialisable optimiser state: step count and the two moments per variable name. */
export interface AdamState {
  step: number;
  moments: Map<string, { m: Float32Array; v: Float32Array; shape: number[] }>;
}

/**
 * Variables up to this size are updated by the fused kernel, larger ones by the op sequence: the
 * ops pay ~13 kernel calls of overhead (~50 µs) but run SIMD (~7 ns per element for all 13),
 * the TypeScript kernel one call at ~20 ns per element; measured crossover ~4k elements. With the
 * addon's C++ loop (one pass over the arrays) the fused kernel updates every variable. All give
 * bit-identical updates, so the choice never changes results.
 */
const FUSED_UPDATE_MAX_SIZE = 4096;

export class Adam {
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly weightDecay: number;
  private readonly m = new Map<string, tf.Tensor>();
  private readonly v = new Map<string, tf.Tensor>();
  private stepCount = 0;

  constructor(
    private readonly groups: ParamGroup[],
    options: AdamOptions = {},
  ) {
    // Defaults are PyTorch's (and the Adam paper's).
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
  }

  get iterations(): number {
    return this.stepCount;
  }

  /**
   * Applies one update from gradients keyed by stable variable name. Missing gradients skip.
   * `lrScale` multiplies every group's lr for this step (a schedule; 1 leaves the update bit-identical).
   */
  apply(gradients: Map<string, tf.Tensor>, lrScale = 1): void {
    this.stepCount++;
    const t = this.stepCount;
    const correction1 = 1 - this.beta1 ** t;
    const correction2 = 1 - this.beta2 ** t;
    for (const group of this.groups) {
      for (const [name, variable] of group.variables) {
        const grad = gradients.get(name);
        if (grad === undefined) continue;
        const stepSize = (group.lr * lrScale) / correction1;
        const fused = hasFusedKernel(ADAM_UPDATE) && (variable.size <= FUSED_UPDATE_MAX_SIZE || nativeFloatOps() !== undefined);
        const [m, v] = (fused ? this.fusedUpdate : this.opUpdate).call(this, name, variable, grad, stepSize, correction2);
        this.m.get(name)?.dispose();
        this.v.get(name)?.dispose();
        this.m.set(name, m);
        this.v.set(name, v);
      }
    }
  }

  /** One variable's update as tfjs ops; returns the new moments (the caller stores them). */
  private opUpdate(name: string, variable: tf.Variable, grad: tf.Tensor, stepSize: number, correction2: number): [tf.Tensor, tf.Tensor] {
    return tf.tidy(() => {
      const g = this.weightDecay > 0 ? tf.add(grad, tf.mul(variable, this.weightDecay)) : grad;
      const mPrev = this.m.get(name) ?? tf.zerosLike(variable);
      const vPrev = this.v.get(name) ?? tf.zerosLike(variable);
      const mNext = tf.add(tf.mul(mPrev, this.beta1), tf.mul(g, 1 - this.beta1));
      const vNext = tf.add(tf.mul(vPrev, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
      const denom = tf.add(tf.sqrt(tf.div(vNext, correction2)), this.epsilon);
      variable.assign(tf.sub(variable, tf.mul(tf.div(mNext, denom), stepSize)));
      return [mNext, vNext];
    });
  }

  /**
   * The same update as `opUpdate`, bit for bit, as one kernel per variable
   * (src/backend/fused_kernels/adam_update.ts): ~13 kernel calls fewer per small variable and step.
   */
  private fusedUpdate(name: string, variable: tf.Variable, grad: tf.Tensor, stepSize: number, correction2: number): [tf.Tensor, tf.Tensor] {
    const mPrev = this.m.get(name);
    const vPrev = this.v.get(name);
    const attrs: AdamUpdateAttrs = {
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      weightDecay: this.weightDecay,
      correction2,
      stepSize,
      hasMoments: mPrev !== undefined,
    };
    const inputs = [variable, grad, ...(mPrev === undefined ? [] : [mPrev, vPrev!])];
    const [next, m, v] = tf.engine().runKernel(ADAM_UPDATE, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    variable.assign(next!);
    next!.dispose();
    return [m!, v!];
  }

  getState(): AdamState {
    const moments = new Map<string, { m: Float32Array; v: Float32Array; shape: number[] }>();
    for (const [name, m] of this.m) {
      moments.set(name, { m: m.dataSync() as Float32Array, v: this.v.get(name)!.dataSync() as Float32Array, shape: m.shape });
    }
    return { step: this.stepCount, moments };
  }

  setState(state: AdamState): void {
    this.dispose();
    this.stepCount = state.step;
    for (const [name, { m, v, shape }] of state.moments) {
      this.m.set(name, tf.tensor(m, shape));
      this.v.set(name, tf.tensor(v, shape));
    }
  }

  dispose(): void {
    for (const t of this.m.values()) t.dispose();
    for (const t of this.v.values()) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}

/** Scales gradients so their global L2 norm is at most `maxNorm` (PyTorch clip_grad_norm_). Returns the norm before clipping. */
export function clipByGlobalNorm(gradients: Map<string, tf.Tensor>, maxNorm: number): number {
  const norm = hasFusedKernel(SUM_OF_SQUARES)
    ? fusedGlobalNorm([...gradients.values()])
    : tf.tidy(() => tf.sqrt(tf.addN([...gradients.values()].map((g) => tf.sum(tf.square(g))))).dataSync()[0]!);
  if (Number.isFinite(norm) && maxNorm > 0 && norm > maxNorm) {
    const scale = maxNorm / (norm + 1e-6);
    for (const [name, g] of gradients) {
      gradients.set(name, tf.mul(g, scale));
      g.dispose();
    }
  }
  return norm;
}

/** The global L2 norm in one kernel over all gradients (sum accumulated in double). */
function fusedGlobalNorm(gradients: tf.Tensor[]): number {
  if (gradients.length === 0) return 0;
  const sum = tf.engine().runKernel(SUM_OF_SQUARES, gradients as unknown as tf.NamedTensorMap, {}) as tf.Tensor;
  const value = sum.dataSync()[0]!;
  sum.dispose();
  return Math.fround(Math.sqrt(value));
}
