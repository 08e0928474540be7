/**
 * Temporal stability T of DAVIS-2016 (Perazzi et al., CVPR 2016), as described in
 * docs/metrics.md: it compares consecutive PREDICTED masks of one object (no ground
 * truth). For each pair: the longest contour of each mask, resampled so points are ≤ 3 px apart,
 * log-polar shape-context descriptors (12 angle × 5 log-radius bins, radii 1/8..2 of the mean
 * point distance, Belongie et al. 2002), χ² matching costs, and a cyclic dynamic-time-warping
 * alignment; T = mean cost of the aligned pairs × 5. Lower is more stable. The 2017 toolkit
 * dropped T, and this implementation follows the description, not the original (MATLAB/Cython)
 * code: contour tracing and the cyclic alignment may differ in details, so T is reported
 * separately and is not claimed to match published T values.
 */

/** Maximum spacing of resampled contour points, in pixels (DAVIS-2016). */
export const T_CONTOUR_SPACING = 3;
/** Shape-context bins (DAVIS-2016 / Belongie et al.). */
export const T_ANGLE_BINS = 12;
export const T_RADIUS_BINS = 5;
export const T_RADIUS_INNER = 1 / 8;
export const T_RADIUS_OUTER = 2;
/** Scale applied to the mean matched cost (metrics.md). */
export const T_SCALE = 5;

type Point = [number, number]; // [y, x]

// Moore neighbourhood, clockwise starting west (y grows downwards).
const DY = [0, -1, -1, -1, 0, 1, 1, 1];
const DX = [-1, -1, 0, 1, 1, 1, 0, -1];

function directionOf(dy: number, dx: number): number {
  for (let d = 0; d < 8; d++) if (DY[d] === dy && DX[d] === dx) return d;
  return -1;
}

/** Outer contour (Moore-neighbour tracing, 8-connected) of the component holding `start`. */
function traceFrom(mask: Uint8Array, width: number, height: number, start: Point): Point[] {
  const fg = (y: number, x: number) => y >= 0 && y < height && x >= 0 && x < width && mask[y * width + x] !== 0;
  const contour: Point[] = [start];
  let [cy, cx] = start;
  let back = 0; // the west neighbour of the raster-first pixel is background
  let first: Point | null = null;
  for (let guard = 0; guard < 4 * width * height + 8; guard++) {
    let next: Point | null = null;
    let nextBack = 0;
    for (let k = 1; k <= 8; k++) {
      const d = (back + k) % 8;
      const ny = cy + DY[d]!,
        nx = cx + DX[d]!;
      if (fg(ny, nx)) {
        const pd = (back + k - 1) % 8; // the last background pixel checked
        nextBack = directionOf(cy + DY[pd]! - ny, cx + DX[pd]! - nx);
        next = [ny, nx];
        break;
      }
    }
    if (next === null) return contour; // isolated pixel
    if (first === null) first = next;
    else if (cy === start[0] && cx === start[1] && next[0] === first[0] && next[1] === first[1]) break;
    if (!(next[0] === start[0] && next[1] === start[1])) contour.push(next);
    [cy, cx] = next;
    back = nextBack;
  }
  return contour;
}

/** The longest outer contour among the 8-connected components of a mask; [] when empty. */
export function longestContour(mask: Uint8Array, width: number, height: number): Point[] {
  const seen = new Uint8Array(width * height);
  let best: Point[] = [];
  const stack: number[] = [];
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0 || seen[i]) continue;
    const contour = traceFrom(mask, width, height, [Math.floor(i / width), i % width]);
    if (contour.length > best.length) best = contour;
    // Mark the component so its other pixels do not start new traces.
    seen[i] = 1;
    stack.push(i);
    while (stack.length > 0) {
      const j = stack.pop()!;
      const y = Math.floor(j / width),
        x = j % width;
      for (let d = 0; d < 8; d++) {
        const ny = y + DY[d]!,
          nx = x + DX[d]!;
        if (ny < 0 || ny >= height || nx < 0 || nx >= width) continue;
        const k = ny * width + nx;
        if (mask[k] !== 0 && !seen[k]) {
          seen[k] = 1;
          stack.push(k);
        }
      }
    }
  }
  return best;
}

/** Keeps contour points so that consecutive kept points are at most `spacing` apart along the contour. */
export function resampleContour(contour: Point[], spacing = T_CONTOUR_SPACING): Point[] {
  if (contour.length <= 2) return contour.slice();
  const kept: Point[] = [contour[0]!];
  let arc = 0;
  for (let i = 1; i < contour.length; i++) {
    const [py, px] = contour[i - 1]!,
      [y, x] = contour[i]!;
    const step = Math.hypot(y - py, x - px);
    if (arc + step > spacing) {
      kept.push(contour[i - 1]!);
      arc = 0;
    }
    arc += step;
  }
  if (kept[kept.length - 1] !== contour[contour.length - 1]) kept.push(contour[contour.length - 1]!);
  return kept;
}

