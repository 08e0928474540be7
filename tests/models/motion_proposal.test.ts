// The motion_proposal decoder input: every zero-shot slot sees the frame's motion blob (the
// non-learned floor's prediction) as one more channel per decoder level.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { composeConfig } from '../../src/config/index.js';
import { RVOSModel } from '../../src/models/index.js';
import { motionBlob, motionBlobMap, motionMask } from '../../src/models/motion_blob.js';
import { Rng } from '../../src/utils/rng.js';
import { ConfigError } from '../../src/utils/errors.js';
import { pattern, smallConfig } from './helpers.js';

/** A [1, 32, 32, 3] frame: a textured square at (x, y) on a flat grey background. */
function squareAt(x: number, y: number): tf.Tensor4D {
  const data = new Float32Array(32 * 32 * 3).fill(0.5);
  for (let r = y; r < y + 8; r++) for (let c = x; c < x + 8; c++) for (let k = 0; k < 3; k++) data[(r * 32 + c) * 3 + k] = (r + c) % 2 === 0 ? 0.95 : 0.05;
  return tf.tensor4d(data, [1, 32, 32, 3]);
}

/** A [1, 48, 48, 3] frame: a still random texture with two checkered 8x8 squares at the given corners. */
function twoSquares(corners: [number, number][]): tf.Tensor4D {
  const rng = new Rng(3);
  const data = Float32Array.from({ length: 48 * 48 * 3 }, () => rng.next());
  for (const [x, y] of corners)
    for (let r = y; r < y + 8; r++) for (let c = x; c < x + 8; c++) for (let k = 0; k < 3; k++) data[(r * 48 + c) * 3 + k] = (r + c) % 2 === 0 ? 0.95 : 0.05;
  return tf.tensor4d(data, [1, 48, 48, 3]);
}

describe('motion masks', () => {
  it("'largest' keeps one of two moving objects (the blob), 'all' keeps both", () => {
    // The first square moves 4 px, the second 2 px: the first's region (old and new place) is larger.
    const [before, after] = [
      twoSquares([
        [6, 6],
        [30, 30],
      ]),
      twoSquares([
        [10, 6],
        [32, 30],
      ]),
    ];
    const largest = motionMask(after, before, 'largest');
    const all = motionMask(after, before, 'all');
    expect(Array.from(largest)).toEqual(Array.from(motionBlob(after, before)));
    const at = (m: Uint8Array, x: number, y: number) => m[y * 48 + x];
    expect([at(largest, 14, 10), at(largest, 31, 34)]).toEqual([1, 0]);
    expect([at(all, 14, 10), at(all, 31, 34)]).toEqual([1, 1]);
    expect(at(all, 24, 24)).toBe(0); // still background between them
    expect(largest.every((v, i) => v === 0 || all[i] === 1)).toBe(true);
    tf.dispose([before, after]);
  });

  it('a tolerance of 1 px ignores background that drifts by a pixel (a ripple) but keeps an object that moves 6 px', () => {
    // A smooth texture (a sub-pixel alignment error stays far below the threshold); the bottom band
    // (rows 34-47, larger than the object's region) drifts 1 px to the right between the frames.
    const frame = (objectX: number, drift: number): tf.Tensor4D => {
      const data = new Float32Array(48 * 48 * 3);
      for (let r = 0; r < 48; r++)
        for (let c = 0; c < 48; c++) {
          const x = c - (r >= 34 ? drift : 0);
          const inside = r >= 6 && r < 14 && c >= objectX && c < objectX + 8;
          for (let k = 0; k < 3; k++)
            data[(r * 48 + c) * 3 + k] = inside ? ((r + c) % 2 === 0 ? 0.95 : 0.05) : 0.5 + 0.4 * Math.sin(x / 1.3 + k) * Math.cos(r / 2.1);
        }
      return tf.tensor4d(data, [1, 48, 48, 3]);
    };
    const [before, after] = [frame(6, 0), frame(12, 1)];
    const strict = motionMask(after, before, 'largest');
    const tolerant = motionMask(after, before, 'largest', 'translation', 1);
    const at = (m: Uint8Array, x: number, y: number) => m[y * 48 + x];
    expect([at(strict, 16, 10), at(strict, 24, 40)]).toEqual([0, 1]); // the band is the larger region
    expect([at(tolerant, 16, 10), at(tolerant, 24, 40)]).toEqual([1, 0]);
    tf.dispose([before, after]);
  });
});

