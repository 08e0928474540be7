/**
 * Static textured backgrounds: a few large regions (a noise-warped Voronoi partition) each with
 * its own texture from the shared texture distribution, slow illumination variation, and
 * optional unlabelled distractor shapes. Rendered once per video, larger than the frame when the
 * camera pans, then sampled per frame.
 */
import type { Rng } from '../../utils/rng.js';
import type { ValueNoise } from './noise.js';
import type { SynthDifficulty } from './options.js';
import { drawSprite, paintSprite, type DrawStyle, type SpriteKinds } from './sprite.js';
import { drawTexture, textureColor, textureValue } from './texture.js';

/** Illumination multiplies colours by 1 ± this much, varying over about a frame's size. */
const LIGHTING_AMPLITUDE = 0.2;

export interface BackgroundImage {
  width: number;
  height: number;
  rgb: Float32Array;
}

/** Renders a width x height background; `m` is min(H, W) of the frames (the unit of sizes). */
export function renderBackground(
  rng: Rng,
  noise: ValueNoise,
  width: number,
  height: number,
  m: number,
  d: SynthDifficulty,
  style: DrawStyle,
  kinds: SpriteKinds = {},
): BackgroundImage {
  const period: [number, number] = [d.textureScale[0] * m, d.textureScale[1] * m];
  const regions = rng.int(d.backgroundRegions[0], d.backgroundRegions[1]);
  const textures = Array.from({ length: regions }, () => drawTexture(rng, period, kinds.textures));
  const seeds = textures.map(() => [rng.uniform(0, width), rng.uniform(0, height)] as const);
  const warpAmp = 0.5 * m;
  const warpScale = 1 / (0.6 * m);
  const lightOffset = rng.uniform(0, 100);
  const rgb = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const wx = x + warpAmp * (noise.fbm(x * warpScale + 31.7, y * warpScale, 2) - 0.5);
      const wy = y + warpAmp * (noise.fbm(x * warpScale, y * warpScale + 57.3, 2) - 0.5);
      let best = 0;
      let bestD = Infinity;
      for (let k = 0; k < regions; k++) {
        const dd = (wx - seeds[k]![0]) ** 2 + (wy - seeds[k]![1]) ** 2;
        if (dd < bestD) {
          bestD = dd;
          best = k;
        }
      }
      const t = textures[best]!;
      const o = (y * width + x) * 3;
      textureColor(t, textureValue(t, noise, x, y), rgb, o);
      const light = 1 + LIGHTING_AMPLITUDE * (2 * noise.fbm(x / m + lightOffset, y / m, 2) - 1);
      rgb[o] *= light;
      rgb[o + 1] *= light;
      rgb[o + 2] *= light;
    }
  }
  const canvas = { width, height, rgb, labels: null };
  for (let i = 0; i < d.distractors; i++) {
    const sprite = drawSprite(rng, rng.uniform(d.objectScale[0], d.objectScale[1]) * m, period, kinds);
    const pose = { x: rng.uniform(0, width), y: rng.uniform(0, height), angle: rng.uniform(0, 2 * Math.PI), scale: 1 };
    paintSprite(canvas, sprite, pose, style, noise, 0);
  }
  return { width, height, rgb };
}

/** Bilinear sample of the background with its pixel (0,0) placed at (ox, oy) in frame pixels. */
export function sampleBackground(bg: BackgroundImage, ox: number, oy: number, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max(y - oy, 0), bg.height - 1);
    const y0 = Math.min(Math.floor(fy), bg.height - 2 < 0 ? 0 : bg.height - 2);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max(x - ox, 0), bg.width - 1);
      const x0 = Math.min(Math.floor(fx), bg.width - 2 < 0 ? 0 : bg.width - 2);
      const wx = fx - x0;
      const a = (y0 * bg.width + x0) * 3;
      const b = a + 3;
      const c = a + bg.width * 3;
      const d = c + 3;
      const o = (y * width + x) * 3;
      for (let k = 0; k < 3; k++) {
        const top = bg.rgb[a + k]! + (bg.rgb[b + k]! - bg.rgb[a + k]!) * wx;
        const bottom = bg.rgb[c + k]! + (bg.rgb[d + k]! - bg.rgb[c + k]!) * wx;
        out[o + k] = top + (bottom - top) * wy;
      }
    }
  }
  return out;
}
