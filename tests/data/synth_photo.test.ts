import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/commands/data.js';
import { composeConfig } from '../../src/config/index.js';
import { labelIds } from '../../src/data/file_sequence.js';
import { readRgbImage } from '../../src/data/image_io.js';
import { readLabelPng } from '../../src/data/palette_png.js';
import { generateSyntheticDataset } from '../../src/data/synth/dataset.js';
import { openPhotoGenerator } from '../../src/data/synth/photo.js';
import { isCutout, listPhotos, loadCutout, loadPool, photoPool, splitPhotos, type Photo } from '../../src/data/synth/photo_library.js';
import { DEFAULT_PHOTO_EFFECTS, resolvePhotoEffects, type PhotoEffects } from '../../src/data/synth/photo_options.js';
import { synthesizePhotoVideo } from '../../src/data/synth/photo_video.js';
import { ensureSyntheticDataset } from '../../src/experiments/run/datasets.js';
import { ConfigError } from '../../src/utils/errors.js';
import { Rng } from '../../src/utils/rng.js';
import { REPO_CONFIGS } from '../config/helpers.js';
import { hashTree, removeDir, tempDir } from './helpers.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));
afterEach(() => vi.restoreAllMocks());
function scratch(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

/** A textured "photograph" whose colour lives in one channel only (0 red, 1 green), so pixels tell which photograph they came from. */
function channelPhoto(width: number, height: number, channel: number, seed: number, flat = false): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data[(y * width + x) * 3 + channel] = flat ? 200 : 120 + ((x * 7 + y * 13 + seed * 29) % 120);
  }
  return data;
}

async function writePhoto(file: string, width: number, height: number, channel: number, seed: number): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(Buffer.from(channelPhoto(width, height, channel, seed)), { raw: { width, height, channels: 3 } })
    .png()
    .toFile(file);
}

/** 16 photographs in nested folders: training-pool ones red, held-out ones green. */
async function photoFolder(): Promise<string> {
  const dir = scratch();
  for (let i = 0; i < 16; i++) {
    const name = `${i % 2 ? 'sub/' : ''}photo-${i}.png`;
    await writePhoto(path.join(dir, name), 200 + 8 * i, 150, photoPool(name) === 'train' ? 0 : 1, i);
  }
  fs.writeFileSync(path.join(dir, 'README.txt'), 'not a photograph');
  return dir;
}

/** Effects that keep colours channel-pure (no casts, noise or occluder from another photograph). */
const pure: Partial<PhotoEffects> = { colorCast: 0, occluderProb: 0 };
const quiet = { noise: 0, flicker: 0 };

describe('photo library', () => {
  it('splits photographs into disjoint pools by file name, whatever the folder', async () => {
    const dir = await photoFolder();
    const names = listPhotos(dir);
    expect(names).toHaveLength(16);
    expect(names).toContain('sub/photo-1.png');
    const pools = splitPhotos(names);
    expect(pools.train.length).toBeGreaterThan(0);
    expect(pools.held_out.length).toBeGreaterThan(0);
    expect(pools.train.filter((n) => pools.held_out.includes(n))).toEqual([]);
    expect([...pools.train, ...pools.held_out].sort()).toEqual(names);
    expect(photoPool('a/b/Photo-3.JPG')).toBe(photoPool('photo-3.jpg'));
    expect(listPhotos(path.join(dir, 'missing'))).toEqual([]);
  });

  it('decodes once at the working size and caches', async () => {
    const dir = await photoFolder();
    const [a] = await loadPool(dir, ['photo-0.png'], 64);
    const [b] = await loadPool(dir, ['photo-0.png'], 64);
    expect(a).toBe(b);
    expect(Math.min(a!.width, a!.height)).toBe(64);
    expect(a!.data.length).toBe(a!.width * a!.height * 3);
  });

  it('rejects bad effects with the config key', () => {
    expect(() => resolvePhotoEffects({ blur: 1 } as Partial<PhotoEffects>)).toThrow(/data\.synth\.photo_effects: unknown key blur/);
    expect(() => resolvePhotoEffects({ shadow: 2 })).toThrow(ConfigError);
    // A slope above 1 would make the top rows pan backwards.
    expect(() => resolvePhotoEffects({ backgroundParallax: 1.2 })).toThrow(/photo_effects\.backgroundParallax must be in \[0, 1\]/);
    expect(() => resolvePhotoEffects({ backgroundFlow: -0.1 })).toThrow(/photo_effects\.backgroundFlow must be a number >= 0/);
    expect(resolvePhotoEffects({ zoom: 0 })).toEqual({ ...DEFAULT_PHOTO_EFFECTS, zoom: 0 });
  });
});

