import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { RVOSModel, type RVOSModelConfig } from '../../src/models/index.js';
import { maxAbsDiff, pattern, smallConfig } from './helpers.js';

/** Runs `frames.length` frames from the initial state; returns each frame's logits (caller disposes). */
function runFrames(model: RVOSModel, frames: tf.Tensor4D[], masks: tf.Tensor4D | null = null): tf.Tensor4D[] {
  let state = model.initialState();
  const out: tf.Tensor4D[] = [];
  for (const f of frames) {
    const step = model.step(f, masks, state);
    model.disposeState(state);
    state = step.state;
    out.push(step.logits);
    step.objectness?.dispose();
  }
  model.disposeState(state);
  return out;
}

const slot = (t: tf.Tensor4D, s: number): tf.Tensor => tf.slice(t, [0, 0, 0, s], [-1, -1, -1, 1]);

describe('RVOSModel shapes', () => {
  const cases: [RVOSModelConfig['encoder']['name'], number, number, number, number][] = [
    ['light', 96, 96, 2, 1],
    ['light', 128, 224, 2, 10],
    ['light', 240, 427, 3, 4],
    ['light', 256, 448, 2, 2],
    ['resnet18', 96, 96, 2, 10],
    ['resnet18', 240, 427, 2, 2],
    ['resnet18', 256, 448, 2, 1],
    ['mobilenetv2', 128, 224, 2, 3],
  ];
  for (const [encoder, h, w, b, slots] of cases) {
    it(`${encoder} ${h}x${w}, batch ${b}, ${slots} slot(s): logits [B,H,W,S], objectness [B,S]`, async () => {
      const model = await RVOSModel.create(smallConfig({ encoder: { name: encoder, pretrained: null }, slots, objectness: true, mode: 'one_shot' }));
      const frame = pattern([b, h, w, 3]) as tf.Tensor4D;
      const masks = pattern([b, h, w, slots], 1) as tf.Tensor4D;
      const out = model.step(frame, masks, model.initialState());
      expect(out.logits.shape).toEqual([b, h, w, slots]);
      expect(out.objectness!.shape).toEqual([b, slots]);
      expect(out.state.temporal!.length).toBe(slots);
      expect(out.state.temporal![0]!.map((t) => t.shape)).toEqual([
        [b, Math.ceil(h / 32), Math.ceil(w / 32), 16],
        [b, Math.ceil(h / 16), Math.ceil(w / 16), 8],
        [b, Math.ceil(h / 8), Math.ceil(w / 8), 4],
        [b, Math.ceil(h / 4), Math.ceil(w / 4), 2],
      ]);
      expect(out.logits.dataSync().every(Number.isFinite)).toBe(true);
      model.disposeState(out.state);
      tf.dispose([frame, masks, out.logits, out.objectness!]);
      model.dispose();
    });
  }
});

