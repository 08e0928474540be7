/**
 * Options of the synthetic video generator. Sizes and speeds are fractions of min(H, W) so a
 * difficulty means the same thing at 64x64 and at 480p.
 */
import { ConfigError } from '../../utils/errors.js';
import { SHAPE_KINDS, type ShapeKind } from './shapes.js';
import { TEXTURE_KINDS, type TextureKind } from './texture.js';

/** The knobs that make synthetic videos harder or easier. */
export interface SynthDifficulty {
  /** Object radius range at scale 1, as a fraction of min(H, W). */
  objectScale: [number, number];
  /** Maximum object speed, fraction of min(H, W) per frame. */
  speed: number;
  /** Maximum acceleration, fraction of min(H, W) per frame². */
  acceleration: number;
  /** Maximum rotation speed, radians per frame. */
  rotation: number;
  /** Maximum |log scale| change of an object over the whole video (0.3 → ×0.74 … ×1.35). */
  scaleChange: number;
  /** Maximum camera pan speed, fraction of min(H, W) per frame (0 = static camera). */
  cameraPan: number;
  /** Probability that an object enters the frame after frame 0 (it gets the highest ids). */
  lateObjectProb: number;
  /** Fraction of each frame-0 object's area that must be visible in frame 0 (layout is redrawn otherwise). */
  minVisibleFraction: number;
  /** Number of differently textured background regions [min, max]. */
  backgroundRegions: [number, number];
  /** Darkening of a 1-pixel rim along object boundaries, 0..1 (0 = no outline). */
  outline: number;
  /** Darkening of the drop shadow objects cast on what lies beneath, 0..1. */
  shadow: number;
  /** Std of per-pixel Gaussian noise, in [0, 1] intensity units. */
  noise: number;
  /** Std of per-frame global brightness change. */
  flicker: number;
  /** Texture pattern period range, fraction of min(H, W). */
  textureScale: [number, number];
  /** Static, unlabelled shapes in the background drawn like objects (distractors for zero-shot). */
  distractors: number;
  /** Width in pixels of the void (255) band written around object boundaries (0 = none). */
  voidBand: number;
  /** JPEG quality of written frames (1..100). */
  jpegQuality: number;
}

export const DEFAULT_DIFFICULTY: SynthDifficulty = {
  objectScale: [0.13, 0.26],
  speed: 0.03,
  acceleration: 0.002,
  rotation: 0.05,
  scaleChange: 0.3,
  cameraPan: 0.012,
  lateObjectProb: 0.1,
  minVisibleFraction: 0.5,
  backgroundRegions: [2, 4],
  outline: 0.3,
  shadow: 0.25,
  noise: 0.015,
  flicker: 0.02,
  textureScale: [0.05, 0.2],
  distractors: 0,
  voidBand: 0,
  jpegQuality: 92,
};

/** Named difficulty presets; 'default' is DEFAULT_DIFFICULTY. */
export const DIFFICULTY_PRESETS: Record<'easy' | 'default' | 'hard', SynthDifficulty> = {
  easy: {
    ...DEFAULT_DIFFICULTY,
    objectScale: [0.16, 0.28],
    speed: 0.02,
    rotation: 0.03,
    scaleChange: 0.15,
    cameraPan: 0,
    lateObjectProb: 0,
    minVisibleFraction: 0.7,
    outline: 0.5,
    noise: 0.01,
    flicker: 0,
  },
  default: DEFAULT_DIFFICULTY,
  hard: {
    ...DEFAULT_DIFFICULTY,
    objectScale: [0.08, 0.22],
    speed: 0.05,
    acceleration: 0.004,
    rotation: 0.1,
    scaleChange: 0.5,
    cameraPan: 0.03,
    lateObjectProb: 0.3,
    minVisibleFraction: 0.3,
    outline: 0,
    shadow: 0.1,
    noise: 0.03,
    flicker: 0.04,
    distractors: 2,
  },
};

/** Options for one in-memory video. */
export interface SynthVideoOptions {
  frames: number;
  /** [H, W]. */
  size: [number, number];
  /** Number of objects [min, max] (at most 10). */
  objects: [number, number];
  difficulty?: Partial<SynthDifficulty>;
  /** Shape kinds objects and distractors draw from (absent: the original five). */
  shapes?: readonly ShapeKind[];
  /** Texture kinds objects and background draw from (absent: the original five). */
  textures?: readonly TextureKind[];
}

/**
 * One setting of the varied generator: each video draws its frame size from `sizes`; shapes,
 * textures, object counts and difficulty are the setting's own.
 */
export interface SynthSetting {
  /** [H, W] frame sizes; each video takes one at random. */
  sizes: [number, number][];
  shapes: ShapeKind[];
  textures: TextureKind[];
  /** [min, max] objects per video (default: the dataset's `objects`). */
  objects?: [number, number];
  difficulty?: Partial<SynthDifficulty>;
}

/**
 * The varied generator: training videos from one setting, held-out (val and test) videos from
 * another, so the held-out splits test settings training never saw. The two settings share no
 * frame size, shape kind or texture kind (checkVariety).
 */
export interface SynthVariety {
  train: SynthSetting;
  held_out: SynthSetting;
}

