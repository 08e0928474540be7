import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, RVOSModel, saveModel, type DecoderInput, type RVOSModelConfig } from '../../src/models/index.js';
import { maxAbsDiff, pattern, smallConfig } from './helpers.js';

const H = 32;
const W = 48;

/** Steps `frames` from the initial state; `masks[t]` is frame t's prevMasks. Returns logits per frame. */
function run(model: RVOSModel, frames: tf.Tensor4D[], masks: (tf.Tensor4D | null)[]): tf.Tensor4D[] {
  let state = model.initialState();
  const out: tf.Tensor4D[] = [];
  frames.forEach((f, t) => {
    const step = model.step(f, masks[t] ?? null, state);
    model.disposeState(state);
    state = step.state;
    out.push(step.logits);
    step.objectness?.dispose();
  });
  model.disposeState(state);
  return out;
}

/** Binary masks with a block of slot s at a position depending on `shift`. */
function blockMasks(slots: number, shift: number): tf.Tensor4D {
  const v = new Float32Array(H * W * slots);
  for (let s = 0; s < slots; s++) {
    for (let y = 4 + 6 * s; y < 14 + 6 * s; y++) for (let x = 4 + shift + 8 * s; x < 20 + shift + 8 * s; x++) v[(y * W + x) * slots + s] = 1;
  }
  return tf.tensor4d(v, [1, H, W, slots]);
}

const config = (mode: RVOSModelConfig['mode'], inputs: DecoderInput[], extra: Partial<RVOSModelConfig> = {}): RVOSModelConfig =>
  smallConfig({ mode, inputs, matching: { embeddingDim: 8 }, ...extra });

