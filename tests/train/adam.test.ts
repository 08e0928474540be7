import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { ADAM_UPDATE, SUM_OF_SQUARES } from '../../src/backend/fused_kernels/adam_update.js';
import { hasFusedKernel } from '../../src/backend/fused_kernels/index.js';
import { Adam, clipByGlobalNorm } from '../../src/train/adam.js';
import { Rng } from '../../src/utils/rng.js';

/** Adam with L2 weight decay on one scalar, by hand (PyTorch's update rule). */
function adamByHand(w0: number, grads: number[], lr: number, wd: number): number {
  let w = w0,
    m = 0,
    v = 0;
  grads.forEach((g0, i) => {
    const t = i + 1;
    const g = g0 + wd * w;
    m = 0.9 * m + 0.1 * g;
    v = 0.999 * v + 0.001 * g * g;
    w -= (lr * (m / (1 - 0.9 ** t))) / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-8);
  });
  return w;
}

describe('Adam', () => {
  it('matches the hand-computed update with weight decay and per-group learning rates', () => {
    const a = tf.variable(tf.tensor1d([0.5]));
    const b = tf.variable(tf.tensor1d([-1.2]));
    const opt = new Adam(
      [
        { variables: new Map([['a', a]]), lr: 0.1 },
        { variables: new Map([['b', b]]), lr: 0.01 },
      ],
      { weightDecay: 0.05 },
    );
    const ga = [0.3, -0.2, 0.7];
    const gb = [1.0, 0.5, -0.25];
    for (let i = 0; i < 3; i++) {
      opt.apply(
        new Map([
          ['a', tf.tensor1d([ga[i]!])],
          ['b', tf.tensor1d([gb[i]!])],
        ]),
      );
    }
    expect(a.dataSync()[0]).toBeCloseTo(adamByHand(0.5, ga, 0.1, 0.05), 5);
    expect(b.dataSync()[0]).toBeCloseTo(adamByHand(-1.2, gb, 0.01, 0.05), 5);
  });

  it('continues identically after getState → setState into a fresh optimiser', () => {
    const make = () => tf.variable(tf.tensor1d([0.1, -0.4]));
    const grads = [
      [0.2, 0.1],
      [-0.3, 0.4],
      [0.05, -0.6],
      [0.9, 0.2],
    ];
    const w1 = make();
    const o1 = new Adam([{ variables: new Map([['w', w1]]), lr: 0.05 }]);
    grads.forEach((g) => o1.apply(new Map([['w', tf.tensor1d(g)]])));
    const w2 = make();
    const o2 = new Adam([{ variables: new Map([['w', w2]]), lr: 0.05 }]);
    grads.slice(0, 2).forEach((g) => o2.apply(new Map([['w', tf.tensor1d(g)]])));
    const o3 = new Adam([{ variables: new Map([['w', w2]]), lr: 0.05 }]);
    o3.setState(o2.getState());
    grads.slice(2).forEach((g) => o3.apply(new Map([['w', tf.tensor1d(g)]])));
    expect(Array.from(w2.dataSync())).toEqual(Array.from(w1.dataSync()));
    expect(o3.iterations).toBe(4);
  });

  it('keeps the tensor count flat across steps', () => {
    const w = tf.variable(tf.randomNormal([3, 3]));
    const opt = new Adam([{ variables: new Map([['w', w]]), lr: 0.01 }], { weightDecay: 1e-6 });
    const counts: number[] = [];
    for (let i = 0; i < 4; i++) {
      const g = tf.randomNormal([3, 3]);
      opt.apply(new Map([['w', g]]));
      g.dispose();
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts.slice(1)).size).toBe(1);
  });

  it('clipByGlobalNorm scales to the max norm and reports the original norm', () => {
    const grads = new Map<string, tf.Tensor>([
      ['a', tf.tensor1d([3, 0])],
      ['b', tf.tensor1d([0, 4])],
    ]);
    expect(clipByGlobalNorm(grads, 1)).toBeCloseTo(5, 5);
    const total = Math.hypot(...grads.get('a')!.dataSync(), ...grads.get('b')!.dataSync());
    expect(total).toBeCloseTo(1, 4);
  });
});

/** The update as separate ops (Adam.apply before the fused kernel), for one variable. */
class AdamByOps {
  private m: tf.Tensor | null = null;
  private v: tf.Tensor | null = null;
  private t = 0;
  constructor(
    private readonly lr: number,
    private readonly weightDecay: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = 1e-8,
  ) {}

