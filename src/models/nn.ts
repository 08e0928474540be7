/**
 * Small building blocks over a ParamStore: convolution, depthwise convolution, BatchNorm, dense.
 * Tensors are NHWC. Each block owns named variables ('<prefix>/<layer>/<weight>', with Keras
 * weight names so that pretrained TF.js layers models match by layer name).
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchNormTrain, movingMoments } from '../layers/batch_norm_train.js';
import { conv2d } from '../layers/conv2d.js';
import { heNormalFanOut, torchDefault, type Init, type ParamGroup, type ParamStore } from './params.js';

/** Per-call switches and the BatchNorm statistic updates collected during a forward pass. */
export interface ForwardContext {
  /** Training mode: BatchNorm uses batch statistics (unless frozen) and updates its moving ones. */
  training: boolean;
  /** Moving-statistic updates to run once the forward pass is done. */
  updates: (() => void)[];
}

export function forwardContext(training: boolean): ForwardContext {
  return { training, updates: [] };
}

/**
 * A copy of `x` with no connection to the gradient tape (tfjs-core has no stopGradient): the
 * values are copied into a fresh tensor, so nothing flows back through it.
 */
export function detach<T extends tf.Tensor>(x: T): T {
  return tf.tensor(x.dataSync(), x.shape, x.dtype) as T;
}

/**
 * Runs `fn` with the gradient tape off and returns its tensors as constants of the tape: the ops
 * inside are not recorded, so no backward pass runs through them and the tape keeps none of their
 * activations (a frozen backbone). tf.customGrad is the public way to run ops at kernel depth > 0,
 * where the engine does not record; it returns one tensor, so the outputs travel packed as one
 * [B, n] tensor and are split again outside (a copy of the outputs, cheap next to the convolutions).
 * Every output must be float32 with the batch size of `inputs[0]`.
 */
export function untaped(fn: (...inputs: tf.Tensor[]) => tf.Tensor[], inputs: tf.Tensor[]): tf.Tensor[] {
  let shapes: number[][] = [];
  const run = tf.customGrad((...args: (tf.Tensor | ((s: tf.Tensor[]) => void))[]) => {
    const xs = args.slice(0, inputs.length) as tf.Tensor[];
    const outs = fn(...xs);
    shapes = outs.map((t) => t.shape);
    const batch = inputs[0]!.shape[0]!;
    const packed =
      outs.length === 1
        ? tf.reshape(outs[0]!, [batch, -1])
        : tf.concat(
            outs.map((t) => tf.reshape(t, [batch, -1])),
            1,
          );
    // Never called: no variable the tape follows is upstream of this op.
    return { value: packed, gradFunc: () => xs.map((x) => tf.zerosLike(x)) };
  });
  const packed = run(...inputs);
  const parts =
    shapes.length === 1
      ? [packed]
      : tf.split(
          packed,
          shapes.map((s) => s.slice(1).reduce((a, b) => a * b, 1)),
          1,
        );
  const outs = parts.map((p, i) => tf.reshape(p, shapes[i]!));
  tf.dispose(parts);
  if (shapes.length > 1) packed.dispose();
  return outs;
}

/**
 * Padding: 'same' is TF's (asymmetric at stride 2 on even sizes); 'symmetric' pads k // 2 on
 * every side like PyTorch's `padding = k // 2`, so odd input sizes (240x427) give
 * ceil(n / stride) outputs sampled at the same positions as the PyTorch reference.
 */
export type PaddingMode = 'same' | 'symmetric' | 'valid';

export interface ConvOptions {
  kernel: number;
  stride?: number;
  padding?: PaddingMode;
  bias?: boolean;
  /** Weight init; default He normal fan-out (torchvision ResNet). */
  init?: 'heFanOut' | 'torchDefault';
}

function padArg(mode: PaddingMode, kernel: number): 'same' | 'valid' | number {
  if (mode === 'symmetric') return Math.floor(kernel / 2);
  return mode;
}

export class Conv2D {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable | null;
  private readonly stride: number;
  private readonly pad: 'same' | 'valid' | number;

  constructor(
    store: ParamStore,
    readonly name: string,
    inChannels: number,
    outChannels: number,
    opts: ConvOptions,
    group: ParamGroup,
  ) {
    const shape = [opts.kernel, opts.kernel, inChannels, outChannels];
    const init: Init = opts.init === 'torchDefault' ? torchDefault(shape) : heNormalFanOut(shape);
    this.kernel = store.create(`${name}/kernel`, shape, init, group);
    this.bias = opts.bias ? store.create(`${name}/bias`, [outChannels], torchDefault(shape), group) : null;
    this.stride = opts.stride ?? 1;
    this.pad = padArg(opts.padding ?? 'symmetric', opts.kernel);
  }

