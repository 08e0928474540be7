/**
 * Procedural textures. Objects and background regions draw their textures from the SAME
 * distribution (`drawTexture`), so no colour or pattern statistic separates "object" from
 * "background" globally; an object differs from what surrounds it only locally (its own random
 * pattern, colours and boundary). This keeps the task from being solvable by colour thresholds.
 */
import type { Rng } from '../../utils/rng.js';
import type { ValueNoise } from './noise.js';

export type TextureKind = 'noise' | 'stripes' | 'spots' | 'checker' | 'marble' | 'rings' | 'waves' | 'flat' | 'hatch' | 'gradient';
/** The kinds the original generator draws from (in this order: the draw indexes it). */
export const V1_TEXTURE_KINDS: readonly TextureKind[] = ['noise', 'stripes', 'spots', 'checker', 'marble'];
/** Every kind, for the varied generator's texture sets. */
export const TEXTURE_KINDS: readonly TextureKind[] = [...V1_TEXTURE_KINDS, 'rings', 'waves', 'flat', 'hatch', 'gradient'];

export interface TextureParams {
  kind: TextureKind;
  /** 2 or 3 colours (RGB in [0, 1]) the pattern value blends between. */
  colors: [number, number, number][];
  /** Pattern period in pixels. */
  period: number;
  angle: number;
  /** Amount of noise displacement of the pattern. */
  warp: number;
  offsetX: number;
  offsetY: number;
}

function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const f = (n: number): number => {
    const k = (n + h * 6) % 6;
    return v - v * s * Math.max(0, Math.min(k, 4 - k, 1));
  };
  return [f(5), f(3), f(1)];
}

/** Draws texture parameters; `period` is [min, max] in pixels; `kinds` the set to draw from. */
export function drawTexture(rng: Rng, period: [number, number], kinds: readonly TextureKind[] = V1_TEXTURE_KINDS): TextureParams {
  const hue = rng.next();
  const base = hsvToRgb(hue, rng.uniform(0.15, 0.85), rng.uniform(0.25, 0.95));
  const colors: [number, number, number][] = [base];
  const n = rng.next() < 0.3 ? 3 : 2;
  for (let i = 1; i < n; i++) {
    // Second/third colour: a hue step that is usually small (tonal textures), sometimes large.
    const dh = rng.next() < 0.6 ? rng.uniform(-0.08, 0.08) : rng.uniform(0.2, 0.8);
    colors.push(hsvToRgb((hue + dh + 1) % 1, rng.uniform(0.1, 0.9), rng.uniform(0.15, 1)));
  }
  return {
    kind: kinds[rng.int(0, kinds.length - 1)]!,
    colors,
    period: Math.exp(rng.uniform(Math.log(period[0]), Math.log(period[1]))),
    angle: rng.uniform(0, Math.PI),
    warp: rng.uniform(0, 1),
    offsetX: rng.uniform(0, 200),
    offsetY: rng.uniform(0, 200),
  };
}

function smoothstep(e0: number, e1: number, x: number): number {
  const t = Math.min(Math.max((x - e0) / (e1 - e0), 0), 1);
  return t * t * (3 - 2 * t);
}

/** Pattern value in [0, 1] at (x, y) pixels. */
export function textureValue(p: TextureParams, noise: ValueNoise, x: number, y: number): number {
  const c = Math.cos(p.angle);
  const s = Math.sin(p.angle);
  const u0 = (c * x + s * y) / p.period + p.offsetX;
  const v0 = (-s * x + c * y) / p.period + p.offsetY;
  const w = p.warp * (noise.at(u0 * 0.5, v0 * 0.5) - 0.5);
  const u = u0 + w;
  const v = v0 + w;
  switch (p.kind) {
    case 'noise':
      return noise.fbm(u, v, 3);
    case 'stripes':
      return 0.5 + 0.5 * Math.sin(2 * Math.PI * u);
    case 'marble':
      return 0.5 + 0.5 * Math.sin(2 * Math.PI * u + 5 * noise.fbm(u * 0.7, v * 0.7, 3));
    case 'checker':
      return smoothstep(-0.3, 0.3, Math.sin(Math.PI * u) * Math.sin(Math.PI * v));
    case 'rings':
      return 0.5 + 0.5 * Math.sin(2 * Math.PI * Math.hypot(u - p.offsetX - 0.5, v - p.offsetY - 0.5));
    case 'waves':
      return 0.5 + 0.25 * Math.sin(2 * Math.PI * u) + 0.25 * Math.sin(2 * Math.PI * (0.6 * u + 0.8 * v));
    case 'flat':
      // Nearly uniform colour: only a faint noise, so the object is told apart by its colour and edge alone.
      return 0.15 * noise.fbm(u, v, 2);
    case 'hatch':
      return Math.max(smoothstep(0.6, 0.8, Math.sin(2 * Math.PI * u)), smoothstep(0.6, 0.8, Math.sin(2 * Math.PI * v)));
    case 'gradient':
      return 0.5 + 0.5 * Math.tanh(0.3 * (u - p.offsetX - 2));
    case 'spots': {
      const cx = Math.floor(u);
      const cy = Math.floor(v);
      const jx = cx + 0.25 + 0.5 * noise.at(cx * 3 + 0.5, cy * 7 + 0.5);
      const jy = cy + 0.25 + 0.5 * noise.at(cx * 5 + 0.5, cy * 11 + 0.5);
      const d = Math.hypot(u - jx, v - jy);
      return 1 - smoothstep(0.18, 0.32, d);
    }
  }
}

/** Writes the colour for pattern value t (blend along the colour list) into out[o..o+2]. */
export function textureColor(p: TextureParams, t: number, out: Float32Array, o: number): void {
  const last = p.colors.length - 1;
  const f = Math.min(Math.max(t, 0), 1) * last;
  const i = Math.min(Math.floor(f), last - 1);
  const a = p.colors[i]!;
  const b = p.colors[i + 1]!;
  const k = f - i;
  out[o] = a[0] + (b[0] - a[0]) * k;
  out[o + 1] = a[1] + (b[1] - a[1]) * k;
  out[o + 2] = a[2] + (b[2] - a[2]) * k;
}

/** Renders a texture into a width x height RGB float image whose pixel (0,0) is at (x0, y0). */
export function renderTexture(p: TextureParams, noise: ValueNoise, width: number, height: number, x0: number, y0: number): Float32Array {
  const out = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) textureColor(p, textureValue(p, noise, x + x0, y + y0), out, (y * width + x) * 3);
  }
  return out;
}
