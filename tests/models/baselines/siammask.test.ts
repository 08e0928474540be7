import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { createBaseline, depthwiseXCorr, loadBaseline, SiamMaskModel } from '../../../src/models/baselines/index.js';
import { gradientsFor } from '../../../src/experiments/run/model_family.js';
import { contextSide, cropImages, maskBox, responseSize, squareCrop } from '../../../src/models/baselines/siammask/geometry.js';
import { forwardContext } from '../../../src/models/nn.js';
import { coreOf, disposeBatch, fit, frameOf, LOSS, movingSquares, probabilities, SIAMMASK, SLOTS } from './helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('siammask geometry', () => {
  it('depthwise cross-correlation equals the per-item, per-channel sliding dot product', () => {
    const search = tf.tensor4d(
      Array.from({ length: 2 * 5 * 5 * 3 }, (_, i) => Math.sin(i)),
      [2, 5, 5, 3],
    );
    const kernel = tf.tensor4d(
      Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => Math.cos(i)),
      [2, 2, 2, 3],
    );
    const out = depthwiseXCorr(search, kernel);
    expect(out.shape).toEqual([2, 4, 4, 3]);
    const s = search.arraySync();
    const k = kernel.arraySync();
    const o = out.arraySync();
    for (let n = 0; n < 2; n++)
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < 4; j++)
          for (let c = 0; c < 3; c++) {
            let want = 0;
            for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) want += s[n]![i + a]![j + b]![c]! * k[n]![a]![b]![c]!;
            expect(o[n]![i]![j]![c]!).toBeCloseTo(want, 4);
          }
    tf.dispose([search, kernel, out]);
  });

  it('a crop of the whole frame at its own size returns the frame; boxes and context follow SiamFC', () => {
    const img = tf.tensor4d(
      Array.from({ length: 8 * 8 }, (_, i) => i),
      [1, 8, 8, 1],
    );
    const same = cropImages(img, [squareCrop(4, 4, 8)], [0], 8);
    expect(Array.from(same.dataSync())).toEqual(Array.from(img.dataSync()).map((v) => expect.closeTo(v, 4)));
    const half = cropImages(img, [{ x0: 4, y0: 0, side: 4 }], [0], 4);
    expect(Array.from(half.dataSync()).slice(0, 4)).toEqual([4, 5, 6, 7].map((v) => expect.closeTo(v, 4)));
    tf.dispose([img, same, half]);
    const mask = new Float32Array(6 * 6);
    for (const [y, x] of [
      [1, 2],
      [3, 4],
    ])
      mask[y! * 6 + x!] = 1;
    expect(maskBox(mask, 6, 6)).toEqual({ cx: 3.5, cy: 2.5, w: 3, h: 3 });
    expect(maskBox(new Float32Array(36), 6, 6)).toBeNull();
    expect(contextSide({ cx: 0, cy: 0, w: 10, h: 10 })).toBeCloseTo(20);
    expect(responseSize(32)).toBe(9); // 127/255 → 17 in the paper; 32/64 here → 9
  });
});

describe('siammask', () => {
  it('heads have the response-map shapes and the refine module returns a template-sized mask', () => {
    const model = createBaseline(SIAMMASK) as SiamMaskModel;
    const T = 16;
    const R = responseSize(T);
    const ctx = forwardContext(false);
    const kernel = model.net.templateKernel(tf.zeros([3, T, T, 3]), ctx);
    expect(kernel.shape).toEqual([3, T / 4 - 2, T / 4 - 2, 8]);
    const out = model.net.search(tf.zeros([3, 2 * T, 2 * T, 3]), kernel, ctx);
    expect(out.score.shape).toEqual([3, R, R, 1]);
    expect(out.box.shape).toEqual([3, R, R, 4]);
    expect(out.mask.shape).toEqual([3, R, R, 64]);
    const refined = model.net.refine(
      out,
      [
        [0, 0],
        [R - 1, R - 1],
        [2, 1],
      ],
      ctx,
    );
    expect(refined.shape).toEqual([3, T, T, 1]);
    expect(() =>
      model.net.refine(
        out,
        [
          [R, 0],
          [0, 0],
          [0, 0],
        ],
        ctx,
      ),
    ).toThrow(/outside/);
    tf.dispose([kernel, refined, out.score, out.box, out.mask, out.features2, out.pixels]);
    model.dispose();
  });

  it('gives a non-zero gradient to every trainable variable (backbone, adjusts, three heads, refine)', async () => {
    const model = createBaseline(SIAMMASK);
    const batch = movingSquares(2, 3, 48);
    const g = await gradientsFor(model)!.compute(batch, LOSS);
    const trainable = [...model.namedVariables()].filter(([, v]) => v.trainable).map(([n]) => n);
    expect([...g.gradients.keys()].sort()).toEqual([...trainable].sort());
    for (const [name, t] of g.gradients) expect(tf.max(tf.abs(t)).dataSync()[0], name).toBeGreaterThan(0);
    expect(Object.keys(g.parts).sort()).toEqual(['box', 'mask', 'score']);
    tf.dispose([...g.gradients.values()]);
    disposeBatch(batch);
    model.dispose();
  });

  it('learns: the loss falls on a tiny set, and the same batch gives the same loss (jitter seeded by the batch)', async () => {
    const model = createBaseline(SIAMMASK);
    const batch = movingSquares(2, 3, 48);
    const grads = gradientsFor(model)!;
    const [a, b] = [await grads.compute(batch, LOSS), await grads.compute(batch, LOSS)];
    expect(a.loss).toBe(b.loss);
    tf.dispose([...a.gradients.values(), ...b.gradients.values()]);
    const losses = await fit(model, batch, 25, 1e-2);
    expect(losses.at(-1)!).toBeLessThan(0.7 * losses[0]!);
    disposeBatch(batch);
    model.dispose();
  });

  it('saves and loads exactly; tracking leaks no tensors and outputs only given objects', async () => {
    const model = createBaseline(SIAMMASK);
    const batch = movingSquares(1, 4, 48);
    await fit(model, batch, 2);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sm-'));
    dirs.push(dir);
    await model.save(dir);
    const loaded = loadBaseline(dir);
    expect(loaded.config).toEqual(model.config);
    const track = (m: typeof model) => {
      const core = coreOf(m);
      const m0 = frameOf(batch.masks, 0);
      const frames = [0, 1, 2, 3].map((t) => frameOf(batch.frames, t));
      const first = core.step(frames[0]!, { ids: [2], masks: m0 });
      expect(first.keep).toEqual([false, true]);
      // Frame 0 of a given object is its given mask.
      expect(
        probabilities(first)
          .filter((_, i) => i % SLOTS === 1)
          .map(Math.round),
      ).toEqual(Array.from(m0.dataSync()).filter((_, i) => i % SLOTS === 1));
      core.step(frames[1]!).logits.dispose();
      const before = tf.memory().numTensors;
      const outs: number[][] = [];
      for (const f of frames.slice(2)) {
        const v = probabilities(core.step(f));
        expect(v.filter((_, i) => i % SLOTS === 0).every((x) => x < 1e-5)).toBe(true); // slot 0 never given
        outs.push(v);
      }
      expect(tf.memory().numTensors).toBe(before);
      core.dispose();
      tf.dispose([m0, ...frames]);
      return outs;
    };
    const start = tf.memory().numTensors;
    expect(track(loaded)).toEqual(track(model));
    expect(tf.memory().numTensors).toBe(start);
    loaded.dispose();
    disposeBatch(batch);
    model.dispose();
  });
});