/** An RGBA cutout: a green disc with a spread of blue (photograph-like colour count) on transparency, or a flat one (a drawing). */
async function writeCutout(file: string, size: number, flat: boolean): Promise<void> {
  const data = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const o = (y * size + x) * 4;
      const inside = Math.hypot(x + 0.5 - size / 2, y + 0.5 - size / 2) < size * 0.4;
      data[o + 1] = 200;
      data[o + 2] = flat ? 0 : (x * 37 + y * 91) % 256;
      data[o + 3] = inside ? 255 : 0;
    }
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(Buffer.from(data), { raw: { width: size, height: size, channels: 4 } })
    .png()
    .toFile(file);
}

describe('cutouts', () => {
  it('are files under a cutouts/ folder, cropped to their opaque pixels; flat drawings are dropped', async () => {
    const dir = scratch();
    await writeCutout(path.join(dir, 'cutouts/a/photo.png'), 80, false);
    await writeCutout(path.join(dir, 'cutouts/a/drawing.png'), 80, true);
    expect(isCutout('cutouts/a/photo.png')).toBe(true);
    expect(isCutout('mate/cutouts.jpg')).toBe(false);
    const c = await loadCutout(dir, 'cutouts/a/photo.png', 80);
    expect(c).not.toBeNull();
    expect(c!.width).toBeLessThan(70); // the transparent margin is cropped
    expect(c!.alpha!.length).toBe(c!.width * c!.height);
    expect(await loadCutout(dir, 'cutouts/a/drawing.png', 80)).toBeNull();
  });

  it("label exactly where the cutout's alpha dominates the pixel", async () => {
    const dir = scratch();
    await writeCutout(path.join(dir, 'cutouts/disc.png'), 60, false);
    const disc = (await loadCutout(dir, 'cutouts/disc.png', 60))!;
    const red: Photo = { name: 'red', width: 320, height: 240, data: channelPhoto(320, 240, 0, 0, true) };
    let labelled = 0;
    let wrong = 0;
    for (let seed = 0; seed < 4; seed++) {
      const v = synthesizePhotoVideo(new Rng(seed), { frames: 6, size: [64, 80], objects: [1, 2], difficulty: { ...quiet, speed: 0.06 } }, [red], {
        ...DEFAULT_PHOTO_EFFECTS,
        ...pure,
        cutoutProb: 1,
        shadow: 0,
        shading: 0,
        motionBlur: 1,
      }, [disc]);
      for (let t = 0; t < v.frames.length; t++) {
        const f = v.frames[t]!.data;
        const l = v.labels[t]!.data;
        for (let p = 0; p < l.length; p++) {
          // Red is the background's share of the pixel, green the cutout's.
          if (l[p]! > 0) {
            labelled++;
            if (f[p * 3 + 1]! < f[p * 3]!) wrong++;
          } else if (f[p * 3]! < f[p * 3 + 1]!) wrong++;
        }
      }
    }
    expect(labelled).toBeGreaterThan(300);
    expect(wrong).toBe(0);
  });
});

