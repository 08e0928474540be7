import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { disposeBatch, memoryDataset, memorySequence, synthesizeVideo } from '../../src/data/index.js';
import { BatchSource } from '../../src/experiments/run/batch_source.js';
import { Rng } from '../../src/utils/rng.js';

function dataset() {
  const rng = new Rng(5);
  return memoryDataset(
    Array.from({ length: 3 }, (_, i) => {
      const v = synthesizeVideo(rng.fork(), { frames: 4, size: [40, 56], objects: [1, 2] });
      return memorySequence(`v${i}`, v.frames, v.labels);
    }),
  );
}

describe('multi-scale training batches (data.scales)', () => {
  it('give every step one size from the list, the same for the same step, and leave single-scale batches as they were', async () => {
    const scales: [number, number][] = [
      [24, 24],
      [16, 32],
    ];
    const opts = { length: 3, size: [24, 24] as [number, number], slots: 2, augment: null, batchSize: 2, seed: 11, prefetch: 0 };
    const multi = new BatchSource(dataset(), { ...opts, scales });
    const again = new BatchSource(dataset(), { ...opts, scales });
    const seen = new Set<string>();
    for (let step = 0; step < 12; step++) {
      const [a, b] = [await multi.batch(step), await again.batch(step)];
      const [, , h, w] = a.frames.shape;
      seen.add(`${h}x${w}`);
      expect(a.masks.shape.slice(2, 4)).toEqual([h, w]);
      expect(Array.from(a.frames.dataSync())).toEqual(Array.from(b.frames.dataSync()));
      disposeBatch(a);
      disposeBatch(b);
    }
    expect(seen).toEqual(new Set(['24x24', '16x32']));
    const single = await new BatchSource(dataset(), opts).batch(3);
    const none = await new BatchSource(dataset(), { ...opts, scales: null }).batch(3);
    expect(single.frames.shape).toEqual([2, 3, 24, 24, 3]);
    expect(tf.util.arraysEqual(Array.from(single.frames.dataSync()), Array.from(none.frames.dataSync()))).toBe(true);
    disposeBatch(single);
    disposeBatch(none);
  });
});