/** Options for a whole dataset on disk (DAVIS-2017 layout). */
export interface SynthOptions extends SynthVideoOptions {
  out: string;
  /** Videos of the train split (checkpoints and levers are chosen on val; test is reported). */
  trainVideos: number;
  valVideos: number;
  testVideos: number;
  /** Held-out videos of the training setting (split `seen`, for scoring only; default 0). */
  seenVideos?: number;
  seed: number;
  /** Per-split settings (absent: every video from `size`, `objects`, `difficulty` as the original generator). */
  variety?: SynthVariety;
  /** Replace an existing dataset at `out` (default: refuse). */
  overwrite?: boolean;
}

export const MAX_SYNTH_OBJECTS = 10;

export function resolveDifficulty(d: Partial<SynthDifficulty> | undefined): SynthDifficulty {
  const r = { ...DEFAULT_DIFFICULTY, ...(d ?? {}) };
  const nonNegative: (keyof SynthDifficulty)[] = ['speed', 'acceleration', 'rotation', 'scaleChange', 'cameraPan', 'noise', 'flicker', 'distractors', 'voidBand'];
  for (const k of nonNegative) {
    if (!((r[k] as number) >= 0)) throw new ConfigError(`synthetic difficulty ${k} must be >= 0 (got ${String(r[k])})`);
  }
  for (const k of ['lateObjectProb', 'minVisibleFraction', 'outline', 'shadow'] as const) {
    if (!(r[k] >= 0 && r[k] <= 1)) throw new ConfigError(`synthetic difficulty ${k} must be in [0, 1] (got ${r[k]})`);
  }
  for (const k of ['objectScale', 'textureScale', 'backgroundRegions'] as const) {
    const [lo, hi] = r[k];
    if (!(lo > 0 && hi >= lo)) throw new ConfigError(`synthetic difficulty ${k} must be [min, max] with 0 < min <= max (got [${lo}, ${hi}])`);
  }
  if (!(r.jpegQuality >= 1 && r.jpegQuality <= 100)) throw new ConfigError(`synthetic difficulty jpegQuality must be in 1..100 (got ${r.jpegQuality})`);
  return r;
}

export function checkVideoOptions(o: SynthVideoOptions): void {
  checkKindOptions(o);
  const [h, w] = o.size;
  if (!(Number.isInteger(h) && Number.isInteger(w) && h >= 16 && w >= 16)) {
    throw new ConfigError(`synthetic size must be integers HxW >= 16x16 (got ${h}x${w})`);
  }
  if (!(Number.isInteger(o.frames) && o.frames >= 1)) throw new ConfigError(`synthetic frames must be an integer >= 1 (got ${o.frames})`);
  const [lo, hi] = o.objects;
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && hi >= lo && hi <= MAX_SYNTH_OBJECTS)) {
    throw new ConfigError(`synthetic objects must be MIN-MAX with 1 <= MIN <= MAX <= ${MAX_SYNTH_OBJECTS} (got ${lo}-${hi})`);
  }
}

function checkKinds<T extends string>(what: string, kinds: readonly T[] | undefined, known: readonly T[]): void {
  if (kinds === undefined) return;
  if (kinds.length === 0) throw new ConfigError(`synthetic ${what} must list at least one kind (${known.join(', ')})`);
  const bad = kinds.filter((k) => !known.includes(k));
  if (bad.length > 0) throw new ConfigError(`synthetic ${what}: unknown kind${bad.length > 1 ? 's' : ''} ${bad.join(', ')}; use ${known.join(', ')}`);
}

export function checkKindOptions(o: Pick<SynthVideoOptions, 'shapes' | 'textures'>, where = ''): void {
  checkKinds(`${where}shapes`, o.shapes, SHAPE_KINDS);
  checkKinds(`${where}textures`, o.textures, TEXTURE_KINDS);
}

/** The video options of one split's setting (sizes checked one by one). */
export function settingVideoOptions(base: SynthVideoOptions, setting: SynthSetting, size: [number, number]): SynthVideoOptions {
  return {
    frames: base.frames,
    size,
    objects: setting.objects ?? base.objects,
    difficulty: { ...base.difficulty, ...setting.difficulty },
    shapes: setting.shapes,
    textures: setting.textures,
  };
}

export function checkVariety(v: SynthVariety, base: SynthVideoOptions): void {
  for (const split of ['train', 'held_out'] as const) {
    const s = v[split];
    if (!Array.isArray(s.sizes) || s.sizes.length === 0) throw new ConfigError(`synthetic variety.${split}.sizes must list at least one [H, W]`);
    checkKindOptions(s, `variety.${split}.`);
    for (const size of s.sizes) checkVideoOptions(settingVideoOptions(base, s, size));
    resolveDifficulty({ ...base.difficulty, ...s.difficulty });
  }
  const shared = settingOverlap(v.train, v.held_out);
  if (shared.length > 0) {
    throw new ConfigError(
      `synthetic variety.held_out shares ${shared.join(', ')} with variety.train; the held-out setting must differ in every size, shape and texture (docs/protocol.md)`,
    );
  }
}

/** What two settings have in common: frame sizes, shape kinds and texture kinds (empty: disjoint). */
export function settingOverlap(a: SynthSetting, b: SynthSetting): string[] {
  const sizes = a.sizes.filter(([h, w]) => b.sizes.some(([h2, w2]) => h === h2 && w === w2)).map(([h, w]) => `size ${h}x${w}`);
  const shapes = a.shapes.filter((k) => b.shapes.includes(k)).map((k) => `shape ${k}`);
  const textures = a.textures.filter((k) => b.textures.includes(k)).map((k) => `texture ${k}`);
  return [...sizes, ...shapes, ...textures];
}
