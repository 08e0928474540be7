/**
 * Keeps `depth` batches of clips decoding ahead of the training loop. File decoding and resizing
 * run in sharp's native thread pool, so they overlap with the consumer's work. The JavaScript
 * part (PNG decoding, augmentation, slot masks) runs on the main thread between the consumer's
 * steps, or, with `workers > 0` and a file-backed dataset, in worker threads that truly run
 * beside a synchronous training step. Sequence choice and every other random draw happen on the
 * main thread in request order, so the batches are identical for the same Rng whatever the
 * timing and whether workers are used.
 */
import { DataError } from '../utils/errors.js';
import type { Rng } from '../utils/rng.js';
import { clipsToBatch, type Batch } from './batch.js';
import { buildClip, clipStarts, planClip, type Clip, type ClipOptions } from './clip.js';
import type { FileSequence } from './file_sequence.js';
import { ClipWorkerPool } from './worker_pool.js';
import type { VideoDataset, VideoSequence } from './types.js';

export interface PrefetchOptions extends ClipOptions {
  batchSize: number;
  /** Batches prepared ahead of the consumer (default 2). */
  depth?: number;
  /**
   * Worker threads that build clips (default 0: build on the main thread). Used only when every
   * sequence is file-backed (the DAVIS / YouTube-VOS / frame-folder readers); see `workerThreads`.
   */
  workers?: number;
}

export class ClipPrefetcher {
  /** Sequences clips are drawn from (uniformly): those with `length` consecutive annotated frames. */
  readonly sequences: VideoSequence[];
  /** Names of sequences too short (in annotated frames) for a clip; they are never sampled. */
  readonly tooShort: string[];
  /** Object ids above the slot count seen so far, per sequence (the caller may warn). */
  readonly droppedIds = new Map<string, Set<number>>();
  /** Worker threads actually in use (0 when building on the main thread). */
  readonly workerThreads: number;
  private readonly pool: ClipWorkerPool | null;
  private readonly queue: Promise<Clip[]>[] = [];
  private closed = false;

  constructor(
    dataset: VideoDataset,
    private readonly rng: Rng,
    private readonly opts: PrefetchOptions,
  ) {
    if (!(Number.isInteger(opts.batchSize) && opts.batchSize >= 1)) throw new RangeError(`batchSize must be an integer >= 1 (got ${opts.batchSize})`);
    this.sequences = dataset.sequences.filter((s) => clipStarts(s, opts.length).length > 0);
    this.tooShort = dataset.sequences.filter((s) => !this.sequences.includes(s)).map((s) => s.name);
    if (this.sequences.length === 0) {
      throw new DataError(`no sequence of ${dataset.name}/${dataset.split} has ${opts.length} consecutive annotated frames; lower the clip length`, dataset.root);
    }
    const workers = opts.workers ?? 0;
    this.pool = workers > 0 && ClipWorkerPool.supports(this.sequences) ? new ClipWorkerPool(workers) : null;
    this.workerThreads = this.pool === null ? 0 : workers;
    const depth = opts.depth ?? 2;
    for (let i = 0; i < depth; i++) this.fill();
  }

  private fill(): void {
    const clips = Array.from({ length: this.opts.batchSize }, () => {
      const seq = this.sequences[this.rng.int(0, this.sequences.length - 1)]!;
      const plan = planClip(seq, this.rng, this.opts);
      return this.pool === null ? buildClip(seq, plan, this.opts) : this.pool.build(seq as FileSequence, plan, this.opts);
    });
    const all = Promise.all(clips);
    all.catch(() => undefined); // rethrown by next(); avoid an unhandled-rejection report meanwhile
    this.queue.push(all);
  }

  /** Number of distinct (sequence, id) objects dropped because their id exceeds the slot count. */
  get droppedObjectCount(): number {
    let n = 0;
    for (const ids of this.droppedIds.values()) n += ids.size;
    return n;
  }

  /** The next batch (tensors owned by the caller: dispose them, e.g. with disposeBatch). */
  async next(): Promise<Batch> {
    if (this.closed) throw new Error('ClipPrefetcher.next() after close()');
    const ready = this.queue.shift()!;
    this.fill();
    const clips = await ready;
    for (const c of clips) {
      if (c.droppedIds.length === 0) continue;
      const set = this.droppedIds.get(c.sequence) ?? new Set<number>();
      for (const id of c.droppedIds) set.add(id);
      this.droppedIds.set(c.sequence, set);
    }
    return clipsToBatch(clips);
  }

  /** Stops prefetching: worker threads end; pending in-thread reads finish and are discarded. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.pool?.close();
  }
}
