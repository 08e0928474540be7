/**
 * The copy-first-mask floor over a dataset split: every later frame repeats each object's given
 * mask (model.family=copy_first, src/models/baselines/copy_first.ts) and the predictions are
 * written as an official result folder that `rvos eval` scores like any other. The floor runs at
 * each video's own resolution, so its masks are the annotation's pixels exactly; a copy_first run
 * (a model folder) predicts at data.size instead and loses some boundary detail on the way down
 * and back up. It is the one-shot floor: it is given the first mask, which zero-shot models are not.
 */
import path from 'node:path';
import { writeLabelPng, type VideoSequence } from '../../data/index.js';
import { predictSequence } from '../../eval/predictor.js';
import { Progress, type ProgressStream } from '../../logging/index.js';
import { CopyFirstModel } from '../../models/baselines/index.js';
import { InferenceCore } from '../../models/inference_core.js';

/** Floors `rvos eval --floor` can score. */
export const FLOORS = ['copy_first'] as const;
export type Floor = (typeof FLOORS)[number];

/** Foreground threshold of the floor's masks (they are 0/1; any value strictly between works). */
const FLOOR_THRESHOLD = 0.5;

export interface FloorPrediction {
  sequences: number;
  frames: number;
}

/** The copy-first floor of one video: one slot per object id the video can give (ids are 1..N), at least one. */
export function copyFirstSegmenter(seq: VideoSequence): InferenceCore {
  const slots = Math.max(1, ...seq.objectIds, ...seq.firstFrameOf.keys());
  // The inference core's rules, as for any model (copy_first reads only the given masks).
  return new InferenceCore(new CopyFirstModel({ family: 'copy_first', slots, seed: 0 }), {
    previousMask: 'soft',
    threshold: FLOOR_THRESHOLD,
    objectnessThreshold: FLOOR_THRESHOLD,
  });
}

/** The floor predicts at the video's own resolution, so its masks are the annotation's pixels exactly. */
export function copyFirstOptions(seq: VideoSequence): { size: [number, number]; threshold: number } {
  return { size: [seq.height, seq.width], threshold: FLOOR_THRESHOLD };
}

/** Writes the copy-first floor of every sequence to <out>/<sequence>/<frame>.png. */
export async function predictCopyFirst(sequences: VideoSequence[], out: string, stream?: ProgressStream): Promise<FloorPrediction> {
  const total = sequences.reduce((n, s) => n + s.frameNames.length, 0);
  const progress = new Progress({ total, label: 'copy_first', stream });
  let frames = 0;
  for (const seq of sequences) {
    const { labels } = await predictSequence(copyFirstSegmenter(seq), seq, copyFirstOptions(seq));
    labels.forEach((label, t) => writeLabelPng(path.join(out, seq.name, `${seq.frameNames[t]}.png`), label));
    frames += labels.length;
    progress.update(frames);
  }
  progress.done();
  return { sequences: sequences.length, frames };
}
