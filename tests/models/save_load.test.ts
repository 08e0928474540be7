import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { loadModel, readModelConfig, RVOSModel, saveModel } from '../../src/models/index.js';
import { pattern, smallConfig } from './helpers.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-model-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function twoFrames(model: RVOSModel, frames: tf.Tensor4D[], masks: tf.Tensor4D | null): Float32Array[] {
  let state = model.initialState();
  const out: Float32Array[] = [];
  for (const f of frames) {
    const s = model.step(f, masks, state);
    model.disposeState(state);
    state = s.state;
    out.push(s.logits.dataSync() as Float32Array);
    if (s.objectness) out.push(s.objectness.dataSync() as Float32Array);
    tf.dispose([s.logits, s.objectness ?? []].flat());
  }
  model.disposeState(state);
  return out;
}

describe('save / load', () => {
  it('reads a T model saved before T kept the slot-to-slot state on frame 0 as the T_no_spatial it was', async () => {
    const old = await RVOSModel.create(smallConfig({ recurrence: 'T_no_spatial', slots: 2 }));
    const dir = tempDir();
    await saveModel(old, dir);
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"T_no_spatial"', '"T"'));
    const loaded = await loadModel(dir);
    expect(loaded.config.recurrence).toBe('T_no_spatial');
    const frames = [pattern([1, 32, 32, 3], 0), pattern([1, 32, 32, 3], 1)] as tf.Tensor4D[];
    expect(twoFrames(loaded, frames, null)).toEqual(twoFrames(old, frames, null));
    tf.dispose(frames);
    old.dispose();
    loaded.dispose();
  });

  it('reproduces outputs exactly, BatchNorm statistics included', async () => {
    // A widened encoder too: its widths must come back from config.json, not from the defaults.
    const config = smallConfig({ mode: 'one_shot', objectness: true, recurrence: 'ST', encoder: { name: 'light', pretrained: null, widthMultiplier: 1.5 } });
    const model = await RVOSModel.create(config);
    const frames = [pattern([2, 40, 56, 3], 0), pattern([2, 40, 56, 3], 1)] as tf.Tensor4D[];
    const masks = pattern([2, 40, 56, 3], 2) as tf.Tensor4D;
    // Move the BatchNorm moving statistics away from their initial values first.
    const warm = model.step(frames[0]!, masks, model.initialState(), { training: true });
    tf.dispose([warm.logits, warm.objectness!]);
    model.disposeState(warm.state);
    const dir = tempDir();
    await saveModel(model, dir);
    const loaded = await loadModel(dir);
    expect(loaded.config).toEqual(config);
    expect(readModelConfig(dir)).toEqual(config);
    const a = twoFrames(model, frames, masks);
    const b = twoFrames(loaded, frames, masks);
    expect(b.map((x) => Array.from(x))).toEqual(a.map((x) => Array.from(x)));
    const mean = 'encoder/stem_bn/moving_mean';
    expect(Array.from(loaded.namedVariables().get(mean)!.dataSync())).toEqual(Array.from(model.namedVariables().get(mean)!.dataSync()));
    expect(Array.from(model.namedVariables().get(mean)!.dataSync()).some((v) => v !== 0)).toBe(true);
    tf.dispose([...frames, masks]);
    model.dispose();
    loaded.dispose();
  });

  it('replaces the weights file on a second save and leaves no temporary files', async () => {
    const model = await RVOSModel.create(smallConfig());
    const dir = tempDir();
    await saveModel(model, dir);
    const firstFiles = fs.readdirSync(dir).sort();
    const v = model.namedVariables().get('decoder/head/bias')!;
    v.assign(tf.add(v, 1) as tf.Tensor);
    await saveModel(model, dir);
    const files = fs.readdirSync(dir).sort();
    expect(files.filter((f) => f.endsWith('.bin'))).toHaveLength(1);
    expect(files).not.toEqual(firstFiles);
    expect(files.some((f) => f.endsWith('.tmp'))).toBe(false);
    expect(files).toEqual(expect.arrayContaining(['config.json', 'weights.json']));
    const loaded = await loadModel(dir);
    expect(loaded.namedVariables().get('decoder/head/bias')!.dataSync()[0]).toBe(v.dataSync()[0]);
    model.dispose();
    loaded.dispose();
  });

  it('names the file and the problem when a saved model is damaged', async () => {
    const model = await RVOSModel.create(smallConfig());
    const dir = tempDir();
    await saveModel(model, dir);
    model.dispose();
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'weights.json'), 'utf8'));
    const bin = path.join(dir, manifest.file);
    const bytes = fs.readFileSync(bin);
    fs.writeFileSync(bin, bytes.subarray(0, bytes.length - 8));
    await expect(loadModel(dir)).rejects.toThrow(/truncated/);
    // Same size, one byte changed: refused (the name carries the content hash), not loaded as other weights.
    const flipped = Buffer.from(bytes);
    flipped[flipped.length >> 1] ^= 0xff;
    fs.writeFileSync(bin, flipped);
    await expect(loadModel(dir)).rejects.toThrow(
      new RegExp(`${manifest.file.replace('.', '\\.')}: weights file is damaged: its content does not match the hash in its name`),
    );
    fs.writeFileSync(bin, bytes);
    // A config that no longer matches the weights (different width).
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...cfg, hidden: 24 }));
    await expect(loadModel(dir)).rejects.toThrow(/shape|do not match/);
    fs.rmSync(path.join(dir, 'config.json'));
    await expect(loadModel(dir)).rejects.toThrow(/config.json.*missing/);
  });
});
