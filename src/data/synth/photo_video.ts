/**
 * One photographic synthetic video: a crop of a photograph seen by a moving camera (pan, zoom,
 * handheld jitter), with 1..N objects cut out of other photographs by smooth random silhouettes,
 * moving, turning, growing or shrinking and deforming, occluding each other and possibly hidden by
 * a static foreground occluder, casting soft shadows, shaded from one light direction, moving
 * through light and shade, under a slowly changing exposure and white balance, with motion blur,
 * sensor noise (and JPEG compression when written). What each effect does: docs/synthetic_photo.md.
 *
 * Labels follow the rendered pixels: a pixel belongs to the layer that contributes the most to
 * its colour after alpha compositing (objects, or the background and occluder, which are label 0),
 * so blurred and anti-aliased boundaries are labelled where the object dominates. Objects visible
 * in frame 0 get the lowest ids, objects entering later the next ones (the DAVIS semi-supervised
 * protocol takes the objects of frame 0); objects never visible are dropped.
 */
import type { Rng } from '../../utils/rng.js';
import type { LabelMap, RgbImage } from '../types.js';
import { ValueNoise } from './noise.js';
import { checkVideoOptions, resolveDifficulty, type SynthVideoOptions } from './options.js';
import type { Photo } from './photo_library.js';
import type { PhotoEffects } from './photo_options.js';
import { drawSilhouette, outlineRadius, profileArea, profileAt, type Profile, type Silhouette } from './photo_shape.js';
import { canEnterLate, direction, drawMotion, poseAt, type Motion, type SynthVideo } from './video.js';

/** Attempts at redrawing placements before accepting a frame-0 layout that misses a constraint. */
const LAYOUT_ATTEMPTS = 40;
/** Motion blur: one shutter sample per this many pixels of motion, at most MAX_BLUR_SAMPLES. */
const BLUR_PIXELS_PER_SAMPLE = 1.5;
const MAX_BLUR_SAMPLES = 8;
const GAUSS_MASK = 4095;
/** Candidate crops tried for an object's texture; the most contrasted one is kept. */
const TEXTURE_CANDIDATES = 6;
/** Shadow offset (fraction of min(H, W)) and soft edge (fraction of the object's radius). */
const SHADOW_OFFSET = 0.05;
const SHADOW_SOFTNESS = 0.15;
/** Background blur below this sigma (pixels) is not worth a pass. */
const MIN_DEFOCUS = 0.3;
/** Photographed objects lean at most this much (radians) and spin at this fraction of the rotation knob. */
const CUTOUT_TILT = 0.25;
const CUTOUT_SPIN = 0.3;
/** Camera jitter varies over about this many frames. */
const SHAKE_PERIOD = 3;
/** Illumination patches are about this fraction of min(H, W) across. */
const ILLUMINATION_SCALE = 0.5;
/** The background crop spans this fraction (uniform in [min, 1]) of the largest crop that fits. */
const BACKGROUND_CROP_MIN = 0.6;

interface Camera {
  cx: number;
  cy: number;
  z: number;
}

interface Layer {
  /** Provisional label (1..count); 0 for the unlabelled occluder. */
  id: number;
  sil: Silhouette;
  texture: Photo;
  /** Texture centre (photo pixels), photo pixels per object pixel, texture rotation. */
  tx: number;
  ty: number;
  tk: number;
  tAngle: number;
  /** Motion in world coordinates (frame-0 pixels). */
  motion: Motion;
  late: boolean;
  /** 1 for objects; > 1 for a foreground occluder, which slides faster than the scene when the camera moves. */
  parallax: number;
  /** Radius used for placement (pixels at scale 1). */
  radius: number;
  /** A photographed object with its alpha mask instead of a silhouette and texture (null: silhouette). */
  cutout: Photo | null;
  /** Cutout pixels per object pixel, and 1 or -1 (mirrored). */
  ck: number;
  flip: number;
}

interface FramePose {
  x: number;
  y: number;
  cos: number;
  sin: number;
  /** Frame pixels per object pixel. */
  s: number;
  profile: Profile;
}

