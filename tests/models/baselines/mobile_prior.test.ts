import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createBaseline, loadBaseline, MobilePriorModel, type BaselineModelConfig } from '../../../src/models/baselines/index.js';
import { gradientsFor } from '../../../src/experiments/run/model_family.js';
import { shiftedPriors } from '../../../src/models/baselines/mobile_prior/model.js';
import { Rng } from '../../../src/utils/rng.js';
import { forwardContext } from '../../../src/models/nn.js';
import { coreOf, disposeBatch, fit, frameOf, LOSS, MOBILE_PRIOR, movingSquares, probabilities, SIZE, SLOTS } from './helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('mobile_prior', () => {
  it('maps [B,H,W,3] frames and [B,H,W,S] priors to [B,H,W,S] logits, one forward pass per object', () => {
    const model = createBaseline(MOBILE_PRIOR) as MobilePriorModel;
    const batch = movingSquares();
    const frame = tf.squeeze(tf.slice(batch.frames, [0, 0, 0, 0, 0], [-1, 1, -1, -1, -1]), [1]) as tf.Tensor4D;
    const prior = tf.squeeze(tf.slice(batch.masks, [0, 0, 0, 0, 0], [-1, 1, -1, -1, -1]), [1]) as tf.Tensor4D;
    const logits = model.forward(frame, prior, forwardContext(false));
    expect(logits.shape).toEqual([2, SIZE, SIZE, SLOTS]);
    // Each slot's output depends on its own prior only: changing slot 1's prior leaves slot 0 alone.
    const swapped = tf.concat([tf.slice(prior, [0, 0, 0, 0], [-1, -1, -1, 1]), tf.zeros([2, SIZE, SIZE, 1])], 3) as tf.Tensor4D;
    const other = model.forward(frame, swapped, forwardContext(false));
    const d0 = tf.max(tf.abs(tf.sub(tf.slice(logits, [0, 0, 0, 0], [-1, -1, -1, 1]), tf.slice(other, [0, 0, 0, 0], [-1, -1, -1, 1])))).dataSync()[0]!;
    const d1 = tf.max(tf.abs(tf.sub(tf.slice(logits, [0, 0, 0, 1], [-1, -1, -1, 1]), tf.slice(other, [0, 0, 0, 1], [-1, -1, -1, 1])))).dataSync()[0]!;
    expect(d0).toBeLessThan(1e-5);
    expect(d1).toBeGreaterThan(1e-4);
    tf.dispose([frame, prior, logits, swapped, other]);
    disposeBatch(batch);
    model.dispose();
  });

  it('gives a non-zero gradient to every trainable variable, in both ST+ stages', async () => {
    const model = createBaseline(MOBILE_PRIOR);
    const batch = movingSquares();
    const grads = gradientsFor(model)!;
    for (const previousMask of ['gt_prev', 'pred_prev'] as const) {
      const g = await grads.compute(batch, { ...LOSS, previousMask });
      const trainable = [...model.namedVariables()].filter(([, v]) => v.trainable).map(([n]) => n);
      expect([...g.gradients.keys()].sort()).toEqual([...trainable].sort());
      for (const [name, t] of g.gradients) expect(tf.max(tf.abs(t)).dataSync()[0], name).toBeGreaterThan(0);
      expect(Object.keys(g.parts).sort()).toEqual(['empty', 'mask', 'objectness']);
      expect(g.parts.objectness).toBe(0); // no objectness head
      tf.dispose([...g.gradients.values()]);
    }
    disposeBatch(batch);
    model.dispose();
  });

  it('learns: the clip loss falls on a tiny set', async () => {
    const model = createBaseline(MOBILE_PRIOR);
    const batch = movingSquares();
    const losses = await fit(model, batch, 25, 1e-2);
    expect(losses.at(-1)!).toBeLessThan(0.7 * losses[0]!);
    disposeBatch(batch);
    model.dispose();
  });

  it('saves and loads exactly (config with its family, weights, outputs)', async () => {
    const model = createBaseline(MOBILE_PRIOR);
    const batch = movingSquares();
    await fit(model, batch, 2); // moves weights and BatchNorm statistics off their initial values
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mp-'));
    dirs.push(dir);
    await model.save(dir);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).family).toBe('mobile_prior');
    const loaded = loadBaseline(dir);
    for (const [name, v] of model.namedVariables()) {
      expect(Array.from(loaded.namedVariables().get(name)!.dataSync()), name).toEqual(Array.from(v.dataSync()));
    }
    const run = (m: typeof model) => {
      const core = coreOf(m);
      const f0 = frameOf(batch.frames, 0);
      const m0 = frameOf(batch.masks, 0);
      core.step(f0, { ids: [1, 2], masks: m0 }).logits.dispose();
      const f1 = frameOf(batch.frames, 1);
      const out = probabilities(core.step(f1));
      tf.dispose([f0, m0, f1]);
      core.dispose();
      return out;
    };
    expect(run(loaded)).toEqual(run(model));
    loaded.dispose();
    disposeBatch(batch);
    model.dispose();
  });

  it('loads a model folder saved when previousMask was called priorInput, with the feed it was saved with', async () => {
    const base = MOBILE_PRIOR as Extract<BaselineModelConfig, { family: 'mobile_prior' }>;
    const model = createBaseline({ ...base, mobilePrior: { ...base.mobilePrior, previousMask: 'soft' } });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mp-'));
    dirs.push(dir);
    await model.save(dir);
    const file = path.join(dir, 'config.json');
    const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
    const { previousMask, ...rest } = saved.mobilePrior;
    fs.writeFileSync(file, JSON.stringify({ ...saved, mobilePrior: { ...rest, priorInput: previousMask } }));
    const loaded = loadBaseline(dir) as MobilePriorModel;
    expect(loaded.predictionFeed).toBe('soft');
    loaded.dispose();
    model.dispose();
  });

  it('leaks no tensors across training steps and tracked frames', async () => {
    const model = createBaseline(MOBILE_PRIOR);
    const batch = movingSquares();
    await fit(model, batch, 1);
    const before = tf.memory().numTensors;
    await fit(model, batch, 2);
    expect(tf.memory().numTensors).toBe(before);
    const core = coreOf(model);
    const m0 = frameOf(batch.masks, 0);
    const frames = [0, 1, 2, 3].map((t) => frameOf(batch.frames, t));
    core.step(frames[0]!, { ids: [1], masks: m0 }).logits.dispose();
    core.step(frames[1]!).logits.dispose();
    const during = tf.memory().numTensors;
    for (const f of frames.slice(2)) core.step(f).logits.dispose();
    expect(tf.memory().numTensors).toBe(during);
    core.dispose();
    tf.dispose([m0, ...frames]);
    expect(tf.memory().numTensors).toBe(before);
    disposeBatch(batch);
    model.dispose();
  });

  it('in the core: slots never given do not run and are not reported; given ones equal the all-slot forward pass', () => {
    const model = createBaseline(MOBILE_PRIOR) as MobilePriorModel;
    const batch = movingSquares();
    const core = coreOf(model);
    const f0 = frameOf(batch.frames, 0);
    const m0 = frameOf(batch.masks, 0);
    const forward = vi.spyOn(model, 'forward');
    const out = core.step(f0, { ids: [2], masks: m0 });
    // One object given: the network runs on that object's prior only.
    expect(forward).toHaveBeenCalledTimes(1);
    expect(forward.mock.calls[0]![1].shape).toEqual([1, SIZE, SIZE, 1]);
    forward.mockRestore();
    expect(out.keep).toEqual([false, true]);
    const p = tf.sigmoid(out.logits);
    out.logits.dispose();
    const slot0 = tf.max(tf.slice(p, [0, 0, 0, 0], [-1, -1, -1, 1])).dataSync()[0]!;
    expect(slot0).toBeLessThan(1e-5);
    // Slot 1 as if every slot ran: the given mask in slot 1, an empty prior in slot 0.
    const prior = tf.concat([tf.zeros([1, SIZE, SIZE, 1]), tf.slice(m0, [0, 0, 0, 1], [-1, -1, -1, 1])], 3) as tf.Tensor4D;
    const all = tf.sigmoid(model.forward(f0, prior, forwardContext(false)));
    const slot1 = tf.slice(p, [0, 0, 0, 1], [-1, -1, -1, 1]);
    expect(tf.max(slot1).dataSync()[0]).toBeGreaterThan(0);
    expect(tf.max(tf.abs(tf.sub(slot1, tf.slice(all, [0, 0, 0, 1], [-1, -1, -1, 1])))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([f0, m0, p, prior, all, slot1]);
    core.dispose();
    disposeBatch(batch);
    model.dispose();
  });

  it('shiftedPriors: each object mask moves by its own whole-pixel shift within the reach; 0 keeps the mask', () => {
    const [b, h, w, s] = [2, 16, 16, 3];
    const square = tf.buffer([b, h, w, s]);
    for (let n = 0; n < b; n++) for (let c = 0; c < s; c++) for (let y = 6; y < 10; y++) for (let x = 6; x < 10; x++) square.set(1, n, y, x, c);
    const masks = square.toTensor() as tf.Tensor4D;
    expect(shiftedPriors(masks, 0, new Rng(1))).toBe(masks);
    const moved = shiftedPriors(masks, 0.25, new Rng(1)); // reach 4 px: the square stays inside
    const again = shiftedPriors(masks, 0.25, new Rng(1));
    expect(Array.from(again.dataSync())).toEqual(Array.from(moved.dataSync()));
    const values = moved.arraySync();
    const shifts = new Set<string>();
    for (let n = 0; n < b; n++) {
      for (let c = 0; c < s; c++) {
        const on: [number, number][] = [];
        for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (values[n]![y]![x]![c] === 1) on.push([y, x]);
        expect(on).toHaveLength(16); // the whole square, moved
        const [y0, x0] = on[0]!;
        expect(Math.abs(y0 - 6)).toBeLessThanOrEqual(4);
        expect(Math.abs(x0 - 6)).toBeLessThanOrEqual(4);
        expect(on.every(([y, x]) => y >= y0 && y < y0 + 4 && x >= x0 && x < x0 + 4)).toBe(true);
        shifts.add(`${y0 - 6},${x0 - 6}`);
      }
    }
    expect(shifts.size).toBeGreaterThan(1); // per object, not one shift for all
    tf.dispose([masks, moved, again]);
  });

  it('dense_stride 1 keeps the parameters and gives full-resolution logits; the core feeds back as previous_mask says, from frame 2 on', () => {
    const half = createBaseline(MOBILE_PRIOR) as MobilePriorModel;
    const options = (MOBILE_PRIOR as Extract<BaselineModelConfig, { family: 'mobile_prior' }>).mobilePrior;
    const config: BaselineModelConfig = {
      family: 'mobile_prior',
      slots: MOBILE_PRIOR.slots,
      seed: MOBILE_PRIOR.seed,
      mobilePrior: { ...options, denseStride: 1, previousMask: 'soft' },
    };
    const full = createBaseline(config) as MobilePriorModel;
    expect([...full.namedVariables().keys()]).toEqual([...half.namedVariables().keys()]);
    const batch = movingSquares();
    const f0 = frameOf(batch.frames, 0);
    const m0 = frameOf(batch.masks, 0);
    const f1 = frameOf(batch.frames, 1);
    const f2 = frameOf(batch.frames, 2);
    // Half resolution: logits upsampled bilinearly, so neighbouring columns 2k+1, 2k+2 interpolate
    // between the same two values; at full resolution nothing ties them.
    const wiggle = (m: MobilePriorModel) =>
      tf.tidy(() => {
        const l = m.forward(f0, m0, forwardContext(false));
        const a = tf.slice(l, [0, 0, 1, 0], [-1, -1, SIZE - 3, -1]);
        const b = tf.slice(l, [0, 0, 2, 0], [-1, -1, SIZE - 3, -1]);
        const c = tf.slice(l, [0, 0, 3, 0], [-1, -1, SIZE - 3, -1]);
        // Second difference: 0 on a straight line (bilinear between samples), not in general.
        return tf.max(tf.abs(tf.add(tf.sub(a, tf.mul(b, 2)), c))).dataSync()[0]!;
      });
    expect(wiggle(full)).toBeGreaterThan(wiggle(half));
    /** The priors the network sees at frames 0, 1, 2 (threshold: eval.threshold of the binary feed). */
    const priorsOf = (m: MobilePriorModel, threshold = 0.5) => {
      const core = coreOf(m, threshold);
      const priors: number[][] = [];
      const run = m.forward.bind(m);
      const forward = vi.spyOn(m, 'forward').mockImplementation((frame, p, ctx) => {
        priors.push(Array.from(p.dataSync()));
        return run(frame, p, ctx);
      });
      core.step(f0, { ids: [1, 2], masks: m0 }).logits.dispose();
      const out1 = core.step(f1);
      const p1 = probabilities(out1);
      core.step(f2).logits.dispose();
      forward.mockRestore();
      core.dispose();
      return { priors, p1 };
    };
    const soft = priorsOf(full);
    // Frames 0 and 1: the given masks; frame 2: frame 1's probabilities (soft).
    expect(soft.priors[1]).toEqual(Array.from(m0.dataSync()));
    expect(soft.priors[0]).toEqual(soft.priors[1]);
    expect(soft.priors[2]!.some((v) => v > 0 && v < 1 && Math.abs(v - 0.5) < 0.49)).toBe(true);
    expect(soft.priors[2]!.map((v, i) => Math.abs(v - soft.p1[i]!)).every((d) => d < 1e-6)).toBe(true);
    // Binary (the default previous_mask): frame 1's probabilities thresholded at eval.threshold.
    const fed = [0.3, 0.7].map((threshold) => {
      const binary = priorsOf(half, threshold);
      expect(binary.priors[2]).toEqual(binary.p1.map((p) => (p > threshold ? 1 : 0)));
      return binary.priors[2];
    });
    expect(fed[0]).not.toEqual(fed[1]); // the threshold is eval's, not a fixed one
    tf.dispose([f0, m0, f1, f2]);
    disposeBatch(batch);
    half.dispose();
    full.dispose();
  });
});
