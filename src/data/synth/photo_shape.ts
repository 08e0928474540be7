/**
 * Natural object silhouettes for the photographic generator: smooth random closed contours, an
 * ellipse (elongation) times a Fourier series of the radius, r(φ, t) = e(φ)·(1 + Σ a_k cos(kφ + p_k
 * + ω_k t)), with amplitudes falling as 1/(k-1) so outlines are smooth with a few lobes and
 * limbs. The phases drift (ω_k) so the outline deforms slowly, and the amplitudes swing
 * periodically (a gait) so limbs come and go like a walking animal's or a person's.
 * Coverage is soft (anti-aliased) from the radial distance to the outline.
 */
import type { Rng } from '../../utils/rng.js';
import type { PhotoEffects } from './photo_options.js';

/** Entries of the tabulated r(φ). */
const TABLE = 256;
/** Period range of the gait's amplitude changes, in frames (a stride at video frame rates). */
const GAIT_PERIOD: [number, number] = [4, 10];
/** The outline never comes closer to the centre than this fraction of its ellipse radius. */
const MIN_RADIUS_FRACTION = 0.15;

export interface Silhouette {
  /** Ellipse minor/major axis ratio. */
  aspect: number;
  /** Harmonic k = index + 2: amplitude, phase at t = 0, phase drift per frame. */
  amps: Float32Array;
  phases: Float32Array;
  drift: Float32Array;
  /** Periodic amplitude change (gait): relative depth, angular frequency per frame, phase. */
  gait: number;
  gaitFreq: Float32Array;
  gaitPhase: Float32Array;
  /** Multiplier making the largest r(φ) at t = 0 equal the requested radius. */
  norm: number;
}

function rawRadius(s: Silhouette, phi: number, t: number): number {
  const e = s.aspect / Math.sqrt((s.aspect * Math.cos(phi)) ** 2 + Math.sin(phi) ** 2);
  let f = 1;
  for (let i = 0; i < s.amps.length; i++) {
    const swing = 1 + s.gait * Math.sin(s.gaitFreq[i]! * t + s.gaitPhase[i]!);
    f += s.amps[i]! * swing * Math.cos((i + 2) * phi + s.phases[i]! + s.drift[i]! * t);
  }
  return e * Math.max(f, MIN_RADIUS_FRACTION);
}

/** Draws a silhouette whose largest radius at t = 0 is `radius` pixels (at scale 1). */
export function drawSilhouette(rng: Rng, radius: number, e: Pick<PhotoEffects, 'harmonics' | 'contour' | 'deform' | 'gait'>, aspect?: [number, number]): Silhouette {
  const [lo, hi] = aspect ?? [0.45, 1];
  const s: Silhouette = {
    aspect: rng.uniform(lo, hi),
    amps: Float32Array.from({ length: e.harmonics }, (_, i) => (e.contour * rng.next()) / (i + 1)),
    phases: Float32Array.from({ length: e.harmonics }, () => rng.uniform(0, 2 * Math.PI)),
    drift: Float32Array.from({ length: e.harmonics }, () => rng.uniform(-e.deform, e.deform)),
    gait: e.gait,
    gaitFreq: Float32Array.from({ length: e.harmonics }, () => (2 * Math.PI) / rng.uniform(GAIT_PERIOD[0], GAIT_PERIOD[1])),
    gaitPhase: Float32Array.from({ length: e.harmonics }, () => rng.uniform(0, 2 * Math.PI)),
    norm: 1,
  };
  let max = 0;
  for (let k = 0; k < TABLE; k++) max = Math.max(max, rawRadius(s, (2 * Math.PI * k) / TABLE, 0));
  s.norm = radius / max;
  return s;
}

/** r(φ) at time t (frames), tabulated at TABLE angles, in pixels at scale 1. */
export interface Profile {
  table: Float32Array;
  /** Largest entry (the bounding radius). */
  max: number;
}

export function profileAt(s: Silhouette, t: number): Profile {
  const table = new Float32Array(TABLE);
  let max = 0;
  for (let k = 0; k < TABLE; k++) {
    table[k] = rawRadius(s, (2 * Math.PI * k) / TABLE, t) * s.norm;
    max = Math.max(max, table[k]!);
  }
  return { table, max };
}

/** Outline radius in the local direction (lx, ly), linearly interpolated. */
export function outlineRadius(p: Profile, lx: number, ly: number): number {
  let a = (Math.atan2(ly, lx) / (2 * Math.PI)) * TABLE;
  if (a < 0) a += TABLE;
  const i = Math.floor(a) % TABLE;
  const j = (i + 1) % TABLE;
  const f = a - Math.floor(a);
  return p.table[i]! + (p.table[j]! - p.table[i]!) * f;
}

/** Area enclosed by the outline (½∮r²dφ) at scale 1. */
export function profileArea(p: Profile): number {
  let sum = 0;
  for (let k = 0; k < TABLE; k++) sum += p.table[k]! * p.table[k]!;
  return 0.5 * sum * ((2 * Math.PI) / TABLE);
}
