/**
 * Options of the photographic generator (photo_video.ts). The motion knobs it shares with the
 * procedural generator (speed, acceleration, rotation, scaleChange, cameraPan, lateObjectProb,
 * minVisibleFraction, noise, flicker, jpegQuality) come from SynthDifficulty; these are the ones
 * only photographs need. Sizes are fractions of min(H, W), like SynthDifficulty's.
 */
import { ConfigError } from '../../utils/errors.js';

export interface PhotoEffects {
  /** Object radius range at scale 1, fraction of min(H, W) (DAVIS objects cover much of the frame). */
  objectScale: [number, number];
  /** Probability that an object is a photographed cutout (when the folder has cutouts) rather than a silhouette. */
  cutoutProb: number;
  /** Fourier harmonics of an object's silhouette (more: more detailed outlines). */
  harmonics: number;
  /** Largest relative amplitude of the silhouette's harmonics (0 = ellipses). */
  contour: number;
  /** Non-rigid deformation: largest drift of the harmonics' phases, radians per frame. */
  deform: number;
  /** Periodic relative change of the silhouette's harmonics (a gait: limbs swing), 0 = none. */
  gait: number;
  /** Largest fraction of the lead object's motion the camera follows (0 = it never follows). */
  follow: number;
  /** Largest |log zoom| of the camera over the whole video (0 = no zoom). */
  zoom: number;
  /** Handheld jitter of the camera, fraction of min(H, W) (smooth, not per-frame noise). */
  shake: number;
  /** Largest background blur (Gaussian sigma), fraction of min(H, W): depth of field with the objects in focus. */
  defocus: number;
  /** Shutter open time as a fraction of the frame interval (0 = no motion blur). */
  motionBlur: number;
  /** Probability of a static unlabelled foreground occluder (a pole, a branch) in a video. */
  occluderProb: number;
  /** Largest |log gain| of the slow global brightness change over the video. */
  lighting: number;
  /** Largest per-channel |log gain| drift over the video (white balance). */
  colorCast: number;
  /** Amplitude of the static illumination field (light and shade) objects move through. */
  illumination: number;
  /** Strength of the shading gradient across an object (a lit and a shaded side). */
  shading: number;
  /** Darkening of the soft shadow each object casts on what lies beneath. */
  shadow: number;
  /**
   * Largest ripple of the background (water, leaves in the wind), fraction of min(H, W): a
   * smooth part of it is displaced by a field that changes every few frames (0 = a rigid photograph).
   */
  backgroundFlow: number;
  /**
   * Largest depth slope of the background: rows below the middle pan up to (1 + this) times as
   * fast as the objects when the camera moves, rows above more slowly (a ground plane; 0 = flat).
   */
  backgroundParallax: number;
  /** Photograph pixels per object pixel of an object's texture, [min, max]. */
  textureZoom: [number, number];
}

export const DEFAULT_PHOTO_EFFECTS: PhotoEffects = {
  objectScale: [0.12, 0.3],
  cutoutProb: 0.5,
  harmonics: 6,
  contour: 0.35,
  deform: 0.04,
  gait: 0.5,
  follow: 0.8,
  zoom: 0.25,
  shake: 0.004,
  defocus: 0.01,
  motionBlur: 0.5,
  occluderProb: 0.2,
  lighting: 0.2,
  colorCast: 0.08,
  illumination: 0.15,
  shading: 0.25,
  shadow: 0.3,
  textureZoom: [0.8, 2],
  backgroundFlow: 0,
  backgroundParallax: 0,
};

/** Where the photographs are and how they are used. */
export interface PhotoSynthOptions {
  /** Folder of photographs (data.synth.photos); missing or empty: procedural textures instead. */
  dir: string;
  /** Overrides of DEFAULT_PHOTO_EFFECTS (data.synth.photo_effects). */
  effects?: Partial<PhotoEffects>;
}

const KEY = 'data.synth.photo_effects';

export function resolvePhotoEffects(e: Partial<PhotoEffects> | undefined): PhotoEffects {
  const unknown = Object.keys(e ?? {}).filter((k) => !(k in DEFAULT_PHOTO_EFFECTS));
  if (unknown.length > 0) throw new ConfigError(`${KEY}: unknown key ${unknown.join(', ')}; use ${Object.keys(DEFAULT_PHOTO_EFFECTS).join(', ')}`);
  const r = { ...DEFAULT_PHOTO_EFFECTS, ...(e ?? {}) };
  for (const k of ['contour', 'deform', 'gait', 'follow', 'zoom', 'shake', 'defocus', 'motionBlur', 'lighting', 'colorCast', 'illumination', 'shading', 'backgroundFlow'] as const) {
    if (!(typeof r[k] === 'number' && r[k] >= 0)) throw new ConfigError(`${KEY}.${k} must be a number >= 0 (got ${String(r[k])})`);
  }
  for (const k of ['cutoutProb', 'occluderProb', 'shadow', 'backgroundParallax'] as const) {
    if (!(typeof r[k] === 'number' && r[k] >= 0 && r[k] <= 1)) throw new ConfigError(`${KEY}.${k} must be in [0, 1] (got ${String(r[k])})`);
  }
  if (r.contour >= 0.9) throw new ConfigError(`${KEY}.contour must be < 0.9 so outlines stay closed around the centre (got ${r.contour})`);
  if (r.motionBlur > 1) throw new ConfigError(`${KEY}.motionBlur is a fraction of the frame interval, at most 1 (got ${r.motionBlur})`);
  if (!(Number.isInteger(r.harmonics) && r.harmonics >= 1 && r.harmonics <= 16)) throw new ConfigError(`${KEY}.harmonics must be an integer in 1..16 (got ${String(r.harmonics)})`);
  for (const k of ['objectScale', 'textureZoom'] as const) {
    const v = r[k];
    if (!(Array.isArray(v) && v.length === 2 && v[0] > 0 && v[1] >= v[0])) throw new ConfigError(`${KEY}.${k} must be [min, max] with 0 < min <= max (got ${JSON.stringify(v)})`);
  }
  return r;
}
