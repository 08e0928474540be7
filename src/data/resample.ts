/**
 * The two resamplers the data layer needs in JavaScript, without file access (the browser demo
 * resizes frames with the same code as training and `rvos infer`): bilinear for frames, nearest
 * for label maps.
 */
import type { LabelMap, RgbImage } from './types.js';

/** Bilinear resize of interleaved RGB (pixel centres at +0.5, edges clamped). */
export function resizeRgbBilinear(image: RgbImage, height: number, width: number): RgbImage {
  if (image.width === width && image.height === height) return image;
  const { width: sw, height: sh, data: src } = image;
  const out = new Uint8Array(width * height * 3);
  const sx = sw / width;
  const sy = sh / height;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), sh - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, sh - 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), sw - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, sw - 1);
      const wx = fx - x0;
      const a = (y0 * sw + x0) * 3, b = (y0 * sw + x1) * 3, c = (y1 * sw + x0) * 3, d = (y1 * sw + x1) * 3;
      const o = (y * width + x) * 3;
      for (let k = 0; k < 3; k++) {
        const top = src[a + k]! + (src[b + k]! - src[a + k]!) * wx;
        const bottom = src[c + k]! + (src[d + k]! - src[c + k]!) * wx;
        out[o + k] = Math.round(top + (bottom - top) * wy);
      }
    }
  }
  return { width, height, data: out };
}

/** Nearest-neighbour resize of a label map (indices are never mixed). */
export function resizeLabelsNearest(map: LabelMap, height: number, width: number): LabelMap {
  if (map.width === width && map.height === height) return map;
  const out = new Uint8Array(width * height);
  const xs = new Int32Array(width);
  for (let x = 0; x < width; x++) xs[x] = Math.min(Math.floor(((x + 0.5) * map.width) / width), map.width - 1);
  for (let y = 0; y < height; y++) {
    const row = Math.min(Math.floor(((y + 0.5) * map.height) / height), map.height - 1) * map.width;
    for (let x = 0; x < width; x++) out[y * width + x] = map.data[row + xs[x]!]!;
  }
  return { width, height, data: out };
}