  apply(variable: tf.Variable, grad: tf.Tensor): void {
    this.t++;
    const correction1 = 1 - this.beta1 ** this.t;
    const correction2 = 1 - this.beta2 ** this.t;
    const [m, v] = tf.tidy(() => {
      const g = this.weightDecay > 0 ? tf.add(grad, tf.mul(variable, this.weightDecay)) : grad;
      const mPrev = this.m ?? tf.zerosLike(variable);
      const vPrev = this.v ?? tf.zerosLike(variable);
      const mNext = tf.add(tf.mul(mPrev, this.beta1), tf.mul(g, 1 - this.beta1));
      const vNext = tf.add(tf.mul(vPrev, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
      const denom = tf.add(tf.sqrt(tf.div(vNext, correction2)), this.epsilon);
      variable.assign(tf.sub(variable, tf.mul(tf.div(mNext, denom), this.lr / correction1)));
      return [mNext, vNext];
    });
    tf.dispose([this.m ?? [], this.v ?? []]);
    this.m = m!;
    this.v = v!;
  }

  dispose(): void {
    tf.dispose([this.m ?? [], this.v ?? []]);
  }
}

describe.each(['wasm', 'cpu'] as const)('fused Adam kernels on %s', (backend) => {
  afterAll(async () => {
    await tf.setBackend('wasm');
  });

  it.each([0, 1e-2])('update equals the op sequence bit for bit (weight decay %s)', async (weightDecay) => {
    await tf.setBackend(backend);
    expect(hasFusedKernel(ADAM_UPDATE)).toBe(true);
    const rng = new Rng(17);
    // A small variable (fused kernel) and a large one (the op sequence without the addon, its C++
    // fused update with it) in the same optimiser, against the op sequence.
    const shapes = [
      [20, 15],
      [80, 70],
    ];
    const inits = shapes.map(([r, c]) => Float32Array.from({ length: r! * c! }, () => rng.uniform(-2, 2)));
    const fusedVars = inits.map((v, i) => tf.variable(tf.tensor2d(v, shapes[i] as [number, number])));
    const opsVars = inits.map((v, i) => tf.variable(tf.tensor2d(v, shapes[i] as [number, number])));
    const fused = new Adam([{ variables: new Map(fusedVars.map((v, i) => [`w${i}`, v])), lr: 3e-3 }], { weightDecay });
    const byOps = opsVars.map(() => new AdamByOps(3e-3, weightDecay));
    const before = tf.memory().numTensors;
    for (let step = 0; step < 5; step++) {
      // Gradients of very different sizes, some exactly zero.
      const grads = shapes.map(([r, c]) =>
        tf.tensor2d(
          Float32Array.from({ length: r! * c! }, (_, i) => (i % 7 === 0 ? 0 : rng.uniform(-1, 1) * 10 ** ((i % 5) - 2))),
          [r!, c!],
        ),
      );
      fused.apply(new Map(grads.map((g, i) => [`w${i}`, g])));
      byOps.forEach((o, i) => o.apply(opsVars[i]!, grads[i]!));
      tf.dispose(grads);
      fusedVars.forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(Array.from(opsVars[i]!.dataSync())));
    }
    const state = fused.getState().moments.get('w0')!;
    expect(state.m.some((v) => v !== 0)).toBe(true);
    fused.dispose();
    byOps.forEach((o) => o.dispose());
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...fusedVars, ...opsVars]);
  });

  it('global norm equals the op sequence within float rounding', async () => {
    await tf.setBackend(backend);
    expect(hasFusedKernel(SUM_OF_SQUARES)).toBe(true);
    const rng = new Rng(5);
    const grads = new Map<string, tf.Tensor>(
      [[3, 4], [7], [2, 2, 5]].map((shape, k) => [
        `g${k}`,
        tf.tensor(
          Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-3, 3)),
          shape,
        ),
      ]),
    );
    const expected = tf.tidy(() => tf.sqrt(tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g))))).dataSync()[0]!);
    const before = tf.memory().numTensors;
    const norm = clipByGlobalNorm(grads, 1e9);
    expect(tf.memory().numTensors).toBe(before);
    expect(Math.abs(norm - expected) / expected).toBeLessThan(1e-6);
    tf.dispose([...grads.values()]);
  });
});
