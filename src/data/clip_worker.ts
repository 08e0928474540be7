/**
 * Worker-thread side of ClipPrefetcher: rebuilds file-backed sequences from their file lists and
 * runs buildClip for plans made on the main thread (so results equal in-thread sampling).
 * Started through clip_worker_boot.mjs, which registers the TypeScript loader first.
 */
import { parentPort } from 'node:worker_threads';
import { buildClip, type ClipOptions, type ClipPlan } from './clip.js';
import { FileSequence } from './file_sequence.js';

/** What a worker needs to rebuild a FileSequence. */
export interface SequenceFiles {
  name: string;
  frameNames: string[];
  frameFiles: string[];
  annotationFiles: (string | null)[];
  width: number;
  height: number;
}

export interface ClipJob {
  id: number;
  sequence: SequenceFiles;
  plan: ClipPlan;
  opts: ClipOptions;
}

export type ClipJobResult =
  | { id: number; clip: import('./clip.js').Clip }
  | { id: number; error: { name: string; message: string; file?: string } };

const cache = new Map<string, FileSequence>();

function sequenceOf(s: SequenceFiles): FileSequence {
  let seq = cache.get(s.name);
  if (seq === undefined || seq.frameFiles[0] !== s.frameFiles[0]) {
    seq = new FileSequence(s.name, s.frameNames, s.frameFiles, s.annotationFiles, s.width, s.height, [], new Map());
    cache.set(s.name, seq);
  }
  return seq;
}

parentPort?.on('message', (job: ClipJob) => {
  buildClip(sequenceOf(job.sequence), job.plan, job.opts).then(
    (clip) => {
      const buffers = [clip.frames.buffer, clip.masks.buffer, clip.present.buffer, ...(clip.priorMasks ? [clip.priorMasks.buffer] : [])];
      parentPort!.postMessage({ id: job.id, clip } satisfies ClipJobResult, buffers as ArrayBuffer[]);
    },
    (err: Error & { file?: string }) => {
      parentPort!.postMessage({ id: job.id, error: { name: err.name, message: err.message, file: err.file } } satisfies ClipJobResult);
    },
  );
});
