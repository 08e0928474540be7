/**
 * Camera-motion compensation for the motion input (`model.motion_alignment: translation`; not in
 * RVOS). The light encoder's motion cue is the difference between a frame and the previous one.
 * When the camera pans, every textured background region differs as much as a moving object
 * does, and the cue no longer says what moves by itself. Here the previous frame is first shifted
 * by the global translation that best explains the current one, so the background cancels and
 * what is left are objects that move against it: the classic motion-compensated frame difference
 * of moving-object detection (global motion estimated, then subtracted).
 *
 * The translation is found per batch item on the luminance: the integer shift within ±radius
 * pixels with the least mean absolute difference over the overlap, refined to a fraction of a
 * pixel by a parabola through its neighbours in x and in y. The previous frame is then resampled
 * bilinearly at that shift, with edge pixels repeated outside it. Frames are inputs, not
 * parameters, so this runs on plain arrays and the result is a constant for the tape.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Search radius as a fraction of the frame's shorter side (3 px at 64x64). */
export const ALIGNMENT_RADIUS_FRACTION = 0.05;

/** `previous` [B, H, W, C] moved by the global translation that best matches `frame`. */
export function alignPrevious(previous: tf.Tensor4D, frame: tf.Tensor4D): tf.Tensor4D {
  return alignOverZooms(previous, frame, [1]);
}

function luminance(x: Float32Array, h: number, w: number, c: number): Float32Array {
  const y = new Float32Array(h * w);
  if (c === 1) y.set(x);
  else for (let p = 0; p < h * w; p++) y[p] = 0.299 * x[p * c]! + 0.587 * x[p * c + 1]! + 0.114 * x[p * c + 2]!;
  return y;
}

/**
 * The (dy, dx) such that current(y, x) ≈ previous(y − dy, x − dx): integer search, then a
 * sub-pixel parabola per axis (kept within half a pixel).
 */
export function estimateTranslation(previous: Float32Array, current: Float32Array, h: number, w: number, radius: number): [number, number] {
  const { dy, dx } = searchTranslation(previous, current, h, w, radius);
  return [dy, dx];
}

/** estimateTranslation's search, with the mean absolute difference at the best integer shift. */
function searchTranslation(previous: Float32Array, current: Float32Array, h: number, w: number, radius: number): { dy: number; dx: number; cost: number } {
  const side = 2 * radius + 1;
  const cost = new Float64Array(side * side);
  let best = 0;
  for (let dy = -radius; dy <= radius; dy++) {
    for (let dx = -radius; dx <= radius; dx++) {
      let sum = 0;
      const y0 = Math.max(0, dy),
        y1 = Math.min(h, h + dy);
      const x0 = Math.max(0, dx),
        x1 = Math.min(w, w + dx);
      for (let y = y0; y < y1; y++) {
        const row = y * w,
          prow = (y - dy) * w - dx;
        for (let x = x0; x < x1; x++) sum += Math.abs(current[row + x]! - previous[prow + x]!);
      }
      const k = (dy + radius) * side + dx + radius;
      cost[k] = sum / ((y1 - y0) * (x1 - x0));
      if (cost[k]! < cost[best]!) best = k;
    }
  }
  return subpixelMinimum(cost, best, radius);
}

/**
 * The shift at index `best` of a (2 radius + 1)² cost grid (row-major, dy by dx), refined to a
 * fraction of a pixel by a parabola per axis through its neighbours (kept within half a pixel),
 * and the cost there.
 */
function subpixelMinimum(cost: Float64Array, best: number, radius: number): { dy: number; dx: number; cost: number } {
  const side = 2 * radius + 1;
  const by = Math.floor(best / side),
    bx = best % side;
  const refine = (minus: number | undefined, at: number, plus: number | undefined): number => {
    if (minus === undefined || plus === undefined) return 0;
    const curvature = minus - 2 * at + plus;
    return curvature > 0 ? Math.max(-0.5, Math.min(0.5, (minus - plus) / (2 * curvature))) : 0;
  };
  const at = cost[best]!;
  const fy = refine(by > 0 ? cost[best - side] : undefined, at, by < side - 1 ? cost[best + side] : undefined);
  const fx = refine(bx > 0 ? cost[best - 1] : undefined, at, bx < side - 1 ? cost[best + 1] : undefined);
  return { dy: by - radius + fy, dx: bx - radius + fx, cost: at };
}