describe('RVOSModel recurrence wiring', () => {
  const frames = (b: number): tf.Tensor4D[] => [pattern([b, 64, 64, 3], 0), pattern([b, 64, 64, 3], 1)] as tf.Tensor4D[];

  for (const recurrence of ['S', 'T', 'ST', 'T_no_spatial'] as const) {
    it(`${recurrence}: frame t ${recurrence === 'S' ? 'does not depend' : 'depends'} on frame t−1`, async () => {
      const model = await RVOSModel.create(smallConfig({ recurrence }));
      const [f0, f1] = frames(2);
      const other = tf.sub(1, f0!) as tf.Tensor4D;
      const a = runFrames(model, [f0!, f1!]);
      const b = runFrames(model, [other, f1!]);
      const diff = maxAbsDiff(a[1]!, b[1]!);
      if (recurrence === 'S') expect(diff).toBe(0);
      else expect(diff).toBeGreaterThan(1e-4);
      expect(maxAbsDiff(a[0]!, b[0]!)).toBeGreaterThan(1e-4);
      tf.dispose([f0!, f1!, other, ...a, ...b]);
      model.dispose();
    });

    it(`${recurrence}: slot i of the first frame ${recurrence === 'T_no_spatial' ? 'does not depend' : 'depends'} on slot i−1`, async () => {
      // One-shot: change only slot 0's mask input; slot 1 sees that change only through the spatial state.
      const model = await RVOSModel.create(smallConfig({ recurrence, mode: 'one_shot' }));
      const [f0] = frames(1);
      const masks = pattern([1, 64, 64, 3], 2) as tf.Tensor4D;
      const changed = tf.tidy(() => tf.concat([tf.sub(1, slot(masks, 0)), slot(masks, 1), slot(masks, 2)], 3)) as tf.Tensor4D;
      const [a] = runFrames(model, [f0!], masks);
      const [b] = runFrames(model, [f0!], changed);
      const s0 = tf.tidy(() => maxAbsDiff(slot(a!, 0), slot(b!, 0)));
      const s1 = tf.tidy(() => maxAbsDiff(slot(a!, 1), slot(b!, 1)));
      expect(s0).toBeGreaterThan(1e-4); // the mask input matters (one-shot)
      if (recurrence === 'T_no_spatial') expect(s1).toBe(0);
      else expect(s1).toBeGreaterThan(1e-4);
      tf.dispose([f0!, masks, changed, a!, b!]);
      model.dispose();
    });
  }

  it('T (RVOS): on frame 0 slot 1 depends on slot 0; from frame 1 on it does not, while ST keeps depending', async () => {
    // One-shot, two frames: frame 0 gets the same masks in both runs; frame 1 changes only slot 0's
    // mask input, so slot 1 of frame 1 could see the change only through the spatial state.
    const [f0, f1] = frames(1);
    const masks = pattern([1, 64, 64, 3], 2) as tf.Tensor4D;
    const changed = tf.tidy(() => tf.concat([tf.sub(1, slot(masks, 0)), slot(masks, 1), slot(masks, 2)], 3)) as tf.Tensor4D;
    const twoFrames = (model: RVOSModel, second: tf.Tensor4D): tf.Tensor4D[] => {
      const first = model.step(f0!, masks, model.initialState());
      const next = model.step(f1!, second, first.state);
      model.disposeState(first.state);
      model.disposeState(next.state);
      return [first.logits, next.logits];
    };
    const slotDiff = (a: tf.Tensor4D, b: tf.Tensor4D, s: number) => tf.tidy(() => maxAbsDiff(slot(a, s), slot(b, s)));
    for (const recurrence of ['T', 'ST'] as const) {
      const model = await RVOSModel.create(smallConfig({ recurrence, mode: 'one_shot' }));
      const [a0, a1] = twoFrames(model, masks);
      const [b0, b1] = twoFrames(model, changed);
      expect(slotDiff(a0!, b0!, 1)).toBe(0); // frame 0 saw the same inputs
      expect(slotDiff(a1!, b1!, 0), recurrence).toBeGreaterThan(1e-4);
      if (recurrence === 'T') expect(slotDiff(a1!, b1!, 1)).toBe(0);
      else expect(slotDiff(a1!, b1!, 1)).toBeGreaterThan(1e-4);
      // Frame 0 of T: changing slot 0's mask there reaches slot 1 (the spatial state passes on frame 0).
      const [c0] = runFrames(model, [f0!], changed);
      if (recurrence === 'T') expect(slotDiff(a0!, c0!, 1)).toBeGreaterThan(1e-4);
      tf.dispose([a0!, a1!, b0!, b1!, c0!]);
      model.dispose();
    }
    tf.dispose([f0!, f1!, masks, changed]);
  });

  it('T_no_spatial zero-shot: every slot of the first frame is the same (no spatial state, no temporal state yet)', async () => {
    const model = await RVOSModel.create(smallConfig({ recurrence: 'T_no_spatial' }));
    const st = await RVOSModel.create(smallConfig({ recurrence: 'ST' }));
    const [f0] = frames(1);
    const [t] = runFrames(model, [f0!]);
    const [s] = runFrames(st, [f0!]);
    expect(tf.tidy(() => maxAbsDiff(slot(t!, 0), slot(t!, 2)))).toBe(0);
    expect(tf.tidy(() => maxAbsDiff(slot(s!, 0), slot(s!, 2)))).toBeGreaterThan(1e-4);
    tf.dispose([f0!, t!, s!]);
    model.dispose();
    st.dispose();
  });

  it('one-shot output depends on the mask input; zero-shot refuses masks', async () => {
    const model = await RVOSModel.create(smallConfig({ mode: 'one_shot' }));
    const [f0] = frames(2);
    const m1 = pattern([2, 64, 64, 3], 3) as tf.Tensor4D;
    const m2 = tf.sub(1, m1) as tf.Tensor4D;
    const [a] = runFrames(model, [f0!], m1);
    const [b] = runFrames(model, [f0!], m2);
    expect(maxAbsDiff(a!, b!)).toBeGreaterThan(1e-4);
    expect(() => model.step(f0!, null, model.initialState())).toThrow(/one_shot mode needs prevMasks/);
    const zero = await RVOSModel.create(smallConfig());
    expect(() => zero.step(f0!, m1, zero.initialState())).toThrow(/zero_shot mode takes no prevMasks/);
    tf.dispose([f0!, m1, m2, a!, b!]);
    model.dispose();
    zero.dispose();
  });
});

