import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { loadModel, RVOSModel, saveModel, type RVOSModelConfig } from '../../src/models/index.js';
import type { MobileNetV2Encoder } from '../../src/models/encoders/mobilenet_v2.js';
import { forwardContext, untaped } from '../../src/models/nn.js';
import type { ClipBatch } from '../../src/data/batch.js';
import { gradientsInThread, stateNames } from '../../src/train/parallel/gradients.js';
import { train } from '../../src/train/trainer.js';
import { pattern, smallConfig } from './helpers.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-frozen-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function mobilenet(encoder: Partial<RVOSModelConfig['encoder']>, extra: Partial<RVOSModelConfig> = {}): RVOSModelConfig {
  return smallConfig({
    mode: 'one_shot',
    slots: 2,
    inputs: ['prev_mask', 'global_matching'],
    matching: { embeddingDim: 8, maxReference: 64 },
    encoder: { name: 'mobilenetv2', pretrained: null, ...encoder },
    ...extra,
  });
}

function batch(h = 32, w = 32): ClipBatch {
  const masks = tf.tidy(() => tf.cast(tf.greater(pattern([2, 2, h, w, 2], 3), 0.6), 'float32')) as tf.Tensor5D;
  return { frames: pattern([2, 2, h, w, 3]) as tf.Tensor5D, masks, present: tf.ones([2, 2, 2]) as tf.Tensor3D };
}

const LOSS = { slotAssignment: 'first_frame', objectnessWeight: 0, emptySlotWeight: 0, previousMask: 'gt_prev' } as const;

function snapshot(model: RVOSModel): Map<string, Float32Array> {
  return new Map([...model.namedVariables()].map(([n, v]) => [n, (v.dataSync() as Float32Array).slice()]));
}

