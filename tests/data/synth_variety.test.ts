import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDavis2017 } from '../../src/data/davis2017.js';
import { generateSyntheticDataset } from '../../src/data/synth/dataset.js';
import { DIFFICULTY_PRESETS, type SynthVariety } from '../../src/data/synth/options.js';
import { drawShape, SHAPE_KINDS } from '../../src/data/synth/shapes.js';
import { drawTexture, TEXTURE_KINDS } from '../../src/data/synth/texture.js';
import { synthesizeVideo } from '../../src/data/synth/video.js';
import { ConfigError } from '../../src/utils/errors.js';
import { Rng } from '../../src/utils/rng.js';
import { removeDir, tempDir } from './helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

function videoHash(v: ReturnType<typeof synthesizeVideo>): string {
  const h = crypto.createHash('sha256');
  for (const f of v.frames) h.update(f.data);
  for (const l of v.labels) h.update(l.data);
  return h.digest('hex').slice(0, 16);
}

const variety: SynthVariety = {
  train: { sizes: [[32, 32], [32, 48]], shapes: ['ellipse', 'cross'], textures: ['flat', 'rings'] },
  held_out: { sizes: [[40, 72]], shapes: ['superellipse'], textures: ['hatch'], objects: [2, 2], difficulty: { cameraPan: 0 } },
};

describe('varied synthetic generator', () => {
  it('leaves the original generator byte-identical (hashes recorded before the varied options existed)', () => {
    // Pixels and labels of the same video as commit 73e1088 rendered them, for every preset.
    const expected = { easy: '23ac576a1e3504e8', default: '41b7fa4f1237e676', hard: '50d3fd7891fd0a42' };
    for (const [name, d] of Object.entries(DIFFICULTY_PRESETS)) {
      const v = synthesizeVideo(new Rng(42), { frames: 4, size: [40, 56], objects: [1, 4], difficulty: d });
      expect(videoHash(v), name).toBe(expected[name as keyof typeof expected]);
    }
  });

  it('draws only the listed shape and texture kinds, and every new kind has a distinct outline or pattern', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 40; i++) {
      expect(['cross', 'teardrop']).toContain(drawShape(rng, 10, ['cross', 'teardrop']).kind);
      expect(['waves', 'gradient']).toContain(drawTexture(rng, [4, 8], ['waves', 'gradient']).kind);
    }
    const profiles = SHAPE_KINDS.map((k) => Array.from(drawShape(new Rng(1), 10, [k]).profile));
    for (let a = 0; a < profiles.length; a++) {
      for (let b = a + 1; b < profiles.length; b++) expect(profiles[a], `${SHAPE_KINDS[a]} vs ${SHAPE_KINDS[b]}`).not.toEqual(profiles[b]);
    }
    expect(new Set(TEXTURE_KINDS).size).toBe(TEXTURE_KINDS.length);
  });

  it('writes training videos from the training setting and held-out videos from the other one', async () => {
    const out = path.join(tempDir(), 'ds');
    dirs.push(path.dirname(out));
    const summary = await generateSyntheticDataset({ out, trainVideos: 5, valVideos: 3, testVideos: 2, frames: 3, size: [32, 32], objects: [1, 3], seed: 5, variety });
    const train = await openDavis2017(out, { split: 'train', task: 'semi_supervised', onError: 'raise', scan: 'all' });
    const val = await openDavis2017(out, { split: 'val', task: 'unsupervised', onError: 'raise', scan: 'first' });
    expect(summary.train).toHaveLength(5);
    const trainSizes = new Set(train.sequences.map((s) => `${s.height}x${s.width}`));
    expect([...trainSizes].every((s) => s === '32x32' || s === '32x48')).toBe(true);
    expect(trainSizes.size).toBe(2);
    expect(val.sequences.map((s) => `${s.height}x${s.width}`)).toEqual(['40x72', '40x72', '40x72']);
    expect(val.sequences.every((s) => s.objectIds.length === 2)).toBe(true);
    const recorded = JSON.parse(fs.readFileSync(path.join(out, 'synth.json'), 'utf8'));
    expect(recorded.variety).toEqual(variety);
    expect(recorded.generator).toMatch(/varied/);
  });

  it('refuses unknown kinds and empty size lists with the key to fix', async () => {
    const bad = { ...variety, held_out: { ...variety.held_out, textures: ['plaid' as never] } };
    const base = { out: path.join(tempDir(), 'x'), trainVideos: 3, valVideos: 1, testVideos: 1, frames: 2, size: [32, 32] as [number, number], objects: [1, 2] as [number, number], seed: 1 };
    await expect(generateSyntheticDataset({ ...base, variety: bad })).rejects.toThrow(/variety\.held_out\.textures: unknown kind plaid/);
    await expect(generateSyntheticDataset({ ...base, variety: { ...variety, train: { ...variety.train, sizes: [] } } })).rejects.toThrow(ConfigError);
  });
});
