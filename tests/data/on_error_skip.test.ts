// data.on_error=skip: a video whose JPEG has a valid header but a corrupt body is left out of
// training (counted, with the file named) and refused by evaluation.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeConfig } from '../../src/config/index.js';
import { generateSyntheticDataset } from '../../src/data/synth/dataset.js';
import { DIFFICULTY_PRESETS } from '../../src/data/synth/options.js';
import { openSplit } from '../../src/experiments/run/datasets.js';
import { DataError } from '../../src/utils/errors.js';
import { removeDir, tempDir } from './helpers.js';

let root: string;
let corruptTrain: string;
let corruptVal: string;

/** Keeps the JPEG header (so a header check passes) and cuts the entropy-coded data short. */
function truncateBody(file: string): void {
  const bytes = fs.readFileSync(file);
  fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
}

beforeAll(async () => {
  root = path.join(tempDir('rvos-skip-'), 'synth');
  const summary = await generateSyntheticDataset({
    out: root, trainVideos: 3, valVideos: 2, testVideos: 0, frames: 4, size: [32, 32], objects: [1, 2], seed: 1, difficulty: DIFFICULTY_PRESETS.easy, overwrite: false,
  });
  corruptTrain = path.join(root, 'JPEGImages', '480p', summary.train[1]!, '00002.jpg');
  corruptVal = path.join(root, 'JPEGImages', '480p', summary.val[0]!, '00001.jpg');
  truncateBody(corruptTrain);
  truncateBody(corruptVal);
});
afterAll(() => removeDir(path.dirname(root)));

const data = (onError: 'skip' | 'raise') =>
  composeConfig({ configDir: 'configs', overrides: ['data=synthetic', `data.root=${root}`, `data.on_error=${onError}`] }).config.data;

describe('data.on_error=skip with a corrupt JPEG', () => {
  it('training leaves the video out and names the file', async () => {
    const train = await openSplit(data('skip'), 'train', 'semi_supervised', 'train');
    const bad = path.basename(path.dirname(corruptTrain));
    expect(train.sequences.map((s) => s.name)).not.toContain(bad);
    expect(train.sequences).toHaveLength(2);
    expect(train.skipped).toHaveLength(1);
    expect(train.skipped![0]!.name).toBe(bad);
    expect(train.skipped![0]!.reason).toContain(corruptTrain);
  });

  it('evaluation refuses the split, naming the file', async () => {
    const err = await openSplit(data('skip'), 'val', 'semi_supervised', 'eval').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toContain(corruptVal);
  });
});
