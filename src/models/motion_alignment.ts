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

/** For each zoom the translation search on the luminance; `previous` warped by the best zoom and shift. */
function alignOverZooms(previous: tf.Tensor4D, frame: tf.Tensor4D, zooms: readonly number[]): tf.Tensor4D {
  const [b, h, w, c] = frame.shape;
  const radius = Math.max(1, Math.round(ALIGNMENT_RADIUS_FRACTION * Math.min(h, w)));
  const prev = previous.dataSync() as Float32Array;
  const cur = frame.dataSync() as Float32Array;
  const out = new Float32Array(prev.length);
  const size = h * w * c;
  for (let i = 0; i < b; i++) {
    const p = prev.subarray(i * size, (i + 1) * size);
    const [lp, lc] = [luminance(p, h, w, c), luminance(cur.subarray(i * size, (i + 1) * size), h, w, c)];
    const zoomed = new Float32Array(h * w);
    let best = { zoom: 1, dy: 0, dx: 0, cost: Infinity };
    for (const zoom of zooms) {
      if (zoom !== 1) warpBilinear(lp, zoomed, h, w, 1, zoom, 0, 0);
      const found = searchTranslation(zoom === 1 ? lp : zoomed, lc, h, w, radius);
      if (found.cost < best.cost) best = { zoom, ...found };
    }
    warpBilinear(p, out.subarray(i * size, (i + 1) * size), h, w, c, best.zoom, best.dy, best.dx);
  }
  return tf.tensor4d(out, [b, h, w, c]);
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
      const x0 = Math.floor(sx),
        x1 = Math.min(w - 1, x0 + 1),
        fx = sx - x0;
      const o = (y * w + x) * c;
      const a = (y0 * w + x0) * c,
        b = (y0 * w + x1) * c,
        d = (y1 * w + x0) * c,
        e = (y1 * w + x1) * c;
      for (let k = 0; k < c; k++) {
        out[o + k] = (1 - fy) * ((1 - fx) * src[a + k]! + fx * src[b + k]!) + fy * ((1 - fx) * src[d + k]! + fx * src[e + k]!);
      }
    }
  }
}