describe('synthesizePhotoVideo', () => {
  const photo = (channel: number, seed: number, flat = false): Photo => ({ name: `p${seed}`, width: 320, height: 240, data: channelPhoto(320, 240, channel, seed, flat) });
  const pool = [photo(0, 1), photo(1, 2)];
  const opts = { frames: 8, size: [64, 80] as [number, number], objects: [1, 3] as [number, number] };

  it('is a function of the seed', () => {
    const a = synthesizePhotoVideo(new Rng(5), opts, pool, DEFAULT_PHOTO_EFFECTS);
    const b = synthesizePhotoVideo(new Rng(5), opts, pool, DEFAULT_PHOTO_EFFECTS);
    const c = synthesizePhotoVideo(new Rng(6), opts, pool, DEFAULT_PHOTO_EFFECTS);
    expect(a.frames.map((f) => Buffer.from(f.data).toString('base64'))).toEqual(b.frames.map((f) => Buffer.from(f.data).toString('base64')));
    expect(a.labels.map((l) => Array.from(l.data))).toEqual(b.labels.map((l) => Array.from(l.data)));
    expect(Buffer.from(a.frames[0]!.data).equals(Buffer.from(c.frames[0]!.data))).toBe(false);
  });

  it('labels a pixel with the layer that dominates its colour, through motion blur, anti-aliasing and lighting', () => {
    // Background and object come from different flat photographs (one red, one green) and shading
    // and shadows are off, so a pixel's red and green are the background's and the object's
    // shares of it.
    const flatPool = [photo(0, 1, true), photo(1, 2, true)];
    let labelled = 0;
    let blurred = 0;
    let wrong = 0;
    for (let seed = 0; seed < 6; seed++) {
      const v = synthesizePhotoVideo(new Rng(seed), { ...opts, objects: [1, 1], difficulty: { ...quiet, speed: 0.08 } }, flatPool, {
        ...DEFAULT_PHOTO_EFFECTS,
        ...pure,
        motionBlur: 1,
        shading: 0,
        shadow: 0,
      });
      const bgChannel = (() => {
        const l = v.labels[0]!.data;
        const f = v.frames[0]!.data;
        let red = 0;
        for (let p = 0; p < l.length; p++) if (l[p] === 0) red += f[p * 3]! > f[p * 3 + 1]! ? 1 : -1;
        return red > 0 ? 0 : 1;
      })();
      for (let t = 0; t < v.frames.length; t++) {
        const f = v.frames[t]!.data;
        const l = v.labels[t]!.data;
        for (let p = 0; p < l.length; p++) {
          const bgValue = f[p * 3 + bgChannel]!;
          const objValue = f[p * 3 + 1 - bgChannel]!;
          if (l[p]! > 0) {
            labelled++;
            if (objValue < bgValue) wrong++;
            if (bgValue > 20) blurred++; // a mixed (blurred or anti-aliased) pixel the object still dominates
          } else if (bgValue < objValue) {
            wrong++;
          }
        }
      }
    }
    expect(wrong).toBe(0);
    expect(labelled).toBeGreaterThan(1000);
    expect(blurred).toBeGreaterThan(0);
  });

  it('numbers frame-0 objects first; late entrants are absent from frame 0 and appear later', () => {
    let sawLate = false;
    for (let seed = 0; seed < 10; seed++) {
      const v = synthesizePhotoVideo(new Rng(seed), { ...opts, frames: 12, objects: [2, 3], difficulty: { lateObjectProb: 0.8, speed: 0.05 } }, pool, {
        ...DEFAULT_PHOTO_EFFECTS,
        objectScale: [0.15, 0.25],
      });
      const frame0 = new Set(labelIds(v.labels[0]!));
      const all = new Set(v.labels.flatMap((l) => labelIds(l)));
      expect([...all].sort()).toEqual(Array.from({ length: v.objectCount }, (_, i) => i + 1));
      for (let id = 1; id <= v.objectCount; id++) expect(frame0.has(id)).toBe(!v.lateIds.includes(id));
      for (const id of v.lateIds) expect(id).toBeGreaterThan(Math.max(...frame0));
      if (v.lateIds.length > 0) sawLate = true;
    }
    expect(sawLate).toBe(true);
  });
});