/** Adds weight × the bilinear sample of `p` at photo pixel coordinates (x, y) to acc[0..2]. */
function samplePhoto(p: Photo, x: number, y: number, acc: Float32Array, weight: number): void {
  const fx = Math.min(Math.max(x - 0.5, 0), p.width - 1);
  const fy = Math.min(Math.max(y - 0.5, 0), p.height - 1);
  const x0 = Math.min(Math.floor(fx), Math.max(p.width - 2, 0));
  const y0 = Math.min(Math.floor(fy), Math.max(p.height - 2, 0));
  const wx = fx - x0;
  const wy = fy - y0;
  const x1 = Math.min(x0 + 1, p.width - 1);
  const y1 = Math.min(y0 + 1, p.height - 1);
  const a = (y0 * p.width + x0) * 3;
  const b = (y0 * p.width + x1) * 3;
  const c = (y1 * p.width + x0) * 3;
  const d = (y1 * p.width + x1) * 3;
  const k = weight / 255;
  for (let ch = 0; ch < 3; ch++) {
    const top = p.data[a + ch]! + (p.data[b + ch]! - p.data[a + ch]!) * wx;
    const bottom = p.data[c + ch]! + (p.data[d + ch]! - p.data[c + ch]!) * wx;
    acc[ch] = acc[ch]! + (top + (bottom - top) * wy) * k;
  }
}

/** In-place separable Gaussian blur of an RGB float image (edges clamped). */
function gaussianBlur(rgb: Float32Array, w: number, h: number, sigma: number): void {
  const r = Math.ceil(2.5 * sigma);
  const k = Float32Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const sum = k.reduce((a, b) => a + b, 0);
  for (let i = 0; i < k.length; i++) k[i] = k[i]! / sum;
  const tmp = new Float32Array(rgb.length);
  const pass = (src: Float32Array, dst: Float32Array, horizontal: boolean): void => {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let a = 0;
        let b = 0;
        let c = 0;
        for (let i = -r; i <= r; i++) {
          const xx = horizontal ? Math.min(Math.max(x + i, 0), w - 1) : x;
          const yy = horizontal ? y : Math.min(Math.max(y + i, 0), h - 1);
          const o = (yy * w + xx) * 3;
          const kw = k[i + r]!;
          a += src[o]! * kw;
          b += src[o + 1]! * kw;
          c += src[o + 2]! * kw;
        }
        const o = (y * w + x) * 3;
        dst[o] = a;
        dst[o + 1] = b;
        dst[o + 2] = c;
      }
    }
  };
  pass(rgb, tmp, true);
  pass(tmp, rgb, false);
}

/** Adds the bilinear, alpha-premultiplied colour of cutout `c` at (x, y) to acc[0..2]; returns its coverage in [0, 1]. */
function sampleCutout(c: Photo, x: number, y: number, acc: Float32Array): number {
  const alpha = c.alpha!;
  const fx = x - 0.5;
  const fy = y - 0.5;
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const wx = fx - x0;
  const wy = fy - y0;
  let cov = 0;
  for (let j = 0; j < 2; j++) {
    const yy = y0 + j;
    if (yy < 0 || yy >= c.height) continue;
    for (let i = 0; i < 2; i++) {
      const xx = x0 + i;
      if (xx < 0 || xx >= c.width) continue;
      const p = yy * c.width + xx;
      const k = ((i ? wx : 1 - wx) * (j ? wy : 1 - wy) * alpha[p]!) / 255;
      if (k === 0) continue;
      cov += k;
      acc[0] = acc[0]! + (k * c.data[p * 3]!) / 255;
      acc[1] = acc[1]! + (k * c.data[p * 3 + 1]!) / 255;
      acc[2] = acc[2]! + (k * c.data[p * 3 + 2]!) / 255;
    }
  }
  return cov;
}