describe('RVOSModel matching inputs', () => {
  for (const mode of ['zero_shot', 'one_shot'] as const) {
    for (const inputs of [['prev_mask', 'global_matching'], ['local_matching'], ['prev_mask', 'global_matching', 'local_matching']] as DecoderInput[][]) {
      it(`${mode} [${inputs}]: logits [B,H,W,S], finite, references kept in the state, no tensor leaks`, async () => {
        const model = await RVOSModel.create(config(mode, inputs));
        const frames = [0, 1, 2].map((p) => pattern([2, H, W, 3], p) as tf.Tensor4D);
        const masks = mode === 'one_shot' ? [tf.concat([blockMasks(3, 0), blockMasks(3, 2)]) as tf.Tensor4D] : [];
        const before = tf.memory().numTensors;
        let state = model.initialState();
        for (const f of frames) {
          const step = model.step(f, masks[0] ?? null, state);
          model.disposeState(state);
          state = step.state;
          expect(step.logits.shape).toEqual([2, H, W, 3]);
          expect(step.logits.dataSync().every(Number.isFinite)).toBe(true);
          expect(state.matching!.global === null).toBe(!inputs.includes('global_matching'));
          expect(state.matching!.previous === null).toBe(!inputs.includes('local_matching'));
          tf.dispose([step.logits, step.objectness ?? []].flat());
        }
        model.disposeState(state);
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose([...frames, ...masks]);
        model.dispose();
      });
    }
  }

  it('one-shot global matching remembers the frame-0 masks (S recurrence: nothing else carries them)', async () => {
    const model = await RVOSModel.create(config('one_shot', ['global_matching'], { recurrence: 'S' }));
    const frames = [0, 1, 2].map((p) => pattern([1, H, W, 3], p) as tf.Tensor4D);
    const [a0, b0, later] = [blockMasks(3, 0), blockMasks(3, 10), blockMasks(3, 4)];
    const a = run(model, frames, [a0, later, later]);
    const b = run(model, frames, [b0, later, later]);
    expect(maxAbsDiff(a[2]!, b[2]!)).toBeGreaterThan(1e-4);
    // Without matching inputs the S model's frame 2 cannot see frame 0.
    const plain = await RVOSModel.create(config('one_shot', ['prev_mask'], { recurrence: 'S' }));
    const pa = run(plain, frames, [a0, later, later]);
    const pb = run(plain, frames, [b0, later, later]);
    expect(maxAbsDiff(pa[2]!, pb[2]!)).toBe(0);
    tf.dispose([...frames, a0, b0, later, ...a, ...b, ...pa, ...pb]);
    model.dispose();
    plain.dispose();
  });

  it('one-shot without prev_mask ignores the mask channel but still needs prevMasks for matching references', async () => {
    const model = await RVOSModel.create(config('one_shot', []));
    const f = pattern([1, H, W, 3]) as tf.Tensor4D;
    const [m1, m2] = [blockMasks(3, 0), blockMasks(3, 10)];
    const [a] = run(model, [f], [m1]);
    const [b] = run(model, [f], [m2]);
    expect(maxAbsDiff(a!, b!)).toBe(0);
    expect(() => model.step(f, null, model.initialState())).toThrow(/prevMasks/);
    tf.dispose([f, m1, m2, a!, b!]);
    model.dispose();
  });

  it("zero-shot local matching uses the previous frame's own prediction (S recurrence: nothing else carries it)", async () => {
    const model = await RVOSModel.create(config('zero_shot', ['local_matching'], { recurrence: 'S' }));
    const [x, y, z] = [0, 3, 5].map((p) => pattern([1, H, W, 3], p) as tf.Tensor4D);
    const a = run(model, [x!, z!], []);
    const b = run(model, [y!, z!], []);
    // Frame 0 has no reference: all-ones maps, so nothing but the frame itself matters there.
    expect(maxAbsDiff(a[1]!, b[1]!)).toBeGreaterThan(0);
    tf.dispose([x!, y!, z!, ...a, ...b]);
    model.dispose();
  });

  it('rejects unknown inputs with a ConfigError naming model.inputs', async () => {
    await expect(RVOSModel.create(smallConfig({ inputs: ['optical_flow' as DecoderInput] }))).rejects.toThrow(/model\.inputs/);
    await expect(RVOSModel.create(smallConfig({ inputs: ['local_matching', 'local_matching'] }))).rejects.toThrow(/repeat/);
  });

  it('saves and reloads with its inputs (same outputs)', async () => {
    const model = await RVOSModel.create(config('one_shot', ['prev_mask', 'global_matching', 'local_matching']));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-matching-'));
    await saveModel(model, dir);
    const loaded = await loadModel(dir);
    expect(loaded.config.inputs).toEqual(['prev_mask', 'global_matching', 'local_matching']);
    const frames = [0, 1].map((p) => pattern([1, H, W, 3], p) as tf.Tensor4D);
    const m = blockMasks(3, 2);
    const a = run(model, frames, [m, m]);
    const b = run(loaded, frames, [m, m]);
    expect(maxAbsDiff(a[1]!, b[1]!)).toBe(0);
    tf.dispose([...frames, m, ...a, ...b]);
    model.dispose();
    loaded.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('local matching radius', () => {
  it("'auto' (the default) runs FEELVOS's radius scaled to the map: here 8x12 maps, radius 1, not 15", async () => {
    // One-shot, two frames: frame 1's local map matches against frame 0's masks.
    const run = async (localRadius: number | 'auto'): Promise<Float32Array> => {
      const model = await RVOSModel.create(
        smallConfig({ mode: 'one_shot', inputs: ['prev_mask', 'local_matching'], matching: { embeddingDim: 8, localRadius }, seed: 4 }),
      );
      const masks = blockMasks(3, 0);
      const frames = [0, 1].map((p) => pattern([1, H, W, 3], p) as tf.Tensor4D);
      const a = model.step(frames[0]!, masks, model.initialState());
      const b = model.step(frames[1]!, blockMasks(3, 6), a.state);
      const out = b.logits.dataSync() as Float32Array;
      model.disposeState(a.state);
      model.disposeState(b.state);
      tf.dispose([a.logits, b.logits, a.objectness ?? [], b.objectness ?? [], masks, ...frames].flat());
      model.dispose();
      return out;
    };
    const auto = await run('auto');
    expect(Array.from(auto)).toEqual(Array.from(await run(1)));
    expect(Array.from(auto)).not.toEqual(Array.from(await run(15)));
  });
});

describe('RVOSModel matching gradients', () => {
  const NEEDED = [
    'Conv2DBackpropFilter',
    'Conv2DBackpropInput',
    'DepthwiseConv2dNativeBackpropFilter',
    'DepthwiseConv2dNativeBackpropInput',
    'ResizeBilinearGrad',
    'MaxPoolGrad',
  ];
  let previous = '';
  beforeAll(async () => {
    previous = tf.getBackend();
    if (NEEDED.some((k) => tf.getKernel(k, previous) === undefined)) await tf.setBackend('cpu');
  });
  afterAll(async () => {
    if (tf.getBackend() !== previous) await tf.setBackend(previous);
  });

  for (const mode of ['one_shot', 'zero_shot'] as const) {
    it(`${mode}: the embedding head learns through the decoder loss (finite, non-zero gradients)`, async () => {
      const model = await RVOSModel.create(config(mode, ['global_matching', 'local_matching'], { recurrence: 'ST' }));
      const frames = [0, 1, 2].map((p) => pattern([1, H, W, 3], p) as tf.Tensor4D);
      const targets = [blockMasks(3, 0), blockMasks(3, 2), blockMasks(3, 4)];
      const embedding = [...model.namedVariables()].filter(([n]) => n.startsWith('matching/')).map(([, v]) => v);
      expect(embedding.length).toBe(2);
      const { grads, value } = tf.variableGrads(() => {
        let state = model.initialState();
        let loss = tf.scalar(0);
        for (let t = 0; t < frames.length; t++) {
          const out = model.step(frames[t]!, mode === 'one_shot' ? (t === 0 ? targets[0]! : targets[t - 1]!) : null, state, { training: true });
          state = out.state;
          loss = tf.add(loss, tf.mean(tf.abs(tf.sub(tf.sigmoid(out.logits), targets[t]!))));
        }
        return loss as tf.Scalar;
      }, embedding);
      for (const v of embedding) {
        const g = grads[v.name]!.dataSync();
        expect(Array.from(g).every(Number.isFinite)).toBe(true);
        expect(Array.from(g).some((x) => Math.abs(x) > 1e-9)).toBe(true);
      }
      tf.dispose([value, ...Object.values(grads), ...frames, ...targets]);
      model.dispose();
    });
  }
});