/**
 * Zoom factors a frame may have against the previous one in `alignPreviousZoom`: up to 3% either
 * way (the photographic synthetic camera zooms by at most e^0.25 over a 12-frame video, ~2% a frame).
 */
export const ALIGNMENT_ZOOMS = [1 / 1.03, 1 / 1.015, 1, 1.015, 1.03];

/**
 * `previous` [B, H, W, C] zoomed about the frame's centre and moved by the zoom and translation
 * that best match `frame` (a zooming camera, which a translation alone leaves as motion along
 * the frame's edges): for each zoom of ALIGNMENT_ZOOMS the translation search of alignPrevious,
 * and the zoom whose best shift differs least.
 */
export function alignPreviousZoom(previous: tf.Tensor4D, frame: tf.Tensor4D): tf.Tensor4D {
  return alignOverZooms(previous, frame, ALIGNMENT_ZOOMS);
}

/** Blocks of the affine alignment: about this fraction of the short side across (8 px at 120). */
export const AFFINE_BLOCK_FRACTION = 1 / 15;
/** A block whose luminance varies less than this (std, in [0, 1]) has no shift to find and is left out. */
const AFFINE_MIN_BLOCK_STD = 0.02;
/** The affine fit is kept only with at least this many textured blocks (else the translation is used). */
const AFFINE_MIN_BLOCKS = 8;

/**
 * `previous` [B, H, W, C] warped by the affine motion that best explains `frame` (a camera over a
 * scene with depth: a ground plane's rows move at different speeds under a pan, a zoom moves the
 * edges outward, and a translation or a zoom leaves both as motion). Each textured block of about
 * AFFINE_BLOCK_FRACTION of the short side gets its own shift (the translation search, within the
 * same radius); an affine map (x, y) → shift is fitted to the blocks' shifts by least squares,
 * reweighted so that blocks on moving objects (far from the fit) drop out (Tukey's biweight,
 * 5 rounds); the previous frame is resampled at (y − dy(x, y), x − dx(x, y)).
 */
export function alignPreviousAffine(previous: tf.Tensor4D, frame: tf.Tensor4D): tf.Tensor4D {
  const [, h, w, c] = frame.shape;
  const side = Math.max(4, Math.round(AFFINE_BLOCK_FRACTION * Math.min(h, w)));
  return alignItems(previous, frame, (p, lp, lc, out, radius) => {
    const blocks = blockShifts(lp, lc, h, w, side, radius);
    let field = blocks.length >= AFFINE_MIN_BLOCKS ? fitAffine(blocks) : null;
    if (field === null) {
      const { dy, dx } = searchTranslation(lp, lc, h, w, radius);
      field = { dy: [dy, 0, 0], dx: [dx, 0, 0] };
    }
    warpAffine(p, out, h, w, c, field);
  });
}

/**
 * The previous frame [B, H, W, C] warped, item by item, by `warp`, which gets the item's previous
 * frame, both luminances, where to write and the search radius (ALIGNMENT_RADIUS_FRACTION).
 */
function alignItems(
  previous: tf.Tensor4D,
  frame: tf.Tensor4D,
  warp: (p: Float32Array, lp: Float32Array, lc: Float32Array, out: Float32Array, radius: number) => void,
): tf.Tensor4D {
  const [b, h, w, c] = frame.shape;
  const radius = Math.max(1, Math.round(ALIGNMENT_RADIUS_FRACTION * Math.min(h, w)));
  const prev = previous.dataSync() as Float32Array;
  const cur = frame.dataSync() as Float32Array;
  const out = new Float32Array(prev.length);
  const size = h * w * c;
  for (let i = 0; i < b; i++) {
    const p = prev.subarray(i * size, (i + 1) * size);
    warp(p, luminance(p, h, w, c), luminance(cur.subarray(i * size, (i + 1) * size), h, w, c), out.subarray(i * size, (i + 1) * size), radius);
  }
  return tf.tensor4d(out, [b, h, w, c]);
}

/** A shift field: dy = dy[0] + dy[1] x + dy[2] y, dx likewise (pixels). */
interface AffineShift {
  dy: [number, number, number];
  dx: [number, number, number];
}

/** A block's centre (pixel-corner coordinates) and the shift found for it. */
interface BlockShift {
  x: number;
  y: number;
  dy: number;
  dx: number;
}