describe('a background that moves on its own', () => {
  /** A photograph of smooth random blobs: every shift changes it, so an alignment search finds the true one. */
  const blobs = (seed: number): Photo => {
    const rng = new Rng(seed);
    const width = 400;
    const height = 300;
    const cells = Array.from({ length: 30 * 40 }, () => rng.uniform(40, 220));
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = cells[Math.floor(y / 10) * 40 + Math.floor(x / 10)]! * 0.7 + 60 * Math.sin(x / 4) * Math.cos(y / 5);
        data.fill(Math.max(0, Math.min(255, v)), (y * width + x) * 3, (y * width + x) * 3 + 3);
      }
    }
    return { name: `b${seed}`, width, height, data };
  };
  const pool = [blobs(1), blobs(2)];
  const still = { ...DEFAULT_PHOTO_EFFECTS, ...pure, deform: 0, gait: 0, follow: 0, zoom: 0, shake: 0, defocus: 0, motionBlur: 0, lighting: 0, shadow: 0, objectScale: [0.1, 0.1] as [number, number] };
  const opts = { frames: 4, size: [64, 96] as [number, number], objects: [1, 1] as [number, number] };

  /** Mean |difference| of frames t and t+1 over pixels that are background in both, with frame t+1 shifted by (dx, dy). */
  const residual = (v: ReturnType<typeof synthesizePhotoVideo>, t: number, dx: number, dy: number, rows: [number, number]): number => {
    const [h, w] = opts.size;
    const a = v.frames[t]!.data;
    const b = v.frames[t + 1]!.data;
    let sum = 0;
    let n = 0;
    for (let y = rows[0]; y < rows[1]; y++) {
      for (let x = 12; x < w - 12; x++) {
        const q = (y + dy) * w + x + dx;
        if (y + dy < 0 || y + dy >= h || v.labels[t]!.data[y * w + x] !== 0 || v.labels[t + 1]!.data[q] !== 0) continue;
        sum += Math.abs(a[(y * w + x) * 3]! - b[q * 3]!);
        n++;
      }
    }
    return sum / n;
  };
  /** The integer shift of rows [r0, r1) from frame t to t + 1 (least residual within ±8 px). */
  const shiftOf = (v: ReturnType<typeof synthesizePhotoVideo>, t: number, rows: [number, number]): [number, number] => {
    let best: [number, number] = [0, 0];
    let bestR = Infinity;
    for (let dy = -8; dy <= 8; dy++) {
      for (let dx = -8; dx <= 8; dx++) {
        const r = residual(v, t, dx, dy, rows);
        if (r < bestR) [bestR, best] = [r, [dx, dy]];
      }
    }
    return best;
  };

  it('ripples: under a still camera the background changes between frames only where it flows, and the labels are untouched', () => {
    const quietStill = { ...quiet, cameraPan: 0, speed: 0, acceleration: 0, rotation: 0, scaleChange: 0 };
    for (let seed = 0; seed < 3; seed++) {
      const rigid = synthesizePhotoVideo(new Rng(seed), { ...opts, difficulty: quietStill }, pool, still);
      const rippling = synthesizePhotoVideo(new Rng(seed), { ...opts, difficulty: quietStill }, pool, { ...still, backgroundFlow: 0.08 });
      expect(rippling.labels.map((l) => Array.from(l.data))).toEqual(rigid.labels.map((l) => Array.from(l.data)));
      expect(residual(rigid, 1, 0, 0, [0, 64])).toBe(0);
      expect(residual(rippling, 1, 0, 0, [0, 64])).toBeGreaterThan(0.5);
    }
  });

  it('parallax: under a panning camera the rows below the middle move further than the rows above', () => {
    let panned = 0;
    for (let seed = 0; seed < 6; seed++) {
      const difficulty = { ...quiet, cameraPan: 0.08, speed: 0, acceleration: 0, rotation: 0, scaleChange: 0 };
      const flat = synthesizePhotoVideo(new Rng(seed), { ...opts, difficulty }, pool, still);
      const ground = synthesizePhotoVideo(new Rng(seed), { ...opts, difficulty }, pool, { ...still, backgroundParallax: 0.8 });
      const [fx, fy] = shiftOf(flat, 1, [4, 24]);
      if (Math.hypot(fx, fy) < 3) continue; // the camera barely moved in this video
      panned++;
      expect(shiftOf(flat, 1, [40, 60])).toEqual([fx, fy]);
      const top = shiftOf(ground, 1, [4, 24]);
      const bottom = shiftOf(ground, 1, [40, 60]);
      expect(Math.hypot(...bottom)).toBeGreaterThan(Math.hypot(...top) + 1);
    }
    expect(panned).toBeGreaterThan(0);
  });
});

