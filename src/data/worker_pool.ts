/**
 * A small pool of clip worker threads. Jobs go round-robin; a worker holds the process open only
 * while it has jobs (so a forgotten prefetcher cannot keep the process alive).
 */
import { Worker } from 'node:worker_threads';
import { DataError } from '../utils/errors.js';
import type { Clip, ClipOptions, ClipPlan } from './clip.js';
import type { ClipJob, ClipJobResult } from './clip_worker.js';
import { FileSequence } from './file_sequence.js';

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (c: Clip) => void; reject: (e: Error) => void }>;
}

export class ClipWorkerPool {
  private readonly slots: Slot[];
  private nextId = 0;
  private turn = 0;

  constructor(count: number) {
    this.slots = Array.from({ length: count }, () => {
      const worker = new Worker(new URL('./clip_worker_boot.mjs', import.meta.url));
      const slot: Slot = { worker, pending: new Map() };
      worker.unref();
      worker.on('message', (msg: ClipJobResult) => {
        const job = slot.pending.get(msg.id);
        if (job === undefined) return;
        slot.pending.delete(msg.id);
        if (slot.pending.size === 0) worker.unref();
        if ('clip' in msg) job.resolve(msg.clip);
        else job.reject(msg.error.name === 'DataError' ? new DataError(msg.error.message) : Object.assign(new Error(msg.error.message), { name: msg.error.name }));
      });
      worker.on('error', (err) => {
        for (const job of slot.pending.values()) job.reject(err);
        slot.pending.clear();
      });
      return slot;
    });
  }

  /** Whether every sequence can be rebuilt in a worker (file-backed). */
  static supports(sequences: unknown[]): boolean {
    return sequences.every((s) => s instanceof FileSequence);
  }

  build(seq: FileSequence, plan: ClipPlan, opts: ClipOptions): Promise<Clip> {
    const slot = this.slots[this.turn++ % this.slots.length]!;
    const id = this.nextId++;
    const sequence = { name: seq.name, frameNames: seq.frameNames, frameFiles: seq.frameFiles, annotationFiles: seq.annotationFiles, width: seq.width, height: seq.height };
    return new Promise<Clip>((resolve, reject) => {
      if (slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, sequence, plan, opts } satisfies ClipJob);
    });
  }

  close(): void {
    for (const s of this.slots) void s.worker.terminate();
  }
}