function bitwiseEqual(a: Float32Array, b: Float32Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

describe('truncated mobilenetv2 (encoder.output_stride)', () => {
  it('stops at stride 16 or 8, repeats the deepest tap below it, and keeps the full network taps', async () => {
    const full = await RVOSModel.create(mobilenet({}));
    const s16 = await RVOSModel.create(mobilenet({ outputStride: 16 }));
    const s8 = await RVOSModel.create(mobilenet({ outputStride: 8 }));
    expect(s16.encoder.channels).toEqual([144, 192, 576, 576]);
    expect(s8.encoder.channels).toEqual([144, 192, 192, 192]);
    // Blocks past the stop have no variables (nothing to load, save or train).
    const names = (m: RVOSModel): string[] => [...m.namedVariables().keys()];
    expect(names(s16).some((n) => n.startsWith('encoder/block_13_depthwise'))).toBe(false);
    expect(names(s16).some((n) => n.startsWith('encoder/block_13_expand/'))).toBe(true);
    expect(names(s16).some((n) => n.startsWith('encoder/Conv_1'))).toBe(false);
    expect(names(s8).some((n) => n.startsWith('encoder/block_7'))).toBe(false);
    const frame = pattern([1, 96, 96, 3]) as tf.Tensor4D;
    const ctx = forwardContext(false);
    const f = full.encoder.forward(frame, ctx);
    const a = s16.encoder.forward(frame, ctx);
    const b = s8.encoder.forward(frame, ctx);
    expect(f.map((t) => t.shape)).toEqual([
      [1, 24, 24, 144],
      [1, 12, 12, 192],
      [1, 6, 6, 576],
      [1, 3, 3, 1280],
    ]);
    expect(a.map((t) => t.shape)).toEqual([
      [1, 24, 24, 144],
      [1, 12, 12, 192],
      [1, 6, 6, 576],
      [1, 6, 6, 576],
    ]);
    expect(b.map((t) => t.shape)).toEqual([
      [1, 24, 24, 144],
      [1, 12, 12, 192],
      [1, 12, 12, 192],
      [1, 12, 12, 192],
    ]);
    // Same seed, same variable names → same weights: the taps a truncated network keeps are the full one's.
    for (let i = 0; i < 3; i++) expect(bitwiseEqual(a[i]!.dataSync() as Float32Array, f[i]!.dataSync() as Float32Array)).toBe(true);
    expect(bitwiseEqual(b[1]!.dataSync() as Float32Array, f[1]!.dataSync() as Float32Array)).toBe(true);
    // The whole model runs with the repeated level (the decoder resizes to each skip's size).
    const out = s8.step(frame, tf.zeros([1, 96, 96, 2]) as tf.Tensor4D, s8.initialState());
    expect(out.logits.shape).toEqual([1, 96, 96, 2]);
    s8.disposeState(out.state);
    tf.dispose([frame, ...f, ...a, ...b, out.logits]);
    [full, s16, s8].forEach((m) => m.dispose());
  });
});

describe('frozen encoder (encoder.freeze)', () => {
  it('leaves frozen weights and statistics bitwise unchanged through training, while the trainable ones move', async () => {
    // os 8 computes Conv1, expanded_conv, block_1 … block_6 (8 units); the last 2 train.
    const model = await RVOSModel.create(mobilenet({ outputStride: 8, freeze: 2 }));
    expect((model.encoder as MobileNetV2Encoder).unitNames()).toEqual([
      'Conv1',
      'expanded_conv',
      'block_1',
      'block_2',
      'block_3',
      'block_4',
      'block_5',
      'block_6',
    ]);
    const frozen = new Set(model.frozenNames());
    expect(frozen.has('encoder/Conv1/kernel')).toBe(true);
    expect(frozen.has('encoder/block_4_project_BN/moving_mean')).toBe(true);
    expect(frozen.has('encoder/block_5_expand/kernel')).toBe(false);
    const trainableEncoder = model.encoderVariables();
    expect(trainableEncoder.length).toBeGreaterThan(0);
    // No Adam state: frozen weights are not trainable, so the trainer's groups leave them out.
    for (const name of frozen) expect(model.namedVariables().get(name)!.trainable).toBe(false);
    // Frozen weights are not batch statistics: data-parallel shards do not send them back.
    expect(stateNames(model).some((n) => frozen.has(n))).toBe(false);
    expect(stateNames(model)).toContain('encoder/block_5_expand_BN/moving_mean');
    const before = snapshot(model);
    const counts: number[] = [];
    await train(
      model,
      {
        runDir: tempDir(),
        stages: [{ name: 'one', steps: 3, previousMask: 'gt_prev' }],
        lr: 1e-2,
        encoderLr: 1e-2,
        weightDecay: 0,
        gradClip: 0,
        loss: LOSS,
        valEvery: 0,
        ckptEvery: 100,
        patience: 0,
        logEvery: 100,
        keepCheckpoints: 1,
        resume: false,
      },
      { batch: () => Promise.resolve(batch()), onStep: (info) => counts.push(info.numTensors) },
    );
    expect(counts[2]).toBe(counts[1]);
    const after = snapshot(model);
    for (const name of frozen) expect(bitwiseEqual(after.get(name)!, before.get(name)!), name).toBe(true);
    for (const name of ['encoder/block_6_expand/kernel', 'encoder/block_5_project/kernel', 'encoder/block_5_expand_BN/moving_mean', 'skip/s4_conv/kernel']) {
      expect(bitwiseEqual(after.get(name)!, before.get(name)!), name).toBe(false);
    }
    model.dispose();
  });

  it('records no frozen op on the gradient tape and computes no gradient for frozen weights', async () => {
    const tapeInputs = async (config: RVOSModelConfig): Promise<{ nodes: number; readsFrozen: boolean; grads: string[] }> => {
      const model = await RVOSModel.create(config);
      const watched = new Set(
        [...model.namedVariables()]
          .filter(([n]) => n.startsWith('encoder/') && (model.frozenNames().length === 0 || model.frozenNames().includes(n)))
          .map(([, v]) => v.id),
      );
      let nodes = 0;
      let readsFrozen = false;
      const b = batch();
      // The engine's tape as variableGrads sees it, read at the end of the loss function.
      const engine = tf.engine() as unknown as { state: { activeTape: { inputs: Record<string, tf.Tensor> }[] } };
      const spy = tf.variableGrads(() =>
        tf.tidy(() => {
          const loss = tf.sum(
            model.step(tf.squeeze(tf.slice(b.frames, [0, 0], [-1, 1]), [1]) as tf.Tensor4D, tf.zeros([2, 32, 32, 2]) as tf.Tensor4D, model.initialState(), {
              training: true,
            }).logits,
          );
          nodes = engine.state.activeTape.length;
          readsFrozen = engine.state.activeTape.some((node) => Object.values(node.inputs).some((t) => t !== undefined && watched.has(t.id)));
          return loss as tf.Scalar;
        }),
      );
      const grads = Object.keys(spy.grads);
      tf.dispose([spy.value, ...Object.values(spy.grads), b.frames, b.masks, b.present]);
      const named = new Map([...model.namedVariables()].map(([n, v]) => [v.name, n]));
      const stable = grads.map((g) => named.get(g)!);
      model.dispose();
      return { nodes, readsFrozen, grads: stable };
    };
    const fine = await tapeInputs(mobilenet({ outputStride: 16 }));
    const frozen = await tapeInputs(mobilenet({ outputStride: 16, freeze: 'all' }));
    const light = await tapeInputs(smallConfig({ mode: 'one_shot', slots: 2, encoder: { name: 'light', pretrained: null, freeze: 'all' } }));
    // Fine-tuning reads every encoder weight on the tape; frozen, the tape never sees one.
    expect(fine.readsFrozen).toBe(true);
    expect(frozen.readsFrozen).toBe(false);
    expect(light.readsFrozen).toBe(false);
    // Over 100 backbone ops fewer on the tape (13 blocks of conv, BatchNorm, relu6 …).
    expect(fine.nodes - frozen.nodes).toBeGreaterThan(100);
    expect(fine.grads.some((n) => n.startsWith('encoder/'))).toBe(true);
    expect(frozen.grads.some((n) => n.startsWith('encoder/'))).toBe(false);
    expect(light.grads.some((n) => n.startsWith('encoder/'))).toBe(false);
    expect(frozen.grads).toContain('skip/s4_conv/kernel');
  });

  it('gives the same inference outputs frozen or not, leaks no tensors, and round-trips through save / load', async () => {
    const config = mobilenet({ outputStride: 16, freeze: 3 });
    const model = await RVOSModel.create(config);
    const plain = await RVOSModel.create(mobilenet({ outputStride: 16 }));
    const frame = pattern([1, 48, 40, 3]) as tf.Tensor4D;
    const masks = tf.zeros([1, 48, 40, 2]) as tf.Tensor4D;
    const run = (m: RVOSModel): Float32Array => {
      const out = m.step(frame, masks, m.initialState());
      const v = out.logits.dataSync() as Float32Array;
      out.logits.dispose();
      m.disposeState(out.state);
      return v;
    };
    const reference = run(plain);
    const start = tf.memory().numTensors;
    const ours = run(model);
    expect(tf.memory().numTensors).toBe(start);
    expect(bitwiseEqual(ours, reference)).toBe(true);
    // A training step's gradient leaves nothing behind either.
    const b = batch();
    const gradsBefore = tf.memory().numTensors;
    const g = gradientsInThread(model, b, LOSS);
    tf.dispose([...g.gradients.values()]);
    expect(tf.memory().numTensors).toBe(gradsBefore);
    tf.dispose([b.frames, b.masks, b.present]);
    const dir = tempDir();
    await saveModel(model, dir);
    const loaded = await loadModel(dir);
    expect(loaded.config.encoder.freeze).toBe(3);
    expect(loaded.frozenNames()).toEqual(model.frozenNames());
    expect(bitwiseEqual(run(loaded), run(model))).toBe(true);
    tf.dispose([frame, masks]);
    [model, plain, loaded].forEach((m) => m.dispose());
  });

  it('untaped returns its outputs unchanged, with their shapes', () => {
    const x = pattern([2, 3, 4, 5]);
    const start = tf.memory().numTensors;
    const [a, b] = untaped((t) => [tf.mul(t, 2), tf.sum(t, [1, 2])], [x]);
    expect(a!.shape).toEqual([2, 3, 4, 5]);
    expect(b!.shape).toEqual([2, 5]);
    const expectA = tf.mul(x, 2);
    const expectB = tf.sum(x, [1, 2]);
    expect(bitwiseEqual(a!.dataSync() as Float32Array, expectA.dataSync() as Float32Array)).toBe(true);
    expect(bitwiseEqual(b!.dataSync() as Float32Array, expectB.dataSync() as Float32Array)).toBe(true);
    tf.dispose([a!, b!, expectA, expectB]);
    expect(tf.memory().numTensors).toBe(start);
    x.dispose();
  });

  it('bad freeze or output_stride values are config errors naming the key', async () => {
    await expect(RVOSModel.create(smallConfig({ encoder: { name: 'light', pretrained: null, freeze: 2 } }))).rejects.toThrow(/encoder\.freeze.*mobilenetv2/);
    await expect(RVOSModel.create(smallConfig({ encoder: { name: 'resnet18', pretrained: null, outputStride: 16 } }))).rejects.toThrow(
      /encoder\.output_stride/,
    );
    await expect(RVOSModel.create(mobilenet({ outputStride: 8, freeze: 9 }))).rejects.toThrow(/encoder\.freeze.*0 to 8/);
    await expect(RVOSModel.create(mobilenet({ freeze: 'some' as never }))).rejects.toThrow(/model\.encoder\.freeze/);
    await expect(RVOSModel.create(mobilenet({ outputStride: 4 as never }))).rejects.toThrow(/model\.encoder\.output_stride/);
  });
});
