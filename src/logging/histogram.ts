/** Histogram statistics in TensorBoard's HistogramProto layout (equal-width buckets). */

export interface Histogram {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  /** Right edge of each bucket; bucket i spans (limit[i-1], limit[i]], the first starts at min. */
  bucketLimits: number[];
  /** Count per bucket. */
  buckets: number[];
}

/** Buckets the finite entries of `values` into `bins` equal-width buckets (NaN/±Inf are left out). */
export function computeHistogram(values: ArrayLike<number>, bins = 30): Histogram {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`histogram bins must be a positive integer, got ${bins}`);
  let min = Infinity;
  let max = -Infinity;
  let num = 0;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    num++;
    sum += v;
    sumSquares += v * v;
  }
  if (num === 0) return { min: 0, max: 0, num: 0, sum: 0, sumSquares: 0, bucketLimits: [0], buckets: [0] };
  // A constant input gets a unit-wide range around it (as numpy.histogram does).
  const [lo, hi] = min === max ? [min - 0.5, max + 0.5] : [min, max];
  const width = (hi - lo) / bins;
  const buckets = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    buckets[Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
  }
  const bucketLimits = Array.from({ length: bins }, (_, i) => (i === bins - 1 ? hi : lo + (i + 1) * width));
  return { min, max, num, sum, sumSquares, bucketLimits, buckets };
}