describe('RVOSModel determinism, state and memory', () => {
  it('same config + seed → identical weights; another seed → different', async () => {
    const a = await RVOSModel.create(smallConfig({ seed: 3, objectness: true }));
    const b = await RVOSModel.create(smallConfig({ seed: 3, objectness: true }));
    const c = await RVOSModel.create(smallConfig({ seed: 4, objectness: true }));
    const d = await RVOSModel.create(smallConfig({ seed: 3, objectness: false }));
    for (const [name, v] of a.namedVariables()) {
      expect(Array.from(b.namedVariables().get(name)!.dataSync()), name).toEqual(Array.from(v.dataSync()));
      // Per-variable seeding: removing the objectness head leaves every other weight unchanged.
      if (!name.startsWith('objectness/')) expect(Array.from(d.namedVariables().get(name)!.dataSync()), name).toEqual(Array.from(v.dataSync()));
    }
    const k = 'decoder/level0/kernel';
    expect(maxAbsDiff(a.namedVariables().get(k)!, c.namedVariables().get(k)!)).toBeGreaterThan(0);
    [a, b, c, d].forEach((m) => m.dispose());
  });

  it('names variables stably whatever models exist; groups encoder vs decoder', async () => {
    const a = await RVOSModel.create(smallConfig({ objectness: true }));
    const b = await RVOSModel.create(smallConfig({ objectness: true }));
    expect([...b.namedVariables().keys()]).toEqual([...a.namedVariables().keys()]);
    const names = [...a.namedVariables().keys()];
    expect(names).toContain('decoder/level0/kernel');
    expect(names).toContain('skip/s32_conv/kernel');
    expect(names).toContain('encoder/stem_bn/moving_mean');
    expect(names).toContain('objectness/dense/kernel');
    const enc = new Set(a.encoderVariables());
    const dec = new Set(a.decoderVariables());
    for (const [name, v] of a.namedVariables()) {
      if (!v.trainable) {
        expect(name).toMatch(/moving_(mean|variance)$/);
        expect(enc.has(v) || dec.has(v)).toBe(false);
      } else {
        expect(enc.has(v)).toBe(name.startsWith('encoder/'));
        expect(dec.has(v)).toBe(!name.startsWith('encoder/'));
      }
    }
    a.dispose();
    b.dispose();
  });

  it('keeps tf.memory().numTensors flat across frames and training-mode steps', async () => {
    const model = await RVOSModel.create(smallConfig({ objectness: true, mode: 'one_shot' }));
    const frame = pattern([2, 48, 80, 3]) as tf.Tensor4D;
    const masks = pattern([2, 48, 80, 3], 1) as tf.Tensor4D;
    let state = model.initialState();
    const counts: number[] = [];
    for (let t = 0; t < 4; t++) {
      const out = model.step(frame, masks, state, { training: t % 2 === 1 });
      model.disposeState(state);
      state = out.state;
      tf.dispose([out.logits, out.objectness!]);
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
    model.disposeState(state);
    tf.dispose([frame, masks]);
    model.dispose();
  });

  it('training mode uses batch statistics and updates BatchNorm moving averages; freezeBatchNorm does neither', async () => {
    const model = await RVOSModel.create(smallConfig());
    const frozen = await RVOSModel.create(smallConfig({ encoder: { name: 'light', pretrained: null, freezeBatchNorm: true } }));
    const frame = pattern([2, 32, 32, 3]) as tf.Tensor4D;
    const mean = (m: RVOSModel, n: string): number[] => Array.from(m.namedVariables().get(n)!.dataSync());
    const name = 'encoder/stem_bn/moving_mean';
    const before = mean(model, name);
    const evalOut = model.step(frame, null, model.initialState());
    expect(mean(model, name)).toEqual(before);
    const trainOut = model.step(frame, null, model.initialState(), { training: true });
    expect(mean(model, name)).not.toEqual(before);
    expect(maxAbsDiff(evalOut.logits, trainOut.logits)).toBeGreaterThan(0);
    const skipBefore = mean(frozen, 'skip/s4_bn/moving_mean');
    const frozenOut = frozen.step(frame, null, frozen.initialState(), { training: true });
    expect(mean(frozen, name)).toEqual(before);
    expect(mean(frozen, 'skip/s4_bn/moving_mean')).not.toEqual(skipBefore); // only the backbone is frozen
    for (const o of [evalOut, trainOut, frozenOut]) {
      o.logits.dispose();
      model.disposeState(o.state);
    }
    frame.dispose();
    model.dispose();
    frozen.dispose();
  });

  it('rejects bad configs and mismatched state', async () => {
    await expect(RVOSModel.create(smallConfig({ hidden: 12 }))).rejects.toThrow(/model.hidden: must be a positive multiple of 8/);
    await expect(RVOSModel.create(smallConfig({ encoder: { name: 'vgg' as never, pretrained: null } }))).rejects.toThrow(/model.encoder.name/);
    await expect(RVOSModel.create(smallConfig({ recurrence: 'X' as never }))).rejects.toThrow(/model.recurrence/);
    const model = await RVOSModel.create(smallConfig());
    const f = pattern([1, 32, 32, 3]) as tf.Tensor4D;
    const g = pattern([1, 64, 32, 3]) as tf.Tensor4D;
    const out = model.step(f, null, model.initialState());
    expect(() => model.step(g, null, out.state)).toThrow(/another batch or size/);
    model.disposeState(out.state);
    tf.dispose([f, g, out.logits]);
    model.dispose();
  });
});