describe('motion_proposal', () => {
  it('motionBlobMap is motionBlob of every batch element, as a [B, H, W, 1] map, and leaks nothing', () => {
    const [a0, a1, b0, b1] = [squareAt(8, 8), squareAt(12, 9), squareAt(16, 16), squareAt(16, 16)];
    const frames = tf.concat([a1, b1]) as tf.Tensor4D;
    const references = tf.concat([a0, b0]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const map = motionBlobMap(frames, references);
    expect(map.shape).toEqual([2, 32, 32, 1]);
    const values = map.dataSync();
    const moved = motionBlob(a1, a0);
    expect(moved.some((v) => v === 1)).toBe(true);
    expect(Array.from(values.slice(0, 32 * 32))).toEqual(Array.from(moved));
    // The still square gives no blob.
    expect(Array.from(values.slice(32 * 32)).every((v) => v === 0)).toBe(true);
    map.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a0, a1, b0, b1, frames, references]);
  });

  it('adds one decoder channel per level, and steps (frame 0 against the look-ahead frame, then frame 1) leak nothing', async () => {
    const rows = (m: RVOSModel): number[] => m.decoder.cells.map((c) => c.kernel!.read().shape[2]!);
    const plain = await RVOSModel.create(smallConfig({ inputs: [], motionInput: true }));
    const model = await RVOSModel.create(smallConfig({ inputs: ['motion_proposal'], motionInput: true, firstFrameMotion: 'next' }));
    expect(rows(model)).toEqual(rows(plain).map((r) => r + 1));
    const frames = [pattern([2, 32, 48, 3], 0), pattern([2, 32, 48, 3], 1)] as tf.Tensor4D[];
    const before = tf.memory().numTensors;
    // Frame 0 against the look-ahead frame, then frame 1 against frame 0; in training and not.
    for (const training of [true, false]) {
      let state = model.initialState(frames[1]!);
      for (const frame of frames) {
        const out = model.step(frame, null, state, { training });
        expect(out.logits.shape).toEqual([2, 32, 48, 3]);
        tf.dispose([out.logits, out.objectness ?? [], out.foreground ?? []].flat());
        model.disposeState(state);
        state = out.state;
      }
      model.disposeState(state);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(frames);
    plain.dispose();
    model.dispose();
  });

  it('lead_motion_proposal: the first slot sees the blob, the others a zero channel; one of the two proposals at a time', async () => {
    const model = await RVOSModel.create(smallConfig({ inputs: ['lead_motion_proposal'], motionInput: true, firstFrameMotion: 'next' }));
    const every = await RVOSModel.create(smallConfig({ inputs: ['motion_proposal'], motionInput: true, firstFrameMotion: 'next' }));
    const rows = (m: RVOSModel): number[] => m.decoder.cells.map((c) => c.kernel!.read().shape[2]!);
    expect(rows(model)).toEqual(rows(every));
    // What each slot's decoder is given as its proposal channel, summed over one level.
    const seen = (m: RVOSModel): number[] => {
      const sums: number[] = [];
      const decodeSlot = m.decoder.decodeSlot.bind(m.decoder);
      m.decoder.decodeSlot = (...args: Parameters<typeof decodeSlot>) => {
        const extra = args[4]!;
        sums.push(tf.sum(extra[extra.length - 1]!.at(-1)!).dataSync()[0]!); // the proposal channel at one level
        return decodeSlot(...args);
      };
      const [previous, frame] = [squareAt(8, 8), squareAt(12, 9)];
      const state = m.initialState(null);
      const first = m.step(previous, null, state, { training: false });
      const out = m.step(frame, null, first.state, { training: false });
      tf.dispose([first.logits, out.logits, first.objectness ?? [], out.objectness ?? [], previous, frame].flat());
      m.disposeState(state);
      m.disposeState(first.state);
      m.disposeState(out.state);
      return sums.slice(model.config.slots); // frame 1's slots (frame 0 has no reference: zeros)
    };
    const lead = seen(model);
    expect(lead[0]!).toBeGreaterThan(0);
    expect(lead.slice(1).every((v) => v === 0)).toBe(true);
    const all = seen(every);
    expect(all.every((v) => v === lead[0])).toBe(true);
    await expect(RVOSModel.create(smallConfig({ inputs: ['motion_proposal', 'lead_motion_proposal'], motionInput: true }))).rejects.toThrow(/keep one/);
    await expect(RVOSModel.create(smallConfig({ inputs: ['lead_motion_proposal'] }))).rejects.toThrow(/lead_motion_proposal needs the motion input/);
    model.dispose();
    every.dispose();
  });

  it('needs the motion input, and the config refuses it for one-shot, each in one line naming the key', async () => {
    await expect(RVOSModel.create(smallConfig({ inputs: ['motion_proposal'] }))).rejects.toThrow(ConfigError);
    await expect(RVOSModel.create(smallConfig({ inputs: ['motion_proposal'] }))).rejects.toThrow(/model\.inputs: motion_proposal needs the motion input/);
    expect(() => composeConfig({ configDir: 'configs', overrides: ['model.mode=one_shot', 'model.inputs=[prev_mask,motion_proposal]'] })).toThrow(
      /motion_proposal is a zero-shot input, and model.mode is one_shot/,
    );
    const ok = composeConfig({ configDir: 'configs', overrides: ['experiment=main', 'model.inputs=[prev_mask,slot_canvas,foreground,motion_proposal]'] });
    expect(ok.config.model.inputs).toContain('motion_proposal');
  });
});
