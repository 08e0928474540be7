/**
 * One synthetic multi-object video: textured shapes moving smoothly (velocity, acceleration,
 * rotation, scale change) over a textured background, occluding each other in a fixed depth
 * order, leaving and entering the frame, with an optional camera pan. Labels are object ids
 * 1..N; objects visible in frame 0 get the lowest ids, late entrants the highest (so the DAVIS
 * semi-supervised protocol, which takes N from frame 0, ignores them).
 */
import type { Rng } from '../../utils/rng.js';
import type { LabelMap, RgbImage } from '../types.js';
import { VOID_LABEL } from '../types.js';
import { renderBackground, sampleBackground } from './background.js';
import { ValueNoise } from './noise.js';
import { checkVideoOptions, resolveDifficulty, type SynthDifficulty, type SynthVideoOptions } from './options.js';
import { drawSprite, paintSprite, spriteArea, stampLabels, type DrawStyle, type Pose, type Sprite } from './sprite.js';

export interface SynthVideo {
  frames: RgbImage[];
  /** Label maps (ids 1..N, 255 void band when configured), one per frame. */
  labels: LabelMap[];
  /** Number of objects (ids 1..objectCount). */
  objectCount: number;
  /** Ids of objects that are not visible in frame 0 and enter later. */
  lateIds: number[];
}

export interface Motion {
  x: number; y: number; vx: number; vy: number; ax: number; ay: number;
  angle: number; spin: number; logScaleEnd: number;
}

interface SynthObject {
  id: number;
  sprite: Sprite;
  late: boolean;
  motion: Motion;
}

/** Attempts at redrawing object placements before accepting a layout that misses a constraint. */
const LAYOUT_ATTEMPTS = 40;
const GAUSS_MASK = 4095;
/** A late object's centre starts this many radii outside the border. */
const LATE_MARGIN = 1.1;
/** Late objects move at up to this multiple of the speed limit (they must cross the border). */
const LATE_MAX_SPEED = 1.2;

/** Whether an object of this radius can start outside the frame and enter before the last frame. */
export function canEnterLate(d: SynthDifficulty, m: number, frames: number, radius: number): boolean {
  return frames > 1 && LATE_MARGIN * radius * Math.exp(d.scaleChange) <= LATE_MAX_SPEED * d.speed * m * (frames - 1);
}

export function poseAt(m: Motion, t: number, frames: number, camX: number, camY: number): Pose {
  const u = frames > 1 ? t / (frames - 1) : 0;
  return {
    x: m.x + m.vx * t + 0.5 * m.ax * t * t - camX,
    y: m.y + m.vy * t + 0.5 * m.ay * t * t - camY,
    angle: m.angle + m.spin * t,
    scale: Math.exp(m.logScaleEnd * u),
  };
}

export function direction(rng: Rng, length: number): [number, number] {
  const a = rng.uniform(0, 2 * Math.PI);
  return [Math.cos(a) * length, Math.sin(a) * length];
}

/** Draws a motion: frame-0 objects start inside the frame; late ones start outside, heading in. */
export function drawMotion(rng: Rng, d: SynthDifficulty, h: number, w: number, m: number, late: boolean, frames: number, radius: number): Motion {
  const [ax, ay] = direction(rng, rng.uniform(0, d.acceleration * m));
  const common = { ax, ay, angle: rng.uniform(0, 2 * Math.PI), spin: rng.uniform(-d.rotation, d.rotation), logScaleEnd: rng.uniform(-d.scaleChange, d.scaleChange) };
  if (!late) {
    const [vx, vy] = direction(rng, rng.uniform(0, d.speed * m));
    return { x: rng.uniform(0.1 * w, 0.9 * w), y: rng.uniform(0.1 * h, 0.9 * h), vx, vy, ...common };
  }
  // Enter through a random side: the centre crosses the border at frame te, late enough that the
  // whole shape (radius at up to the largest scale) is outside the frame at t = 0.
  const needed = (LATE_MARGIN * radius * Math.exp(d.scaleChange)) / Math.max(frames - 1, 1);
  const speed = rng.uniform(Math.max(0.6 * d.speed * m, needed), Math.max(LATE_MAX_SPEED * d.speed * m, needed));
  const minTe = Math.ceil((LATE_MARGIN * radius * Math.exp(d.scaleChange)) / Math.max(speed, 1e-9));
  const te = rng.int(Math.min(minTe, frames - 1), frames - 1);
  const side = rng.int(0, 3);
  const along = rng.uniform(0.2, 0.8);
  const [ex, ey, dx, dy] = [[along * w, 0, 0, 1], [along * w, h, 0, -1], [0, along * h, 1, 0], [w, along * h, -1, 0]][side]!;
  const vx = dx * speed;
  const vy = dy * speed;
  return { x: ex! - vx * te - 0.5 * ax * te * te, y: ey! - vy * te - 0.5 * ay * te * te, vx, vy, ...common };
}

