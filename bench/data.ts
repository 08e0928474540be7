/**
 * Data loading speed: clips/s for DAVIS-size (854x480) JPEGs resized to the network size.
 *  - decode paths: sharp decode+resize in one pass vs full decode + JavaScript bilinear resize;
 *  - sequential sampleClip vs ClipPrefetcher (depth 2, main thread or 1 worker thread), with no
 *    consumer work;
 *  - a consumer that computes for a fixed time per batch (a stand-in for a synchronous training
 *    step), without prefetching, with it, and with it in a worker: how much loading is hidden.
 * Frames come from $RVOS_SHARED_DATA/davis-real when set and present, else from synthetic 854x480 videos
 * written to a temporary folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RVOS_AUGMENTATION } from '../src/data/augment.js';
import { clipsToBatch, disposeBatch } from '../src/data/batch.js';
import { sampleClip, type ClipOptions } from '../src/data/clip.js';
import { openDavis2017 } from '../src/data/davis2017.js';
import { resizeRgbBilinear } from '../src/data/image_io.js';
import { ClipPrefetcher } from '../src/data/prefetch.js';
import { generateSyntheticDataset } from '../src/data/synth/dataset.js';
import type { VideoDataset } from '../src/data/types.js';
import { Rng } from '../src/utils/rng.js';
import { sharedData } from '../tests/shared_data.js';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';

const CLIPS = Number(process.env.BENCH_DATA_CLIPS ?? 24);
const BATCH = 4;
const STEP_MS = 150;

async function dataset(): Promise<{ ds: VideoDataset; cleanup: () => void; source: string }> {
  const real = sharedData('davis-real');
  if (real !== null) return { ds: await openDavis2017(real, { split: 'val' }), cleanup: () => undefined, source: `real DAVIS 854x480 (${real})` };
  console.log('real DAVIS frames: skipped (set RVOS_SHARED_DATA to a folder holding davis-real/); using synthetic ones');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-bench-data-'));
  const out = path.join(dir, 'synth');
  await generateSyntheticDataset({ out, trainVideos: 2, valVideos: 1, testVideos: 0, frames: 10, size: [480, 854], objects: [2, 4], seed: 1 });
  return {
    ds: await openDavis2017(out, { split: 'train' }),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
    source: 'synthetic 854x480 JPEGs',
  };
}

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* a synchronous "training step" */
  }
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const { ds, cleanup, source } = await dataset();
  console.log(`source: ${source}; ${CLIPS} clips of 5 frames per measurement, batch ${BATCH}, augmentation on`);
  try {
    for (const size of [
      [240, 427],
      [128, 224],
    ] as [number, number][]) {
      const opts: ClipOptions = { length: 5, size, slots: 10, augment: RVOS_AUGMENTATION };
      const seq = ds.sequences[0]!;

      // Decode paths for one frame.
      let t0 = performance.now();
      for (let i = 0; i < 20; i++) await seq.readFrameResized!(i % seq.frameNames.length, size[0], size[1]);
      const oneStep = (performance.now() - t0) / 20;
      t0 = performance.now();
      for (let i = 0; i < 20; i++) resizeRgbBilinear(await seq.readFrame(i % seq.frameNames.length), size[0], size[1]);
      const twoStep = (performance.now() - t0) / 20;
      console.log(
        `\n${size[0]}x${size[1]}: frame decode+resize ${oneStep.toFixed(1)} ms (sharp, one pass) vs ${twoStep.toFixed(1)} ms (decode, then JS bilinear): ${(twoStep / oneStep).toFixed(2)}x`,
      );

      const rng = new Rng(0);
      t0 = performance.now();
      for (let i = 0; i < CLIPS; i++) await sampleClip(ds.sequences[rng.int(0, ds.sequences.length - 1)]!, rng, opts);
      const sequential = CLIPS / ((performance.now() - t0) / 1000);

      const prefetchRate = async (workers: number): Promise<number> => {
        const pf = new ClipPrefetcher(ds, new Rng(0), { ...opts, batchSize: BATCH, depth: 2, workers });
        disposeBatch(await pf.next()); // warm-up: start-up and the first batch are not counted
        const start = performance.now();
        for (let b = 0; b < CLIPS / BATCH; b++) disposeBatch(await pf.next());
        pf.close();
        return CLIPS / ((performance.now() - start) / 1000);
      };
      const prefetched = await prefetchRate(0);
      const withWorker = await prefetchRate(1);
      console.log(
        `  clips/s, no consumer work: sequential ${sequential.toFixed(1)}, prefetcher ${prefetched.toFixed(1)} ` +
          `(${(prefetched / sequential).toFixed(2)}x), prefetcher + 1 worker ${withWorker.toFixed(1)} (${(withWorker / sequential).toFixed(2)}x)`,
      );

      // A consumer that computes STEP_MS per batch (a synchronous training step).
      const rng2 = new Rng(0);
      t0 = performance.now();
      for (let b = 0; b < CLIPS / BATCH; b++) {
        const clips = [];
        for (let i = 0; i < BATCH; i++) clips.push(await sampleClip(ds.sequences[rng2.int(0, ds.sequences.length - 1)]!, rng2, opts));
        const batch = clipsToBatch(clips);
        busy(STEP_MS);
        disposeBatch(batch);
      }
      const plain = (performance.now() - t0) / 1000;
      const consumer = async (workers: number): Promise<number> => {
        const pf = new ClipPrefetcher(ds, new Rng(0), { ...opts, batchSize: BATCH, depth: 2, workers });
        disposeBatch(await pf.next());
        const start = performance.now();
        for (let b = 0; b < CLIPS / BATCH; b++) {
          const batch = await pf.next();
          busy(STEP_MS);
          disposeBatch(batch);
        }
        pf.close();
        return (performance.now() - start) / 1000;
      };
      const overlapped = await consumer(0);
      const workerOverlapped = await consumer(1);
      const computeOnly = ((CLIPS / BATCH) * STEP_MS) / 1000;
      console.log(
        `  with a ${STEP_MS} ms step per batch: ${plain.toFixed(2)} s without prefetch, ${overlapped.toFixed(2)} s with ` +
          `(${(plain / overlapped).toFixed(2)}x), ${workerOverlapped.toFixed(2)} s with 1 worker (${(plain / workerOverlapped).toFixed(2)}x); ` +
          `compute alone ${computeOnly.toFixed(2)} s`,
      );
    }
  } finally {
    cleanup();
  }
}

await main();
