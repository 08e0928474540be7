/**
 * A textured shape drawn into a float RGB canvas: used for moving objects (with a label id) and
 * for static background distractors (without). Pixel centres are at (x + 0.5, y + 0.5).
 */
import type { Rng } from '../../utils/rng.js';
import type { ValueNoise } from './noise.js';
import { boundaryRadius, drawShape, type Shape, type ShapeKind } from './shapes.js';
import { drawTexture, textureColor, textureValue, type TextureKind, type TextureParams } from './texture.js';

/** The shape and texture kinds a video draws from (absent: the original generator's sets). */
export interface SpriteKinds {
  shapes?: readonly ShapeKind[];
  textures?: readonly TextureKind[];
}

export interface Sprite {
  shape: Shape;
  texture: TextureParams;
}

export interface Pose {
  /** Centre in canvas pixels. */
  x: number;
  y: number;
  angle: number;
  scale: number;
}

export interface Canvas {
  width: number;
  height: number;
  rgb: Float32Array;
  /** Label per pixel, or null when drawing without labels. */
  labels: Uint8Array | null;
}

export interface DrawStyle {
  /** Rim darkening 0..1. */
  outline: number;
  /** Shadow darkening 0..1 and its offset in pixels at scale 1. */
  shadow: number;
  shadowDx: number;
  shadowDy: number;
}

export function drawSprite(rng: Rng, radius: number, texturePeriod: [number, number], kinds: SpriteKinds = {}): Sprite {
  return { shape: drawShape(rng, radius, kinds.shapes), texture: drawTexture(rng, texturePeriod, kinds.textures) };
}

/** Pixel bounds [x0, x1) × [y0, y1) of a pose's shape (plus `pad`), clipped to the canvas. */
function bounds(c: Canvas, sprite: Sprite, pose: Pose, pad: number): [number, number, number, number] {
  const r = sprite.shape.radius * pose.scale + pad;
  return [
    Math.max(0, Math.floor(pose.x - r)),
    Math.min(c.width, Math.ceil(pose.x + r)),
    Math.max(0, Math.floor(pose.y - r)),
    Math.min(c.height, Math.ceil(pose.y + r)),
  ];
}

/** Visits the canvas pixels inside the posed shape: fn(pixel index, local x, local y, rim). */
function forEachInside(c: Canvas, sprite: Sprite, pose: Pose, fn: (p: number, lx: number, ly: number, rim: boolean) => void): void {
  const [x0, x1, y0, y1] = bounds(c, sprite, pose, 1);
  const cos = Math.cos(pose.angle);
  const sin = Math.sin(pose.angle);
  const inv = 1 / pose.scale;
  for (let y = y0; y < y1; y++) {
    const dy = y + 0.5 - pose.y;
    for (let x = x0; x < x1; x++) {
      const dx = x + 0.5 - pose.x;
      const lx = (cos * dx + sin * dy) * inv;
      const ly = (-sin * dx + cos * dy) * inv;
      const rho = Math.sqrt(lx * lx + ly * ly);
      const rb = boundaryRadius(sprite.shape, lx, ly);
      if (rho <= rb) fn(y * c.width + x, lx, ly, rho > rb - inv);
    }
  }
}

/** Draws shadow, then the textured shape (labels set to `id` when the canvas has labels). */
export function paintSprite(c: Canvas, sprite: Sprite, pose: Pose, style: DrawStyle, noise: ValueNoise, id: number): void {
  if (style.shadow > 0) {
    const keep = 1 - style.shadow;
    const shadowPose = { ...pose, x: pose.x + style.shadowDx * pose.scale, y: pose.y + style.shadowDy * pose.scale };
    forEachInside(c, sprite, shadowPose, (p) => {
      c.rgb[p * 3] *= keep;
      c.rgb[p * 3 + 1] *= keep;
      c.rgb[p * 3 + 2] *= keep;
    });
  }
  const rimKeep = 1 - style.outline;
  forEachInside(c, sprite, pose, (p, lx, ly, rim) => {
    textureColor(sprite.texture, textureValue(sprite.texture, noise, lx, ly), c.rgb, p * 3);
    if (rim) {
      c.rgb[p * 3] *= rimKeep;
      c.rgb[p * 3 + 1] *= rimKeep;
      c.rgb[p * 3 + 2] *= rimKeep;
    }
    if (c.labels !== null) c.labels[p] = id;
  });
}

/** Area of the shape at `scale` (½∮r²dφ), for visibility fractions. */
export function spriteArea(sprite: Sprite, scale: number): number {
  const prof = sprite.shape.profile;
  let sum = 0;
  for (let k = 0; k < prof.length; k++) sum += prof[k]! * prof[k]!;
  return 0.5 * sum * ((2 * Math.PI) / prof.length) * scale * scale;
}

/** Marks the labels of a posed shape without painting (layout checks). */
export function stampLabels(c: Canvas, sprite: Sprite, pose: Pose, id: number): void {
  const labels = c.labels!;
  forEachInside(c, sprite, pose, (p) => {
    labels[p] = id;
  });
}
