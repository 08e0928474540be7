import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Adam, clipByGlobalNorm } from '../../src/train/adam.js';

/** Adam with L2 weight decay on one scalar, by hand (PyTorch's update rule). */
function adamByHand(w0: number, grads: number[], lr: number, wd: number): number {
  let w = w0, m = 0, v = 0;
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
    const opt = new Adam([{ variables: new Map([['a', a]]), lr: 0.1 }, { variables: new Map([['b', b]]), lr: 0.01 }], { weightDecay: 0.05 });
    const ga = [0.3, -0.2, 0.7];
    const gb = [1.0, 0.5, -0.25];
    for (let i = 0; i < 3; i++) {
      opt.apply(new Map([['a', tf.tensor1d([ga[i]!])], ['b', tf.tensor1d([gb[i]!])]]));
    }
    expect(a.dataSync()[0]).toBeCloseTo(adamByHand(0.5, ga, 0.1, 0.05), 5);
    expect(b.dataSync()[0]).toBeCloseTo(adamByHand(-1.2, gb, 0.01, 0.05), 5);
  });

  it('continues identically after getState → setState into a fresh optimiser', () => {
    const make = () => tf.variable(tf.tensor1d([0.1, -0.4]));
    const grads = [[0.2, 0.1], [-0.3, 0.4], [0.05, -0.6], [0.9, 0.2]];
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
    const grads = new Map<string, tf.Tensor>([['a', tf.tensor1d([3, 0])], ['b', tf.tensor1d([0, 4])]]);
    expect(clipByGlobalNorm(grads, 1)).toBeCloseTo(5, 5);
    const total = Math.hypot(...grads.get('a')!.dataSync(), ...grads.get('b')!.dataSync());
    expect(total).toBeCloseTo(1, 4);
  });
});
