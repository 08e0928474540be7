/**
 * In-memory sequences and datasets: the synthetic generator's output (or any frames a test makes)
 * served through the same VideoSequence interface as files, without touching the disk.
 */
import { resizeRgbBilinear } from './image_io.js';
import { labelIds } from './file_sequence.js';
import type { LabelMap, RgbImage, VideoDataset, VideoSequence } from './types.js';

/** Wraps frames and (possibly missing) label maps; objects are found by scanning every label map. */
export function memorySequence(name: string, frames: RgbImage[], labels: (LabelMap | null)[]): VideoSequence {
  if (frames.length === 0) throw new RangeError(`memorySequence ${name}: no frames`);
  if (labels.length !== frames.length) {
    throw new RangeError(`memorySequence ${name}: ${frames.length} frames but ${labels.length} label entries`);
  }
  const { width, height } = frames[0]!;
  frames.forEach((f, i) => {
    const l = labels[i];
    if (f.width !== width || f.height !== height || (l != null && (l.width !== width || l.height !== height))) {
      throw new RangeError(`memorySequence ${name}: frame ${i} or its labels differ from frame 0's ${width}x${height}`);
    }
  });
  const firstFrameOf = new Map<number, number>();
  labels.forEach((l, i) => {
    if (l !== null) for (const id of labelIds(l)) if (!firstFrameOf.has(id)) firstFrameOf.set(id, i);
  });
  const check = (i: number): void => {
    if (!Number.isInteger(i) || i < 0 || i >= frames.length) throw new RangeError(`${name}: frame ${i} out of range`);
  };
  return {
    name,
    frameNames: frames.map((_, i) => String(i).padStart(5, '0')),
    width,
    height,
    objectIds: [...firstFrameOf.keys()].sort((a, b) => a - b),
    firstFrameOf,
    annotated: labels.map((l) => l !== null),
    readFrame: async (i) => (check(i), frames[i]!),
    readFrameResized: async (i, h, w) => (check(i), resizeRgbBilinear(frames[i]!, h, w)),
    readAnnotation: async (i) => (check(i), labels[i] ?? null),
  };
}

export function memoryDataset(sequences: VideoSequence[], split = 'train'): VideoDataset {
  return { name: 'memory', root: '', split, sequences, skipped: [] };
}
