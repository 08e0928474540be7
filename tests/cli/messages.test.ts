// Smaller messages: an empty split for `rvos eval`, meta.json mistakes named by their real cause,
// and a one-shot `rvos infer` given a first mask without objects. Each is refused with the file
// named and nothing written.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run as infer } from '../../src/cli/commands/infer.js';
import { composeConfig, saveRunConfig } from '../../src/config/index.js';
import { encodeJpeg, writeLabelPng } from '../../src/data/index.js';
import { evaluateYouTubeVOS } from '../../src/eval/youtube_vos.js';
import { modelConfigOf } from '../../src/experiments/run/run.js';
import { RVOSModel, saveModel } from '../../src/models/index.js';
import { DataError } from '../../src/utils/errors.js';
import { expectOneLineError, rvos } from './helpers.js';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-messages-'));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));
const blank = (width: number, height: number) => ({ width, height, data: new Uint8Array(width * height) });

describe('rvos eval', () => {
  it('refuses an empty split with one line naming the split file, writing no CSV', async () => {
    const root = path.join(base, 'davis');
    fs.mkdirSync(path.join(root, 'ImageSets', '2017'), { recursive: true });
    fs.writeFileSync(path.join(root, 'ImageSets', '2017', 'val.txt'), '\n');
    fs.mkdirSync(path.join(root, 'res'));
    const r = await rvos(['eval', '--dataset', 'davis2017', '--root', root, '--results', path.join(root, 'res')]);
    expectOneLineError(r, /val\.txt: split file is empty/, 1);
    expect(fs.readdirSync(path.join(root, 'res'))).toEqual([]);
  });
});

describe('YouTube-VOS meta.json', () => {
  it('names a bad object id or an empty frame list, not "appears in no annotated frame"', async () => {
    const yt = path.join(base, 'yt');
    writeLabelPng(path.join(yt, 'valid', 'Annotations', 'vid', '00000.png'), blank(8, 6));
    fs.mkdirSync(path.join(yt, 'res'), { recursive: true });
    const meta = path.join(yt, 'valid', 'meta.json');
    const evaluate = () => evaluateYouTubeVOS({ root: yt, results: path.join(yt, 'res'), seenCategories: [] });
    fs.writeFileSync(meta, JSON.stringify({ videos: { vid: { objects: { abc: { category: 'owl', frames: ['00000'] } } } } }));
    await expect(evaluate()).rejects.toThrow(/object id "abc" must be an integer in 1\.\.254/);
    fs.writeFileSync(meta, JSON.stringify({ videos: { vid: { objects: { '1': { category: 'owl', frames: [] } } } } }));
    await expect(evaluate()).rejects.toThrow(/object 1: "frames" must be a non-empty list/);
    fs.writeFileSync(meta, JSON.stringify({ videos: {} }));
    await expect(evaluate()).rejects.toThrow(/meta\.json lists no video/);
  });
});

describe('rvos infer', () => {
  it('refuses a one-shot run given a first mask with no object, before writing anything', async () => {
    const runDir = path.join(base, 'run');
    const composed = composeConfig({
      configDir: 'configs',
      overrides: ['model.mode=one_shot', 'encoder=light', 'model.hidden=8', 'model.slots=2', 'backend=wasm'],
    });
    saveRunConfig(runDir, composed);
    const model = await RVOSModel.create(modelConfigOf(composed.config));
    await saveModel(model, path.join(runDir, 'model'));
    model.dispose();
    const frames = path.join(base, 'frames');
    fs.mkdirSync(frames);
    const rgb = { width: 16, height: 16, data: new Uint8Array(16 * 16 * 3).fill(90) };
    for (const name of ['00000', '00001']) fs.writeFileSync(path.join(frames, `${name}.jpg`), await encodeJpeg(rgb, 90));
    const mask = path.join(base, 'empty.png');
    writeLabelPng(mask, blank(16, 16));
    const out = path.join(base, 'out');
    const err = await infer(['--run', runDir, '--frames', frames, '--first-mask', mask, '--out', out]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(/empty\.png: no object in the given mask/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