  /** @param resize [h, w] to resize x to first (bilinear, aligned corners), inside the convolution's op (src/layers/conv2d.ts) */
  apply(x: tf.Tensor4D, activation?: 'relu' | 'relu6', resize: [number, number] | null = null): tf.Tensor4D {
    return conv2d({
      x,
      filter: this.kernel as tf.Tensor4D,
      strides: this.stride,
      pad: this.pad,
      bias: this.bias ?? undefined,
      activation: activation ?? 'linear',
      resize,
    });
  }
}

export class DepthwiseConv2D {
  readonly kernel: tf.Variable;
  private readonly stride: number;
  private readonly pad: 'same' | 'valid' | number;

  constructor(
    store: ParamStore,
    readonly name: string,
    channels: number,
    opts: { kernel: number; stride?: number; padding?: PaddingMode },
    group: ParamGroup,
  ) {
    const shape = [opts.kernel, opts.kernel, channels, 1];
    this.kernel = store.create(`${name}/depthwise_kernel`, shape, heNormalFanOut(shape, true), group);
    this.stride = opts.stride ?? 1;
    this.pad = padArg(opts.padding ?? 'symmetric', opts.kernel);
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.depthwiseConv2d(x, this.kernel as tf.Tensor4D, this.stride, this.pad);
  }
}

/** PyTorch BatchNorm2d: running = (1 − 0.1)·running + 0.1·batch, unbiased batch variance. */
export const BN_MOMENTUM = 0.1;

export class BatchNorm {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly movingMean: tf.Variable;
  readonly movingVariance: tf.Variable;

  /**
   * @param frozen use the moving statistics in training too and never update them
   */
  constructor(
    store: ParamStore,
    readonly name: string,
    channels: number,
    group: ParamGroup,
    readonly epsilon = 1e-5,
    readonly frozen = false,
  ) {
    this.gamma = store.create(`${name}/gamma`, [channels], { kind: 'ones' }, group);
    this.beta = store.create(`${name}/beta`, [channels], { kind: 'zeros' }, group);
    this.movingMean = store.create(`${name}/moving_mean`, [channels], { kind: 'zeros' }, group, false);
    this.movingVariance = store.create(`${name}/moving_variance`, [channels], { kind: 'ones' }, group, false);
  }

  apply(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    if (!ctx.training || this.frozen) {
      return tf.batchNorm4d(
        x,
        this.movingMean as tf.Tensor1D,
        this.movingVariance as tf.Tensor1D,
        this.beta as tf.Tensor1D,
        this.gamma as tf.Tensor1D,
        this.epsilon,
      );
    }
    const { y, mean, variance } = batchNormTrain(x, this.gamma as tf.Tensor1D, this.beta as tf.Tensor1D, this.epsilon);
    const n = x.size / x.shape[3];
    ctx.updates.push(() => {
      const unbiased = n > 1 ? n / (n - 1) : 1;
      const next = movingMoments(
        { mean: this.movingMean as tf.Tensor1D, variance: this.movingVariance as tf.Tensor1D },
        { mean, variance },
        BN_MOMENTUM,
        unbiased,
      );
      this.movingMean.assign(next.mean);
      this.movingVariance.assign(next.variance);
      tf.dispose([next.mean, next.variance]);
    });
    return y;
  }
}

export class Dense {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;

  constructor(
    store: ParamStore,
    readonly name: string,
    inUnits: number,
    outUnits: number,
    group: ParamGroup,
  ) {
    const shape = [inUnits, outUnits];
    this.kernel = store.create(`${name}/kernel`, shape, torchDefault(shape), group);
    this.bias = store.create(`${name}/bias`, [outUnits], torchDefault(shape), group);
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.kernel as tf.Tensor2D), this.bias);
  }
}

/** Conv → BatchNorm → optional activation, the unit every encoder is made of. */
export class ConvBn {
  readonly conv: Conv2D;
  readonly bn: BatchNorm;

  constructor(
    store: ParamStore,
    convName: string,
    bnName: string,
    inC: number,
    outC: number,
    opts: ConvOptions,
    group: ParamGroup,
    bnEpsilon = 1e-5,
    frozenBn = false,
  ) {
    this.conv = new Conv2D(store, convName, inC, outC, opts, group);
    this.bn = new BatchNorm(store, bnName, outC, group, bnEpsilon, frozenBn);
  }

  apply(x: tf.Tensor4D, ctx: ForwardContext, activation?: 'relu' | 'relu6'): tf.Tensor4D {
    const y = this.bn.apply(this.conv.apply(x), ctx);
    if (activation === 'relu') return tf.relu(y);
    if (activation === 'relu6') return tf.relu6(y);
    return y;
  }
}