describe('photographic dataset', () => {
  const base = { trainVideos: 2, valVideos: 1, testVideos: 1, frames: 4, size: [48, 64] as [number, number], objects: [1, 2] as [number, number], seed: 3, difficulty: quiet };

  it('keeps held-out photographs out of training videos and the reverse, and is a function of the seed', async () => {
    const dir = await photoFolder();
    const a = path.join(scratch(), 'a');
    const b = path.join(scratch(), 'b');
    await generateSyntheticDataset({ ...base, out: a, photos: { dir, effects: pure } });
    await generateSyntheticDataset({ ...base, out: b, photos: { dir, effects: pure } });
    expect(hashTree(a)).toBe(hashTree(b));
    const made = JSON.parse(fs.readFileSync(path.join(a, 'synth.json'), 'utf8'));
    expect(made.generator).toBe('rvos synthetic photo v1');
    expect(made.photoLibrary.train.filter((n: string) => made.photoLibrary.held_out.includes(n))).toEqual([]);
    // Training photographs are red, held-out ones green: each split's frames show only its own.
    for (const [split, own, other] of [['train', 0, 1], ['val', 1, 0], ['test', 1, 0]] as const) {
      const seqs = fs.readFileSync(path.join(a, 'ImageSets/2017', `${split}.txt`), 'utf8').trim().split('\n');
      for (const seq of seqs) {
        for (const f of fs.readdirSync(path.join(a, 'JPEGImages/480p', seq))) {
          const img = await readRgbImage(path.join(a, 'JPEGImages/480p', seq, f));
          let sumOwn = 0;
          let sumOther = 0;
          for (let p = 0; p < img.width * img.height; p++) {
            sumOwn += img.data[p * 3 + own]!;
            sumOther += img.data[p * 3 + other]!;
          }
          expect(sumOther / (img.width * img.height)).toBeLessThan(8); // JPEG ringing only
          expect(sumOwn / (img.width * img.height)).toBeGreaterThan(40);
        }
        const labels = await readLabelPng(path.join(a, 'Annotations/480p', seq, '00000.png'));
        expect(labelIds(labels).length).toBeGreaterThan(0);
      }
    }
  });

  it('falls back to the procedural generator, byte for byte, with a one-line note when there are no photographs', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const plain = path.join(scratch(), 'plain');
    const fallback = path.join(scratch(), 'fallback');
    await generateSyntheticDataset({ ...base, out: plain });
    await generateSyntheticDataset({ ...base, out: fallback, photos: { dir: path.join(scratch(), 'no-photos-here') } });
    for (const sub of ['JPEGImages', 'Annotations', 'ImageSets']) expect(hashTree(path.join(fallback, sub))).toBe(hashTree(path.join(plain, sub)));
    const notes = log.mock.calls.map((c) => String(c[0]));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/no-photos-here holds no photographs \(npm run setup:photos fetches them\); using procedural textures/);
    expect(JSON.parse(fs.readFileSync(path.join(fallback, 'synth.json'), 'utf8')).photoLibrary).toBeNull();
    expect(fs.readFileSync(path.join(plain, 'synth.json'), 'utf8')).not.toContain('photo');
  });

  it('refuses a folder whose photographs all fall in one pool', async () => {
    const dir = scratch();
    const name = ['a.png', 'b.png', 'c.png', 'd.png', 'e.png'].find((n) => photoPool(n) === 'train')!;
    await writePhoto(path.join(dir, name), 64, 64, 0, 0);
    await expect(openPhotoGenerator({ dir }, [[32, 32]], ['train', 'held_out'])).rejects.toThrow(/none of its 1 photographs falls in the held-out pool/);
    expect((await openPhotoGenerator({ dir }, [[32, 32]], ['train'])).generator).not.toBeNull();
  });

  it('`rvos data synth --photos` writes a photographic dataset', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const dir = await photoFolder();
    const out = path.join(scratch(), 'cli');
    expect(await run(['synth', '--out', out, '--photos', dir, '--train', '2', '--val', '1', '--test', '1', '--frames', '3', '--size', '40x48'])).toBe(0);
    expect(log.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/wrote 2 train \+ 1 val \+ 1 test videos/);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'synth.json'), 'utf8')).photos).toEqual({ dir });
  });

  it('data=synthetic_photo generates on first use, re-uses it, and notes when photographs appeared after a fallback', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const photos = path.join(scratch(), 'photos');
    const root = path.join(scratch(), 'ds');
    const data = (extra: string[] = []) =>
      composeConfig({
        configDir: REPO_CONFIGS,
        overrides: ['data=synthetic_photo', `data.root=${root}`, `data.synth.photos=${photos}`, 'data.size=[32,32]', 'data.synth.train_videos=2', 'data.synth.val_videos=1', 'data.synth.test_videos=1', 'data.synth.frames=3', ...extra],
      }).config.data;
    expect(await ensureSyntheticDataset(data())).toBe(true); // no photographs yet: procedural fallback
    expect(JSON.parse(fs.readFileSync(path.join(root, 'synth.json'), 'utf8')).photoLibrary).toBeNull();
    fs.cpSync(await photoFolder(), photos, { recursive: true });
    log.mockClear();
    expect(await ensureSyntheticDataset(data())).toBe(false);
    expect(log.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/generated with procedural textures before .* held photographs; delete it to regenerate/);
    fs.rmSync(root, { recursive: true });
    expect(await ensureSyntheticDataset(data())).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(root, 'synth.json'), 'utf8')).generator).toBe('rvos synthetic photo v1');
    await expect(ensureSyntheticDataset(data(['+data.synth.photo_effects.zoom=0']))).rejects.toThrow(/different photos/);
  });

  it('data=synthetic_photo composes with the photographs folder and DAVIS-sized objects', () => {
    const cfg = composeConfig({ configDir: REPO_CONFIGS, overrides: ['data=synthetic_photo', '+data.synth.photo_effects.zoom=0.1'] }).config;
    expect(cfg.data.dataset).toBe('synthetic');
    expect(cfg.data.synth.photos).toBe('data/photos');
    expect(cfg.data.synth.objects).toEqual([1, 3]);
    expect(cfg.data.synth.photo_effects).toEqual({ zoom: 0.1 });
  });
});
