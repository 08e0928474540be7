/**
 * Clip augmentation: ONE random draw per clip (horizontal flip + affine) applied identically to
 * every frame (bilinear) and label map (nearest), as RVOS does (shared reference rvos.md:
 * flip p = 0.5, rotation ±10°, translation ±0.1, shear ±0.1, zoom 0.7–1.4). Pixels that come
 * from outside the image are black in frames and background (0) in labels.
 */
import type { Rng } from '../utils/rng.js';
import type { LabelMap, RgbImage } from './types.js';

export interface AugmentOptions {
  /** Probability of a horizontal flip. */
  flipProb: number;
  /** Maximum |rotation| in degrees. */
  rotation: number;
  /** Maximum |translation| as a fraction of width (x) and height (y). */
  translation: number;
  /** Maximum |shear| angle in radians (torchsample's convention, which the RVOS code used). */
  shear: number;
  /** Zoom factor range [min, max]; > 1 enlarges the content. */
  zoom: [number, number];
}

/** The augmentation of the RVOS training code (shared reference rvos.md, "Augmentation"). */
export const RVOS_AUGMENTATION: AugmentOptions = { flipProb: 0.5, rotation: 10, translation: 0.1, shear: 0.1, zoom: [0.7, 1.4] };

/**
 * A drawn augmentation: output pixel centre (x, y) samples the input at
 * (m[0]·x + m[1]·y + m[2], m[3]·x + m[4]·y + m[5]) (continuous coordinates, pixel centres at +0.5).
 */
export interface AugmentDraw {
  flip: boolean;
  rotation: number;
  translateX: number;
  translateY: number;
  shear: number;
  zoom: number;
  /** Output → input affine map (2x3, row-major). */
  inverse: [number, number, number, number, number, number];
}

/** Builds the output → input map for an image of height x width. */
export function augmentMatrix(d: Omit<AugmentDraw, 'inverse'>, height: number, width: number): AugmentDraw['inverse'] {
  const theta = (d.rotation * Math.PI) / 180;
  // Forward (about the centre): A = zoom · shear · rotation; p_out = c + A (flip(p_in) − c) + t.
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const k = Math.tan(d.shear);
  const a = d.zoom * (cos + k * sin);
  const b = d.zoom * (-sin + k * cos);
  const c = d.zoom * sin;
  const e = d.zoom * cos;
  const det = a * e - b * c;
  const [ia, ib, ic, ie] = [e / det, -b / det, -c / det, a / det];
  const cx = width / 2;
  const cy = height / 2;
  const tx = d.translateX * width;
  const ty = d.translateY * height;
  // q = c + A⁻¹ (p − c − t); then undo the flip: x_in = width − q_x.
  const ox = cx - ia * (cx + tx) - ib * (cy + ty);
  const oy = cy - ic * (cx + tx) - ie * (cy + ty);
  return d.flip ? [-ia, -ib, width - ox, ic, ie, oy] : [ia, ib, ox, ic, ie, oy];
}

/** Draws one augmentation for a clip (always the same number of random draws). */
export function drawAugmentation(rng: Rng, opts: AugmentOptions, height: number, width: number): AugmentDraw {
  const flip = rng.next() < opts.flipProb;
  const rotation = rng.uniform(-opts.rotation, opts.rotation);
  const translateX = rng.uniform(-opts.translation, opts.translation);
  const translateY = rng.uniform(-opts.translation, opts.translation);
  const shear = rng.uniform(-opts.shear, opts.shear);
  const zoom = rng.uniform(opts.zoom[0], opts.zoom[1]);
  const d = { flip, rotation, translateX, translateY, shear, zoom };
  return { ...d, inverse: augmentMatrix(d, height, width) };
}

/** The identity draw (no augmentation). */
export function identityAugmentation(height: number, width: number): AugmentDraw {
  const d = { flip: false, rotation: 0, translateX: 0, translateY: 0, shear: 0, zoom: 1 };
  return { ...d, inverse: augmentMatrix(d, height, width) };
}

function isIdentity(d: AugmentDraw): boolean {
  return !d.flip && d.rotation === 0 && d.translateX === 0 && d.translateY === 0 && d.shear === 0 && d.zoom === 1;
}

/**
 * Warps an RGB image and writes it as floats in [0, 1] into out[offset ..] (HWC); the output has
 * the input's size.
 */
export function warpRgbInto(image: RgbImage, d: AugmentDraw, out: Float32Array, offset: number): void {
  const { width: w, height: h, data } = image;
  if (isIdentity(d)) {
    for (let i = 0; i < w * h * 3; i++) out[offset + i] = data[i]! / 255;
    return;
  }
  const [m0, m1, m2, m3, m4, m5] = d.inverse;
  const inv = 1 / 255;
  for (let y = 0; y < h; y++) {
    // Continuous input position of output pixel centre (x + 0.5, y + 0.5), as a pixel-index
    // coordinate; it advances by (m0, m3) per output pixel along the row.
    let sx = m0 * 0.5 + m1 * (y + 0.5) + m2 - 0.5;
    let sy = m3 * 0.5 + m4 * (y + 0.5) + m5 - 0.5;
    for (let x = 0; x < w; x++, sx += m0, sy += m3) {
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const o = offset + (y * w + x) * 3;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h) {
        const a = (y0 * w + x0) * 3;
        const c = a + w * 3;
        for (let ch = 0; ch < 3; ch++) {
          const top = data[a + ch]! + (data[a + 3 + ch]! - data[a + ch]!) * fx;
          const bottom = data[c + ch]! + (data[c + 3 + ch]! - data[c + ch]!) * fx;
          out[o + ch] = (top + (bottom - top) * fy) * inv;
        }
        continue;
      }
      // Border: neighbours outside the image count as black.
      for (let ch = 0; ch < 3; ch++) {
        let acc = 0;
        for (let j = 0; j < 2; j++) {
          const yy = y0 + j;
          if (yy < 0 || yy >= h) continue;
          const wy = j === 0 ? 1 - fy : fy;
          for (let i = 0; i < 2; i++) {
            const xx = x0 + i;
            if (xx < 0 || xx >= w) continue;
            acc += (i === 0 ? 1 - fx : fx) * wy * data[(yy * w + xx) * 3 + ch]!;
          }
        }
        out[o + ch] = acc * inv;
      }
    }
  }
}

/** Warps a label map with nearest sampling; pixels from outside become 0. */
export function warpLabels(map: LabelMap, d: AugmentDraw): LabelMap {
  if (isIdentity(d)) return map;
  const { width: w, height: h } = map;
  const [m0, m1, m2, m3, m4, m5] = d.inverse;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sx = Math.floor(m0 * (x + 0.5) + m1 * (y + 0.5) + m2);
      const sy = Math.floor(m3 * (x + 0.5) + m4 * (y + 0.5) + m5);
      if (sx >= 0 && sx < w && sy >= 0 && sy < h) out[y * w + x] = map.data[sy * w + sx]!;
    }
  }
  return { width: w, height: h, data: out };
}