/** The shift of each textured side x side block that lies at least `radius` inside the frame. */
function blockShifts(prev: Float32Array, cur: Float32Array, h: number, w: number, side: number, radius: number): BlockShift[] {
  const out: BlockShift[] = [];
  const n = side * side;
  for (let y0 = radius; y0 + side + radius <= h; y0 += side) {
    for (let x0 = radius; x0 + side + radius <= w; x0 += side) {
      let sum = 0;
      let sq = 0;
      for (let y = y0; y < y0 + side; y++)
        for (let x = x0; x < x0 + side; x++) {
          sum += cur[y * w + x]!;
          sq += cur[y * w + x]! * cur[y * w + x]!;
        }
      if (Math.sqrt(Math.max(0, sq / n - (sum / n) ** 2)) < AFFINE_MIN_BLOCK_STD) continue;
      const { dy, dx } = searchBlock(prev, cur, w, x0, y0, side, radius);
      out.push({ x: x0 + side / 2, y: y0 + side / 2, dy, dx });
    }
  }
  return out;
}

/**
 * The shift of the side x side block of `cur` at (y0, x0) against `prev` moved within ±radius (the
 * block lies that far inside the frame), by the sum of squared differences (near its minimum a
 * parabola, so the sub-pixel step is closer to the true shift than on absolute differences; the
 * affine fit needs the fractions).
 */
function searchBlock(prev: Float32Array, cur: Float32Array, w: number, x0: number, y0: number, side: number, radius: number): { dy: number; dx: number } {
  const n = 2 * radius + 1;
  const cost = new Float64Array(n * n);
  let best = 0;
  for (let dy = -radius; dy <= radius; dy++) {
    for (let dx = -radius; dx <= radius; dx++) {
      let sum = 0;
      for (let y = y0; y < y0 + side; y++) {
        const row = y * w;
        const prow = (y - dy) * w - dx;
        for (let x = x0; x < x0 + side; x++) sum += (cur[row + x]! - prev[prow + x]!) ** 2;
      }
      const k = (dy + radius) * n + dx + radius;
      cost[k] = sum;
      if (sum < cost[best]!) best = k;
    }
  }
  return subpixelMinimum(cost, best, radius);
}

/** Weighted least squares of the affine shift field over the blocks, reweighted by Tukey's biweight. */
function fitAffine(blocks: readonly BlockShift[]): AffineShift | null {
  const weights = new Float64Array(blocks.length).fill(1);
  let fit: AffineShift | null = null;
  for (let round = 0; round < 5; round++) {
    // Normal equations of [1, x, y] for both components (the same 3x3 matrix).
    const m = [0, 0, 0, 0, 0, 0, 0, 0, 0];
    const ry = [0, 0, 0];
    const rx = [0, 0, 0];
    blocks.forEach((bk, j) => {
      const wj = weights[j]!;
      const a = [1, bk.x, bk.y];
      for (let r = 0; r < 3; r++) {
        for (let k = 0; k < 3; k++) m[r * 3 + k] += wj * a[r]! * a[k]!;
        ry[r] += wj * a[r]! * bk.dy;
        rx[r] += wj * a[r]! * bk.dx;
      }
    });
    const sy = solve3(m, ry);
    const sx = solve3(m, rx);
    if (sy === null || sx === null) return fit;
    fit = { dy: sy, dx: sx };
    const residuals = blocks.map((bk) => Math.hypot(bk.dy - (sy[0] + sy[1] * bk.x + sy[2] * bk.y), bk.dx - (sx[0] + sx[1] * bk.x + sx[2] * bk.y)));
    const sorted = [...residuals].sort((a, b) => a - b);
    // Scale: the median residual (floored at half a pixel, the search's own precision).
    const cut = 4.685 * Math.max(0.5, 1.4826 * sorted[Math.floor(sorted.length / 2)]!);
    residuals.forEach((r, j) => (weights[j] = r < cut ? (1 - (r / cut) ** 2) ** 2 : 0));
  }
  return fit;
}

