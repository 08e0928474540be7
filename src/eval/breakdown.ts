/**
 * What the global DAVIS numbers hide, computed from per-object evaluations: J on each video's
 * first frame (zero-shot must segment it with no history), how often the k-th object of a video is
 * found at all, and J&F per number of objects in the video. Pure functions over
 * SequenceEvaluation; docs/zero_shot.md says how to read them.
 */
import type { SequenceEvaluation } from './sequence.js';

/** An object counts as found when its mean J over the scored frames exceeds this (DAVIS's recall threshold). */
export const FOUND_J = 0.5;

export interface RankRecall {
  /** 1 = the object with the lowest id of its video, 2 = the next, … */
  rank: number;
  /** Videos that have a rank-th object. */
  videos: number;
  /** Of those, videos whose rank-th object was found (mean J > FOUND_J). */
  found: number;
  fraction: number;
}

export interface CountScore {
  /** Number of ground-truth objects in the video. */
  objects: number;
  videos: number;
  /** Mean over those videos' objects of (J-Mean + F-Mean) / 2. */
  jf: number;
}

export interface EvaluationBreakdown {
  /** Mean J over objects on the videos' first frames; null when no first frame was scored (the semi-supervised protocol skips it). */
  firstFrameJ: number | null;
  recallByRank: RankRecall[];
  byObjectCount: CountScore[];
}

/**
 * Mean J over objects on frame `firstFrame(sequence)` of each sequence where that frame was
 * scored; null if it never was.
 */
export function firstFrameJ(sequences: SequenceEvaluation[], firstFrame: (s: SequenceEvaluation) => string): number | null {
  const values: number[] = [];
  for (const s of sequences) {
    const i = s.frames.indexOf(firstFrame(s));
    if (i < 0) continue;
    for (const o of s.objects) values.push(o.jFrames[i]!);
  }
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

/** For every rank k: in how many videos the k-th object (by ascending id) was found. */
export function recallByRank(sequences: SequenceEvaluation[], threshold = FOUND_J): RankRecall[] {
  const out: RankRecall[] = [];
  for (const s of sequences) {
    const ranked = [...s.objects].sort((a, b) => a.objectId - b.objectId);
    ranked.forEach((o, k) => {
      out[k] ??= { rank: k + 1, videos: 0, found: 0, fraction: 0 };
      out[k]!.videos++;
      if (o.J.mean > threshold) out[k]!.found++;
    });
  }
  for (const r of out) r.fraction = r.found / r.videos;
  return out;
}

/** J&F-Mean of the videos with n objects, for every n present. */
export function scoreByObjectCount(sequences: SequenceEvaluation[]): CountScore[] {
  const groups = new Map<number, { videos: number; sum: number; objects: number }>();
  for (const s of sequences) {
    if (s.objects.length === 0) continue;
    const g = groups.get(s.objects.length) ?? { videos: 0, sum: 0, objects: 0 };
    g.videos++;
    for (const o of s.objects) g.sum += (o.J.mean + o.F.mean) / 2;
    g.objects += s.objects.length;
    groups.set(s.objects.length, g);
  }
  return [...groups.entries()].sort(([a], [b]) => a - b).map(([n, g]) => ({ objects: n, videos: g.videos, jf: g.sum / g.objects }));
}

export function evaluationBreakdown(sequences: SequenceEvaluation[], firstFrame: (s: SequenceEvaluation) => string): EvaluationBreakdown {
  return { firstFrameJ: firstFrameJ(sequences, firstFrame), recallByRank: recallByRank(sequences), byObjectCount: scoreByObjectCount(sequences) };
}