/** A texture centre inside `p` for a disc of `rad` photo pixels: the most contrasted of a few candidates. */
function pickTextureCentre(rng: Rng, p: Photo, rad: number): [number, number] {
  const span = (size: number): number => (size > 2 * rad ? rng.uniform(rad, size - rad) : size / 2);
  let best: [number, number] = [p.width / 2, p.height / 2];
  let bestStd = -1;
  const acc = new Float32Array(3);
  for (let c = 0; c < TEXTURE_CANDIDATES; c++) {
    const cx = span(p.width);
    const cy = span(p.height);
    let sum = 0;
    let sq = 0;
    let n = 0;
    for (let gy = -2; gy <= 2; gy++) {
      for (let gx = -2; gx <= 2; gx++) {
        acc.fill(0);
        samplePhoto(p, cx + gx * 0.3 * rad, cy + gy * 0.3 * rad, acc, 1);
        const lum = 0.299 * acc[0]! + 0.587 * acc[1]! + 0.114 * acc[2]!;
        sum += lum;
        sq += lum * lum;
        n++;
      }
    }
    const std = Math.sqrt(Math.max(sq / n - (sum / n) ** 2, 0));
    if (std > bestStd) {
      bestStd = std;
      best = [cx, cy];
    }
  }
  return best;
}

