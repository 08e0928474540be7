/**
 * Per-object statistics over frames, as davis2017-evaluation's db_statistics: mean M, recall R
 * and decay D (docs/metrics.md).
 */

export interface ObjectStatistics {
  /** Mean over frames, NaN frames ignored. */
  mean: number;
  /** Fraction of frames scoring strictly above 0.5 (a NaN frame counts as not above). */
  recall: number;
  /** Mean of the first quarter minus mean of the last quarter; NaN when a bin is empty. */
  decay: number;
}

/** Number of bins of the decay (DAVIS: quarters). */
const DECAY_BINS = 4;

/** Mean ignoring NaN; NaN when nothing is left (numpy's nanmean of an empty slice). */
function nanMean(values: ArrayLike<number>, start: number, end: number): number {
  let sum = 0;
  let count = 0;
  for (let i = start; i < end; i++) {
    const v = values[i]!;
    if (!Number.isNaN(v)) {
      sum += v;
      count++;
    }
  }
  return count === 0 ? Number.NaN : sum / count;
}

/**
 * The bin edges of the official decay: ids = round(linspace(1, n, 5) + 1e-10) − 1 stored as uint8.
 * numpy's linspace computes start + i·step (step = (n−1)/4) and sets the last value to n exactly;
 * the 1e-10 makes halves round up (numpy otherwise rounds half to even). The uint8 cast WRAPS for
 * ids ≥ 256 (id mod 256), so for sequences of ≥ 257 frames the bins are taken from wrapped
 * indices — reproduced on purpose so our numbers equal the official ones.
 */
export function decayBinIds(n: number): number[] {
  const step = (n - 1) / DECAY_BINS;
  const ids: number[] = [];
  for (let i = 0; i <= DECAY_BINS; i++) {
    const x = i === DECAY_BINS ? n : step === 0 ? 1 : 1 + i * step;
    ids.push(roundHalfEven(x + 1e-10) - 1);
  }
  return ids.map((id) => ((id % 256) + 256) % 256);
}

/** numpy.round: ties go to the even neighbour. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Bin i is v[ids[i] .. ids[i+1]] inclusive at both ends, with Python slice rules: a stop at or
 * before the start gives an empty bin. The stop ids[i+1] + 1 is computed in full integers (NumPy
 * 1.x turns uint8 + 1 into int64; NumPy 2 would wrap 255 + 1 to 0, which matters only when an id is
 * exactly 255, e.g. n = 256 — we follow the NumPy 1.x the official numbers were produced with).
 */
function binMean(values: ArrayLike<number>, start: number, stopInclusive: number): number {
  const end = Math.min(stopInclusive + 1, values.length);
  return start >= end ? Number.NaN : nanMean(values, start, end);
}

/** M, R and D of one object's per-frame values (J or F). */
export function statistics(values: ArrayLike<number>): ObjectStatistics {
  const n = values.length;
  let above = 0;
  for (let i = 0; i < n; i++) if (values[i]! > 0.5) above++;
  const ids = decayBinIds(n);
  const first = binMean(values, ids[0]!, ids[1]!);
  const last = binMean(values, ids[DECAY_BINS - 1]!, ids[DECAY_BINS]!);
  return {
    mean: nanMean(values, 0, n),
    recall: n === 0 ? Number.NaN : above / n,
    decay: first - last,
  };
}