/** Solves the 3x3 system m z = r (row-major m) by Cramer's rule; null when it is singular. */
function solve3(m: readonly number[], r: readonly number[]): [number, number, number] | null {
  const det = (a: readonly number[]) =>
    a[0]! * (a[4]! * a[8]! - a[5]! * a[7]!) - a[1]! * (a[3]! * a[8]! - a[5]! * a[6]!) + a[2]! * (a[3]! * a[7]! - a[4]! * a[6]!);
  const d = det(m);
  if (!(Math.abs(d) > 1e-9)) return null;
  const col = (k: number) => m.map((v, i) => (i % 3 === k ? r[Math.floor(i / 3)]! : v));
  return [det(col(0)) / d, det(col(1)) / d, det(col(2)) / d];
}

/** out(y, x) = src(y − dy(x, y), x − dx(x, y)), bilinear, clamped to the frame. */
function warpAffine(src: Float32Array, out: Float32Array, h: number, w: number, c: number, f: AffineShift): void {
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // Block centres were in pixel-corner coordinates (x0 + side / 2), as x + 0.5 is here.
      const sy = Math.min(h - 1, Math.max(0, y - (f.dy[0] + f.dy[1] * (x + 0.5) + f.dy[2] * (y + 0.5))));
      const sx = Math.min(w - 1, Math.max(0, x - (f.dx[0] + f.dx[1] * (x + 0.5) + f.dx[2] * (y + 0.5))));
      const y0 = Math.floor(sy);
      sampleBilinear(src, out, (y * w + x) * c, w, c, y0, Math.min(h - 1, y0 + 1), sy - y0, sx);
    }
  }
}

/**
 * out[o..o + c) = the bilinear sample of `src` (h x w x c) between rows y0 and y1 (weight fy on y1)
 * at column sx (within [0, w − 1]).
 */
function sampleBilinear(src: Float32Array, out: Float32Array, o: number, w: number, c: number, y0: number, y1: number, fy: number, sx: number): void {
  const x0 = Math.floor(sx),
    x1 = Math.min(w - 1, x0 + 1),
    fx = sx - x0;
  const a = (y0 * w + x0) * c,
    b = (y0 * w + x1) * c,
    d = (y1 * w + x0) * c,
    e = (y1 * w + x1) * c;
  for (let k = 0; k < c; k++) {
    out[o + k] = (1 - fy) * ((1 - fx) * src[a + k]! + fx * src[b + k]!) + fy * ((1 - fx) * src[d + k]! + fx * src[e + k]!);
  }
}

/** For each zoom the translation search on the luminance; `previous` warped by the best zoom and shift. */
function alignOverZooms(previous: tf.Tensor4D, frame: tf.Tensor4D, zooms: readonly number[]): tf.Tensor4D {
  const [, h, w, c] = frame.shape;
  return alignItems(previous, frame, (p, lp, lc, out, radius) => {
    const zoomed = new Float32Array(h * w);
    let best = { zoom: 1, dy: 0, dx: 0, cost: Infinity };
    for (const zoom of zooms) {
      if (zoom !== 1) warpBilinear(lp, zoomed, h, w, 1, zoom, 0, 0);
      const found = searchTranslation(zoom === 1 ? lp : zoomed, lc, h, w, radius);
      if (found.cost < best.cost) best = { zoom, ...found };
    }
    warpBilinear(p, out, h, w, c, best.zoom, best.dy, best.dx);
  });
}

/**
 * out(y, x) = src(y', x') with (y', x') the centre plus ((y, x) − centre − (dy, dx)) / zoom: src
 * zoomed by `zoom` about the frame's centre, then moved by (dy, dx); bilinear, clamped to the frame.
 * Zoom 1 is the plain shift out(y, x) = src(y − dy, x − dx).
 */
function warpBilinear(src: Float32Array, out: Float32Array, h: number, w: number, c: number, zoom: number, dy: number, dx: number): void {
  const [cy, cx] = [(h - 1) / 2, (w - 1) / 2];
  for (let y = 0; y < h; y++) {
    const sy = Math.min(h - 1, Math.max(0, zoom === 1 ? y - dy : cy + (y - cy - dy) / zoom));
    const y0 = Math.floor(sy),
      y1 = Math.min(h - 1, y0 + 1),
      fy = sy - y0;
    for (let x = 0; x < w; x++) {
      const sx = Math.min(w - 1, Math.max(0, zoom === 1 ? x - dx : cx + (x - cx - dx) / zoom));
      sampleBilinear(src, out, (y * w + x) * c, w, c, y0, y1, fy, sx);
    }
  }
}