/** Renders an in-memory video from photographs; the same rng state, options and pool give the same pixels. */
export function synthesizePhotoVideo(rng: Rng, opts: SynthVideoOptions, pool: readonly Photo[], e: PhotoEffects, cutouts: readonly Photo[] = []): SynthVideo {
  checkVideoOptions(opts);
  if (pool.length === 0) throw new Error('synthesizePhotoVideo needs at least one photograph');
  const d = resolveDifficulty(opts.difficulty);
  const [h, w] = opts.size;
  const T = opts.frames;
  const m = Math.min(h, w);
  const noise = new ValueNoise(rng);

  // Camera: pan velocity, following the lead object (as a camera operator does), zoom over the
  // video, smooth jitter.
  const [panX, panY] = direction(rng, rng.uniform(0, d.cameraPan * m));
  const follow = rng.uniform(0, e.follow);
  const zoomEnd = rng.uniform(-e.zoom, e.zoom);
  const shake = e.shake * m;
  const shakeOffset = rng.uniform(0, 100);
  const camAt = (tau: number): Camera => {
    const lead = poseAt(objects[0]!.motion, tau, T, 0, 0);
    const start = objects[0]!.motion;
    return {
      cx: w / 2 + panX * tau + follow * (lead.x - start.x) + shake * (2 * noise.at(tau / SHAKE_PERIOD + shakeOffset, 3.7) - 1),
      cy: h / 2 + panY * tau + follow * (lead.y - start.y) + shake * (2 * noise.at(tau / SHAKE_PERIOD + shakeOffset, 11.3) - 1),
      z: Math.exp(zoomEnd * (T > 1 ? tau / (T - 1) : 0)),
    };
  };
  const bgIndex = rng.int(0, pool.length - 1);
  const bg = pool[bgIndex]!;
  const acc = new Float32Array(3);

  // Object textures come from other photographs than the background when there are any.
  const otherPhoto = (): Photo => {
    if (pool.length === 1) return pool[0]!;
    const i = rng.int(0, pool.length - 2);
    return pool[i >= bgIndex ? i + 1 : i]!;
  };
  const makeLayer = (id: number, radius: number, sil: Silhouette, late: boolean, parallax: number): Layer => {
    const texture = otherPhoto();
    const rad = radius * 1.2;
    const tk = Math.min(rng.uniform(e.textureZoom[0], e.textureZoom[1]), (0.95 * Math.min(texture.width, texture.height)) / (2 * rad));
    const [tx, ty] = pickTextureCentre(rng, texture, rad * tk);
    const still: Motion = { x: 0, y: 0, vx: 0, vy: 0, ax: 0, ay: 0, angle: 0, spin: 0, logScaleEnd: 0 };
    return { id, sil, texture, tx, ty, tk, tAngle: rng.uniform(0, 2 * Math.PI), motion: still, late, parallax, radius, cutout: null, ck: 1, flip: 1 };
  };
  /** A photographed object: its longer half-side is `radius`; the silhouette is only its bounding circle. */
  const makeCutoutLayer = (id: number, radius: number, late: boolean): Layer => {
    const cutout = cutouts[rng.int(0, cutouts.length - 1)]!;
    const ck = Math.max(cutout.width, cutout.height) / 2 / radius;
    const sil = drawSilhouette(rng, Math.hypot(cutout.width, cutout.height) / 2 / ck, { harmonics: 1, contour: 0, deform: 0, gait: 0 }, [1, 1]);
    const still: Motion = { x: 0, y: 0, vx: 0, vy: 0, ax: 0, ay: 0, angle: 0, spin: 0, logScaleEnd: 0 };
    return { id, sil, texture: cutout, tx: 0, ty: 0, tk: 1, tAngle: 0, motion: still, late, parallax: 1, radius, cutout, ck, flip: rng.next() < 0.5 ? -1 : 1 };
  };

  const count = rng.int(opts.objects[0], opts.objects[1]);
  const objects: Layer[] = [];
  for (let i = 0; i < count; i++) {
    const radius = rng.uniform(e.objectScale[0], e.objectScale[1]) * m;
    const late = i > 0 && rng.next() < d.lateObjectProb && canEnterLate(d, m, T, radius * 1.2);
    if (cutouts.length > 0 && rng.next() < e.cutoutProb) objects.push(makeCutoutLayer(i + 1, radius, late));
    else objects.push(makeLayer(i + 1, radius, drawSilhouette(rng, radius, e), late, 1));
  }
  const placeObjects = (): void => {
    for (const o of objects) {
      o.motion = drawMotion(rng, d, h, w, m, o.late, T, Math.max(o.radius * 1.2, profileAt(o.sil, 0).max));
      // Photographed objects stay roughly upright (an animal on its back looks wrong).
      if (o.cutout !== null) o.motion = { ...o.motion, angle: rng.uniform(-CUTOUT_TILT, CUTOUT_TILT), spin: o.motion.spin * CUTOUT_SPIN };
    }
  };
  /** Coverage of a layer at local coordinates (soft, in [0, 1]); adds its premultiplied colour to acc when `colour`. */
  const cover = (L: Layer, q: FramePose, ux: number, uy: number): number => {
    if (L.cutout === null) return Math.min(Math.max(0.5 + (outlineRadius(q.profile, ux, uy) - Math.hypot(ux, uy)) * q.s, 0), 1);
    acc.fill(0);
    return sampleCutout(L.cutout, L.cutout.width / 2 + L.flip * ux * L.ck, L.cutout.height / 2 + uy * L.ck, acc);
  };
  const areaOf = (L: Layer): number => {
    if (L.cutout === null) return profileArea(profileAt(L.sil, 0));
    let opaque = 0;
    for (const a of L.cutout.alpha!) if (a >= 128) opaque++;
    return opaque / (L.ck * L.ck);
  };
  placeObjects();
  let occluder: Layer | null = null;
  if (rng.next() < e.occluderProb) {
    // A pole or a branch: a long thin shape near the camera, static in the world.
    const radius = rng.uniform(0.6, 0.9) * m;
    const sil = drawSilhouette(rng, radius, { harmonics: e.harmonics, contour: 0.1, deform: 0, gait: 0 }, [0.06, 0.14]);
    occluder = makeLayer(0, radius, sil, false, rng.uniform(1.3, 2));
    occluder.motion = { ...occluder.motion, x: rng.uniform(0.1 * w, 0.9 * w), y: rng.uniform(0.3 * h, 0.7 * h), angle: Math.PI / 2 + rng.uniform(-0.6, 0.6) };
  }
  const layers = [...rng.shuffle(objects.slice()), ...(occluder === null ? [] : [occluder])]; // back to front

  const cam0 = camAt(0);
  const poseOf = (L: Layer, tau: number, cam: Camera): FramePose => {
    const p = poseAt(L.motion, tau, T, 0, 0);
    const px = p.x - (L.parallax - 1) * (cam.cx - cam0.cx);
    const py = p.y - (L.parallax - 1) * (cam.cy - cam0.cy);
    return {
      x: (px - cam.cx) * cam.z + w / 2,
      y: (py - cam.cy) * cam.z + h / 2,
      cos: Math.cos(p.angle),
      sin: Math.sin(p.angle),
      s: p.scale * cam.z,
      profile: profileAt(L.sil, tau),
    };
  };

  /** Visits the pixels of the posed outline's box (plus pad): fn(p, lx, ly, dx, dy). */
  const forBox = (q: FramePose, pad: number, fn: (p: number, lx: number, ly: number, dx: number, dy: number) => void): void => {
    const r = q.profile.max * q.s + pad;
    const x0 = Math.max(0, Math.floor(q.x - r));
    const x1 = Math.min(w, Math.ceil(q.x + r));
    const y0 = Math.max(0, Math.floor(q.y - r));
    const y1 = Math.min(h, Math.ceil(q.y + r));
    const inv = 1 / q.s;
    for (let y = y0; y < y1; y++) {
      const dy = y + 0.5 - q.y;
      for (let x = x0; x < x1; x++) {
        const dx = x + 0.5 - q.x;
        fn(y * w + x, (q.cos * dx + q.sin * dy) * inv, (-q.sin * dx + q.cos * dy) * inv, dx, dy);
      }
    }
  };

  // Frame-0 layout: frame-0 objects mostly visible (after occlusion), late ones out of sight.
  const frame0Ok = (): boolean => {
    const labels = new Uint8Array(w * h);
    for (const L of layers) {
      const q = poseOf(L, 0, cam0);
      forBox(q, 1, (p, ux, uy) => {
        if (cover(L, q, ux, uy) >= 0.5) labels[p] = L.id;
      });
    }
    const visible = new Int32Array(count + 1);
    for (const v of labels) visible[v]!++;
    return objects.every((o) => (o.late ? visible[o.id] === 0 : visible[o.id]! >= d.minVisibleFraction * areaOf(o)));
  };
  for (let attempt = 1; attempt < LAYOUT_ATTEMPTS && !frame0Ok(); attempt++) placeObjects();

  // A background that moves on its own (drawn only when asked, so videos without it keep their
  // pixels): a ground plane whose rows pan at different speeds (parallax) and a region that
  // ripples like water or leaves in the wind.
  const depthSlope = e.backgroundParallax > 0 ? rng.uniform(0, e.backgroundParallax) : 0;
  const flow = e.backgroundFlow > 0 ? drawBackgroundFlow(rng, e.backgroundFlow * m, m) : null;
  /** How fast a background row pans relative to the objects' plane: > 1 below the middle (nearer), < 1 above. */
  const depthOf = (y: number): number => 1 + depthSlope * (2 * ((y + 0.5) / h) - 1);

  // Background: the world region every camera window covers (at every depth), mapped into one
  // photograph.
  let bx0 = Infinity;
  let bx1 = -Infinity;
  let by0 = Infinity;
  let by1 = -Infinity;
  const reach = 1 + (flow === null ? 0 : flow.amplitude);
  for (let tau = -0.5; tau <= T - 0.5 + 1e-9; tau += 0.25) {
    const c = camAt(tau);
    for (const k of depthSlope > 0 ? [1 - depthSlope, 1 + depthSlope] : [1]) {
      const x = k === 1 ? c.cx : cam0.cx + k * (c.cx - cam0.cx);
      const y = k === 1 ? c.cy : cam0.cy + k * (c.cy - cam0.cy);
      bx0 = Math.min(bx0, x - w / 2 / c.z - reach);
      bx1 = Math.max(bx1, x + w / 2 / c.z + reach);
      by0 = Math.min(by0, y - h / 2 / c.z - reach);
      by1 = Math.max(by1, y + h / 2 / c.z + reach);
    }
  }
  const bgK = Math.min(bg.width / (bx1 - bx0), bg.height / (by1 - by0)) * rng.uniform(BACKGROUND_CROP_MIN, 1);
  const bgOx = rng.uniform(0, bg.width - (bx1 - bx0) * bgK) - bx0 * bgK;
  const bgOy = rng.uniform(0, bg.height - (by1 - by0) * bgK) - by0 * bgK;


  // Lighting: a sun direction for shading and shadows; exposure and white balance drifting over
  // the video; a static field of light and shade in the world.
  const lightAngle = rng.uniform(0, 2 * Math.PI);
  const lx = Math.cos(lightAngle);
  const ly = Math.sin(lightAngle);
  const gainAmp = rng.uniform(-e.lighting, e.lighting);
  const gainFreq = rng.uniform(0.25, 1);
  const gainPhase = rng.uniform(0, 2 * Math.PI);
  const castFrom = [0, 1, 2].map(() => rng.uniform(-e.colorCast, e.colorCast) / 2);
  const castTo = [0, 1, 2].map(() => rng.uniform(-e.colorCast, e.colorCast) / 2);
  const illumOffset = rng.uniform(0, 100);
  const illumScale = 1 / (ILLUMINATION_SCALE * m);
  const gaussians = Float32Array.from({ length: GAUSS_MASK + 1 }, () => rng.normal());
  // Depth of field: the objects are in focus, the background more or less out of it.
  const defocus = e.defocus * m * rng.next();

  const frames: RgbImage[] = [];
  const labels: LabelMap[] = [];
  for (let t = 0; t < T; t++) {
    // Shutter samples: enough that the fastest moving pixel advances ~1.5 px between samples.
    let n = 1;
    if (e.motionBlur > 0) {
      const ta = t - e.motionBlur / 2;
      const tb = t + e.motionBlur / 2;
      const ca = camAt(ta);
      const cb = camAt(tb);
      let disp = Math.hypot(cb.cx - ca.cx, cb.cy - ca.cy) * cb.z + Math.abs(Math.log(cb.z / ca.z)) * m;
      for (const L of layers) {
        const a = poseOf(L, ta, ca);
        const b = poseOf(L, tb, cb);
        const turn = Math.abs(Math.atan2(a.cos * b.sin - a.sin * b.cos, a.cos * b.cos + a.sin * b.sin));
        disp = Math.max(disp, Math.hypot(b.x - a.x, b.y - a.y) + (turn + Math.abs(Math.log(b.s / a.s))) * b.profile.max * b.s);
      }
      n = Math.min(MAX_BLUR_SAMPLES, Math.max(1, Math.ceil(disp / BLUR_PIXELS_PER_SAMPLE)));
    }
    const taus = Array.from({ length: n }, (_, j) => (n === 1 ? t : t + e.motionBlur * ((j + 0.5) / n - 0.5)));
    const cams = taus.map(camAt);

    // Background: the photograph through each shutter sample's camera (2x2 supersampled when
    // sharp), each row at its depth, displaced where it ripples (the ripple at the frame's time).
    const rgb = new Float32Array(w * h * 3);
    const sub = n === 1 ? [-0.25, 0.25] : [0];
    const weight = 1 / (n * sub.length * sub.length);
    const camT = camAt(t);
    for (let y = 0; y < h; y++) {
      const k = depthOf(y);
      for (let x = 0; x < w; x++) {
        let fx = 0;
        let fy = 0;
        if (flow !== null) [fx, fy] = flowAt(flow, noise, camT.cx + (x + 0.5 - w / 2) / camT.z, camT.cy + (y + 0.5 - h / 2) / camT.z, t);
        acc.fill(0);
        for (const c of cams) {
          const ox = (k === 1 ? c.cx : cam0.cx + k * (c.cx - cam0.cx)) + fx;
          const oy = (k === 1 ? c.cy : cam0.cy + k * (c.cy - cam0.cy)) + fy;
          for (const sy of sub) {
            for (const sx of sub) {
              const wx = ox + (x + 0.5 + sx - w / 2) / c.z;
              const wy = oy + (y + 0.5 + sy - h / 2) / c.z;
              samplePhoto(bg, bgOx + wx * bgK, bgOy + wy * bgK, acc, weight);
            }
          }
        }
        const o = (y * w + x) * 3;
        rgb[o] = acc[0]!;
        rgb[o + 1] = acc[1]!;
        rgb[o + 2] = acc[2]!;
      }
    }

    if (defocus >= MIN_DEFOCUS) gaussianBlur(rgb, w, h, defocus);

    // Layers back to front; label weights: w0 (label 0), and the strongest object so far.
    const w0 = new Float32Array(w * h).fill(1);
    const wb = new Float32Array(w * h);
    const idb = new Uint8Array(w * h);
    const alpha = new Float32Array(w * h);
    const color = new Float32Array(w * h * 3);
    const mark = new Uint8Array(w * h);
    for (const L of layers) {
      const poses = taus.map((tau, j) => poseOf(L, tau, cams[j]!));
      const mid = poseOf(L, t, camAt(t));
      if (L.id > 0 && e.shadow > 0) {
        // Soft shadow cast away from the light onto whatever lies beneath.
        const off = SHADOW_OFFSET * m * mid.s;
        const shadowPose = { ...mid, x: mid.x - lx * off, y: mid.y - ly * off };
        forBox(shadowPose, 2 + SHADOW_SOFTNESS * mid.profile.max * mid.s, (p, ux, uy) => {
          let cov: number;
          if (L.cutout !== null) cov = cover(L, shadowPose, ux, uy);
          else {
            const rb = outlineRadius(shadowPose.profile, ux, uy);
            cov = Math.min(Math.max(0.5 + (rb - Math.hypot(ux, uy)) / (SHADOW_SOFTNESS * rb), 0), 1);
          }
          const keep = 1 - e.shadow * cov;
          rgb[p * 3] *= keep;
          rgb[p * 3 + 1] *= keep;
          rgb[p * 3 + 2] *= keep;
        });
      }
      // Accumulate coverage and premultiplied colour over the shutter samples.
      const touched: number[] = [];
      const tc = Math.cos(L.tAngle);
      const ts = Math.sin(L.tAngle);
      for (const q of poses) {
        const reach = q.profile.max + 0.5 / q.s;
        forBox(q, 2, (p, ux, uy, dx, dy) => {
          const rho = Math.hypot(ux, uy);
          if (rho >= reach) return;
          const cov = cover(L, q, ux, uy); // fills acc with a cutout's premultiplied colour
          if (cov <= 0) return;
          if (mark[p] === 0) {
            mark[p] = 1;
            touched.push(p);
          }
          let shade: number;
          if (L.cutout === null) {
            const rb = outlineRadius(q.profile, ux, uy);
            acc.fill(0);
            samplePhoto(L.texture, L.tx + (tc * ux - ts * uy) * L.tk, L.ty + (ts * ux + tc * uy) * L.tk, acc, 1);
            const lit = 1 + e.shading * Math.min(Math.max((dx * lx + dy * ly) / (rb * q.s), -1), 1);
            shade = (lit * (1 - 0.5 * e.shading * (rho / rb) ** 4) * cov) / n;
          } else {
            // The photograph already has its own shading; only the scene's light direction is added.
            shade = (1 + 0.5 * e.shading * Math.min(Math.max((dx * lx + dy * ly) / (q.profile.max * q.s), -1), 1)) / n;
          }
          alpha[p] += cov / n;
          color[p * 3] += acc[0]! * shade;
          color[p * 3 + 1] += acc[1]! * shade;
          color[p * 3 + 2] += acc[2]! * shade;
        });
      }
      for (const p of touched) {
        mark[p] = 0;
        const a = Math.min(alpha[p]!, 1);
        const keep = 1 - a;
        rgb[p * 3] = rgb[p * 3]! * keep + color[p * 3]!;
        rgb[p * 3 + 1] = rgb[p * 3 + 1]! * keep + color[p * 3 + 1]!;
        rgb[p * 3 + 2] = rgb[p * 3 + 2]! * keep + color[p * 3 + 2]!;
        w0[p] *= keep;
        wb[p] *= keep;
        if (L.id === 0) w0[p] += a;
        else if (a > wb[p]!) {
          wb[p] = a;
          idb[p] = L.id;
        }
        alpha[p] = 0;
        color[p * 3] = 0;
        color[p * 3 + 1] = 0;
        color[p * 3 + 2] = 0;
      }
    }

    // Light and shade in the world, exposure, white balance, flicker, sensor noise.
    const u = T > 1 ? t / (T - 1) : 0;
    const gain = Math.exp(gainAmp * Math.sin(2 * Math.PI * gainFreq * u + gainPhase)) * (1 + d.flicker * rng.normal());
    const channelGain = [0, 1, 2].map((c) => gain * Math.exp(castFrom[c]! + (castTo[c]! - castFrom[c]!) * u));
    const cam = camAt(t);
    const data = new Uint8Array(w * h * 3);
    const label = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const p = y * w + x;
        const wx = cam.cx + (x + 0.5 - w / 2) / cam.z;
        const wy = cam.cy + (y + 0.5 - h / 2) / cam.z;
        const light = 1 + e.illumination * (2 * noise.fbm(wx * illumScale + illumOffset, wy * illumScale, 2) - 1);
        for (let c = 0; c < 3; c++) {
          const v = rgb[p * 3 + c]! * light * channelGain[c]! + (d.noise > 0 ? d.noise * gaussians[rng.nextUint32() & GAUSS_MASK]! : 0);
          data[p * 3 + c] = Math.round(Math.min(Math.max(v, 0), 1) * 255);
        }
        label[p] = wb[p]! > w0[p]! ? idb[p]! : 0;
      }
    }
    frames.push({ width: w, height: h, data });
    labels.push({ width: w, height: h, data: label });
  }
  return relabel(frames, labels, count);
}