function voidBand(labels: Uint8Array, w: number, h: number, band: number): Uint8Array {
  if (band <= 0) return labels;
  const out = labels.slice();
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = labels[y * w + x]!;
      let edge = false;
      for (let dy = -band; dy <= band && !edge; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -band; dx <= band; dx++) {
          const xx = x + dx;
          if (xx >= 0 && xx < w && labels[yy * w + xx] !== v) {
            edge = true;
            break;
          }
        }
      }
      if (edge) out[y * w + x] = VOID_LABEL;
    }
  }
  return out;
}

/** Renders an in-memory video; the same rng state and options always give the same pixels. */
export function synthesizeVideo(rng: Rng, opts: SynthVideoOptions): SynthVideo {
  checkVideoOptions(opts);
  const d = resolveDifficulty(opts.difficulty);
  const [h, w] = opts.size;
  const T = opts.frames;
  const m = Math.min(h, w);
  const noise = new ValueNoise(rng);
  const light = rng.uniform(0, 2 * Math.PI);
  const style: DrawStyle = { outline: d.outline, shadow: d.shadow, shadowDx: Math.cos(light) * 0.04 * m, shadowDy: Math.sin(light) * 0.04 * m };
  const [panX, panY] = direction(rng, rng.uniform(0, d.cameraPan * m));
  const camAt = (t: number): [number, number] => [panX * t, panY * t];
  // The background spans every camera position: frame + pan extent, plus 2 px for interpolation.
  const extentX = Math.abs(panX) * Math.max(T - 1, 0);
  const extentY = Math.abs(panY) * Math.max(T - 1, 0);
  const bgW = Math.ceil(w + extentX) + 2;
  const bgH = Math.ceil(h + extentY) + 2;
  const bgX0 = Math.min(0, panX * (T - 1)) - 1; // world x of background pixel 0
  const bgY0 = Math.min(0, panY * (T - 1)) - 1;
  const kinds = { shapes: opts.shapes, textures: opts.textures };
  const background = renderBackground(rng, noise, bgW, bgH, m, d, style, kinds);

  const count = rng.int(opts.objects[0], opts.objects[1]);
  const period: [number, number] = [d.textureScale[0] * m, d.textureScale[1] * m];
  const drafts = Array.from({ length: count }, (_, i) => {
    const sprite = drawSprite(rng, rng.uniform(d.objectScale[0], d.objectScale[1]) * m, period, kinds);
    const wantsLate = i > 0 && rng.next() < d.lateObjectProb; // object 1 is always in frame 0
    return { sprite, late: wantsLate && canEnterLate(d, m, T, sprite.shape.radius) };
  });
  drafts.sort((a, b) => Number(a.late) - Number(b.late)); // frame-0 objects first → lowest ids
  const objects: SynthObject[] = drafts.map(({ sprite, late }, i) => ({
    id: i + 1,
    sprite,
    late,
    motion: drawMotion(rng, d, h, w, m, late, T, sprite.shape.radius),
  }));
  const depthOrder = rng.shuffle(objects.slice()); // back to front

  const frame0Ok = (): boolean => {
    const canvas = { width: w, height: h, rgb: new Float32Array(0), labels: new Uint8Array(w * h) };
    for (const o of depthOrder) stampLabels(canvas, o.sprite, poseAt(o.motion, 0, T, 0, 0), o.id);
    const visible = new Int32Array(count + 1);
    for (const v of canvas.labels) visible[v]!++;
    return objects.every((o) => (o.late ? visible[o.id] === 0 : visible[o.id]! >= d.minVisibleFraction * spriteArea(o.sprite, 1)));
  };
  for (let attempt = 1; attempt < LAYOUT_ATTEMPTS && !frame0Ok(); attempt++) {
    for (const o of objects) o.motion = drawMotion(rng, d, h, w, m, o.late, T, o.sprite.shape.radius);
  }

  // Pixel noise reads a table of normal draws at random positions (Box–Muller per pixel is slow).
  const gaussians = Float32Array.from({ length: GAUSS_MASK + 1 }, () => rng.normal());
  const frames: RgbImage[] = [];
  const labels: LabelMap[] = [];
  for (let t = 0; t < T; t++) {
    const [cx, cy] = camAt(t);
    const rgb = sampleBackground(background, bgX0 - cx, bgY0 - cy, w, h);
    const canvas = { width: w, height: h, rgb, labels: new Uint8Array(w * h) };
    for (const o of depthOrder) paintSprite(canvas, o.sprite, poseAt(o.motion, t, T, cx, cy), style, noise, o.id);
    const gain = 1 + d.flicker * rng.normal();
    const data = new Uint8Array(w * h * 3);
    for (let i = 0; i < data.length; i++) {
      const v = rgb[i]! * gain + (d.noise > 0 ? d.noise * gaussians[rng.nextUint32() & GAUSS_MASK]! : 0);
      data[i] = Math.round(Math.min(Math.max(v, 0), 1) * 255);
    }
    frames.push({ width: w, height: h, data });
    labels.push({ width: w, height: h, data: voidBand(canvas.labels, w, h, d.voidBand) });
  }
  return { frames, labels, objectCount: count, lateIds: objects.filter((o) => o.late).map((o) => o.id) };
}
