import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RVOS_AUGMENTATION } from '../../src/data/augment.js';
import { disposeBatch } from '../../src/data/batch.js';
import { openDavis2017 } from '../../src/data/davis2017.js';
import { ClipPrefetcher } from '../../src/data/prefetch.js';
import { MASKTRACK_PRIOR } from '../../src/data/prior_mask.js';
import { generateSyntheticDataset } from '../../src/data/synth/dataset.js';
import { DataError } from '../../src/utils/errors.js';
import { Rng } from '../../src/utils/rng.js';
import { removeDir, tempDir } from './helpers.js';

const dir = tempDir();
afterAll(() => removeDir(dir));

describe('ClipPrefetcher with worker threads', () => {
  it('builds the same batches in workers as on the main thread, and reports bad files', async () => {
    const out = path.join(dir, 'synth');
    await generateSyntheticDataset({ out, trainVideos: 3, valVideos: 0, testVideos: 0, frames: 6, size: [48, 64], objects: [1, 3], seed: 5 });
    const ds = await openDavis2017(out, { split: 'train' });
    const opts = { length: 4, size: [32, 40] as [number, number], slots: 3, augment: RVOS_AUGMENTATION, priorMask: MASKTRACK_PRIOR, batchSize: 2 };
    const inThread = new ClipPrefetcher(ds, new Rng(8), opts);
    const workers = new ClipPrefetcher(ds, new Rng(8), { ...opts, workers: 2 });
    expect([inThread.workerThreads, workers.workerThreads]).toEqual([0, 2]);
    try {
      for (let b = 0; b < 3; b++) {
        const [x, y] = [await inThread.next(), await workers.next()];
        expect(y.frames.dataSync()).toEqual(x.frames.dataSync());
        expect(y.masks.dataSync()).toEqual(x.masks.dataSync());
        expect(y.priorMasks!.dataSync()).toEqual(x.priorMasks!.dataSync());
        expect(y.clips).toEqual(x.clips);
        disposeBatch(x);
        disposeBatch(y);
      }
    } finally {
      inThread.close();
      workers.close();
    }

    // Truncated pixel data behind an intact header: found when the worker decodes it.
    for (const seq of ['synth-0000', 'synth-0001', 'synth-0002']) {
      const f = path.join(out, 'JPEGImages/480p', seq, '00003.jpg');
      fs.writeFileSync(f, fs.readFileSync(f).subarray(0, 400));
    }
    const broken = new ClipPrefetcher(await openDavis2017(out, { split: 'train' }), new Rng(1), { ...opts, workers: 1, depth: 1 });
    try {
      const err = await broken.next().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(DataError);
      expect((err as Error).message).toMatch(/00003\.jpg: corrupt or unreadable image/);
    } finally {
      broken.close();
    }
  });
});
