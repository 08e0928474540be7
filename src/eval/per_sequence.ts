/**
 * Per-video scores of an evaluation: each video's J and F are the means over its objects, so a
 * bootstrap over videos can resample whole videos (the global numbers average over objects).
 */
import type { DavisEvaluation } from './report.js';

export interface SequenceScore {
  name: string;
  jAndF: number;
  j: number;
  f: number;
}

function mean(values: number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/** One row per evaluated video, in the evaluation's order (NaN for a video without objects). */
export function perSequenceScores(evaluation: Pick<DavisEvaluation, 'sequences'>): SequenceScore[] {
  return evaluation.sequences.map((s) => {
    const j = mean(s.objects.map((o) => o.J.mean));
    const f = mean(s.objects.map((o) => o.F.mean));
    return { name: s.sequence, jAndF: (j + f) / 2, j, f };
  });
}
