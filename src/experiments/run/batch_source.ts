/**
 * Training batches as a pure function of the step: batch k is drawn with its own generator seeded
 * from (run seed, k), so prefetching ahead does not change the random stream and a resumed run
 * sees exactly the batches an uninterrupted run would. Clips for the next steps are decoded and
 * augmented while the current step trains (sharp decodes on libuv's thread pool).
 */
import type { Batch, Clip, ClipOptions } from '../../data/index.js';
import { clipsToBatch, sampleClip } from '../../data/index.js';
import type { VideoDataset, VideoSequence } from '../../data/types.js';
import { DataError } from '../../utils/errors.js';
import { Rng } from '../../utils/rng.js';

export interface BatchSourceOptions extends ClipOptions {
  batchSize: number;
  seed: number;
  /** How many future steps to prepare while the current one trains. */
  prefetch: number;
  /**
   * Multi-scale training: each step's clips take one [H, W] drawn from this list instead of
   * `size` (null/absent: every step at `size`, and the same random stream as before).
   */
  scales?: [number, number][] | null;
}

/** A 32-bit seed for step `step` of a run seeded with `seed` (splitmix-style mixing). */
export function stepSeed(seed: number, step: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca77)) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x2c1b3c6d) >>> 0;
  z = Math.imul(z ^ (z >>> 12), 0x297a2d39) >>> 0;
  return (z ^ (z >>> 15)) >>> 0;
}

export class BatchSource {
  private readonly pending = new Map<number, Promise<Clip[]>>();
  private readonly usable: VideoSequence[];

  constructor(
    dataset: VideoDataset,
    private readonly options: BatchSourceOptions,
  ) {
    this.usable = dataset.sequences.filter((s) => annotatedRunLength(s) >= options.length);
    if (this.usable.length === 0) {
      throw new DataError(
        `no sequence in split '${dataset.split}' has ${options.length} consecutive annotated frames; lower data.clip_length or check the dataset`,
        dataset.root,
      );
    }
  }

  private prepare(step: number): Promise<Clip[]> {
    let p = this.pending.get(step);
    if (p === undefined) {
      const rng = new Rng(stepSeed(this.options.seed, step));
      const scales = this.options.scales ?? null;
      const size = scales === null || scales.length === 0 ? this.options.size : scales[rng.int(0, scales.length - 1)]!;
      const picks = Array.from({ length: this.options.batchSize }, () => this.usable[rng.int(0, this.usable.length - 1)]!);
      const rngs = picks.map(() => rng.fork());
      p = Promise.all(picks.map((seq, i) => sampleClip(seq, rngs[i]!, size === this.options.size ? this.options : { ...this.options, size })));
      // Avoid an unhandled rejection for a prefetched step; the error surfaces when it is awaited.
      p.catch(() => undefined);
      this.pending.set(step, p);
    }
    return p;
  }

  /** The batch of step `step`; starts preparing the next `prefetch` steps. */
  async batch(step: number): Promise<Batch> {
    for (let s = step; s <= step + this.options.prefetch; s++) void this.prepare(s);
    const clips = await this.prepare(step);
    this.pending.delete(step);
    return clipsToBatch(clips);
  }
}

function annotatedRunLength(seq: VideoSequence): number {
  if (seq.annotated === undefined) return seq.frameNames.length;
  let best = 0,
    run = 0;
  for (const a of seq.annotated) {
    run = a ? run + 1 : 0;
    best = Math.max(best, run);
  }
  return best;
}