/** A rippling part of the background: where (a smooth world-fixed region) and how much (pixels). */
interface BackgroundFlow {
  amplitude: number;
  /** 1 / the ripples' size and 1 / the region's size (per world pixel). */
  freq: number;
  regionFreq: number;
  /** Region where the value noise exceeds this (so the share that ripples varies by video). */
  level: number;
  /** Ripple change per frame (noise units) and noise offsets, so x, y and the region differ. */
  speed: number;
  offsets: [number, number, number];
}

/** Ripples about 0.1-0.25 of min(H, W) across, changing over 2-5 frames; 20-100% of the background. */
function drawBackgroundFlow(rng: Rng, maxAmplitude: number, m: number): BackgroundFlow {
  return {
    amplitude: rng.uniform(0.3, 1) * maxAmplitude,
    freq: 1 / (rng.uniform(0.1, 0.25) * m),
    regionFreq: 1 / (0.5 * m),
    level: rng.uniform(0.3, 0.75),
    speed: rng.uniform(0.2, 0.5),
    offsets: [rng.uniform(0, 100), rng.uniform(100, 200), rng.uniform(200, 300)],
  };
}

/** The ripple's displacement (world pixels) at a world point and time; 0 outside the region (soft edge). */
function flowAt(f: BackgroundFlow, noise: ValueNoise, wx: number, wy: number, t: number): [number, number] {
  const region = Math.min(Math.max((noise.fbm(wx * f.regionFreq + f.offsets[2], wy * f.regionFreq, 2) - f.level) / 0.1 + 0.5, 0), 1);
  if (region === 0) return [0, 0];
  const a = f.amplitude * region;
  const u = wx * f.freq;
  const v = wy * f.freq + f.speed * t;
  return [a * (2 * noise.fbm(u + f.offsets[0], v, 2) - 1), a * (2 * noise.fbm(u + f.offsets[1], v, 2) - 1)];
}

/** Ids by first appearance: frame-0 objects first (in provisional order), then late entrants; unseen objects dropped. */
function relabel(frames: RgbImage[], labels: LabelMap[], count: number): SynthVideo {
  const inFrame0 = new Set(labels[0]!.data);
  const seen = new Set<number>();
  for (const l of labels) for (const v of l.data) seen.add(v);
  const order = [...Array.from({ length: count }, (_, i) => i + 1).filter((id) => inFrame0.has(id)), ...Array.from({ length: count }, (_, i) => i + 1).filter((id) => !inFrame0.has(id) && seen.has(id))];
  const map = new Uint8Array(256);
  order.forEach((id, i) => (map[id] = i + 1));
  for (const l of labels) for (let p = 0; p < l.data.length; p++) l.data[p] = map[l.data[p]!]!;
  const frame0Count = order.filter((id) => inFrame0.has(id)).length;
  return { frames, labels, objectCount: order.length, lateIds: order.slice(frame0Count).map((_, i) => frame0Count + i + 1) };
}