/** Normalised log-polar shape-context histograms, one row of T_ANGLE_BINS·T_RADIUS_BINS per point. */
export function shapeContexts(points: Point[]): Float64Array[] {
  const n = points.length;
  const dist = new Float64Array(n * n);
  let meanDist = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = Math.hypot(points[i]![0] - points[j]![0], points[i]![1] - points[j]![1]);
      dist[i * n + j] = d;
      dist[j * n + i] = d;
      meanDist += 2 * d;
    }
  }
  meanDist /= Math.max(1, n * (n - 1));
  const logInner = Math.log(T_RADIUS_INNER),
    logOuter = Math.log(T_RADIUS_OUTER);
  // Radial bin edges in pixels: r < edge[0] → bin 0, …, r ≥ outer radius → not counted.
  const edges = Array.from({ length: T_RADIUS_BINS }, (_, k) => meanDist * Math.exp(logInner + ((logOuter - logInner) * k) / (T_RADIUS_BINS - 1)));
  const outer = meanDist * T_RADIUS_OUTER;
  const angleStep = (2 * Math.PI) / T_ANGLE_BINS;
  return points.map(([y, x], i) => {
    const h = new Float64Array(T_ANGLE_BINS * T_RADIUS_BINS);
    let total = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const r = dist[i * n + j]!;
      if (r >= outer) continue;
      let rBin = 0;
      while (rBin < T_RADIUS_BINS - 1 && r >= edges[rBin]!) rBin++;
      let theta = Math.atan2(y - points[j]![0], points[j]![1] - x); // y grows downwards: flip
      if (theta < 0) theta += 2 * Math.PI;
      const aBin = Math.min(T_ANGLE_BINS - 1, Math.floor(theta / angleStep));
      h[rBin * T_ANGLE_BINS + aBin]++;
      total++;
    }
    if (total > 0) for (let k = 0; k < h.length; k++) h[k]! /= total;
    return h;
  });
}

function chiSquare(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) {
    const sum = a[k]! + b[k]!;
    if (sum > 0) s += (a[k]! - b[k]!) ** 2 / sum;
  }
  return 0.5 * s;
}

/** Monotone alignment from (0,0) to (n−1,m−1) minimising the summed cost; returns the path. */
function dtwPath(cost: (i: number, j: number) => number, n: number, m: number): Point[] {
  const acc = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let best = i === 0 && j === 0 ? 0 : Infinity;
      if (i > 0) best = Math.min(best, acc[(i - 1) * m + j]!);
      if (j > 0) best = Math.min(best, acc[i * m + j - 1]!);
      if (i > 0 && j > 0) best = Math.min(best, acc[(i - 1) * m + j - 1]!);
      acc[i * m + j] = best + cost(i, j);
    }
  }
  const path: Point[] = [[n - 1, m - 1]];
  let i = n - 1,
    j = m - 1;
  while (i > 0 || j > 0) {
    const diag = i > 0 && j > 0 ? acc[(i - 1) * m + j - 1]! : Infinity;
    const up = i > 0 ? acc[(i - 1) * m + j]! : Infinity;
    const left = j > 0 ? acc[i * m + j - 1]! : Infinity;
    if (diag <= up && diag <= left) {
      i--;
      j--;
    } else if (up <= left) i--;
    else j--;
    path.push([i, j]);
  }
  return path.reverse();
}

/**
 * T between two binary masks (consecutive predictions); NaN when either mask is empty.
 * Cyclic alignment: a first pass anchored at (0, 0) finds the best-matching pair, both contours
 * are rotated to start there, and the alignment is recomputed.
 */
export function temporalStabilityPair(maskA: Uint8Array, maskB: Uint8Array, width: number, height: number): number {
  const a = resampleContour(longestContour(maskA, width, height));
  const b = resampleContour(longestContour(maskB, width, height));
  if (a.length === 0 || b.length === 0) return Number.NaN;
  const ha = shapeContexts(a),
    hb = shapeContexts(b);
  const n = ha.length,
    m = hb.length;
  const costs = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) costs[i * m + j] = chiSquare(ha[i]!, hb[j]!);
  const first = dtwPath((i, j) => costs[i * m + j]!, n, m);
  let [si, sj] = first[0]!;
  for (const [i, j] of first) if (costs[i * m + j]! < costs[si * m + sj]!) [si, sj] = [i, j];
  const rotated = (i: number, j: number) => costs[((i + si) % n) * m + ((j + sj) % m)]!;
  const path = dtwPath(rotated, n, m);
  const mean = path.reduce((s, [i, j]) => s + rotated(i, j), 0) / path.length;
  return mean * T_SCALE;
}

/** T of one object over a sequence: mean over consecutive frame pairs, pairs with an empty mask skipped. */
export function temporalStability(masks: Uint8Array[], width: number, height: number): { perPair: number[]; mean: number } {
  const perPair: number[] = [];
  for (let t = 0; t + 1 < masks.length; t++) perPair.push(temporalStabilityPair(masks[t]!, masks[t + 1]!, width, height));
  const valid = perPair.filter((v) => !Number.isNaN(v));
  return { perPair, mean: valid.length === 0 ? Number.NaN : valid.reduce((s, v) => s + v, 0) / valid.length };
}
