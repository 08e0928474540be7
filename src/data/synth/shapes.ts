/**
 * Star-shaped object outlines described by a radial profile r(φ) (distance from the centre to
 * the boundary in direction φ), tabulated once per shape. Ellipses, rectangles, regular polygons,
 * stars and smooth blobs all have one; the inside test is then one atan2 and a table lookup.
 */
import type { Rng } from '../../utils/rng.js';

export type ShapeKind = 'ellipse' | 'rectangle' | 'polygon' | 'star' | 'blob' | 'cross' | 'superellipse' | 'teardrop';
/** The kinds the original generator draws from (in this order: the draw indexes it). */
export const V1_SHAPE_KINDS: readonly ShapeKind[] = ['ellipse', 'rectangle', 'polygon', 'star', 'blob'];
/** Every kind, for the varied generator's shape sets. */
export const SHAPE_KINDS: readonly ShapeKind[] = [...V1_SHAPE_KINDS, 'cross', 'superellipse', 'teardrop'];
const TABLE = 360;

export interface Shape {
  kind: ShapeKind;
  /** r(φ) at TABLE equally spaced angles, in pixels at scale 1 (the maximum is the radius). */
  profile: Float32Array;
  /** Largest r(φ). */
  radius: number;
}

function profileOf(kind: ShapeKind, rng: Rng): (phi: number) => number {
  switch (kind) {
    case 'ellipse': {
      const b = rng.uniform(0.5, 1);
      return (phi) => b / Math.sqrt((b * Math.cos(phi)) ** 2 + Math.sin(phi) ** 2);
    }
    case 'rectangle': {
      const b = rng.uniform(0.45, 1);
      return (phi) => Math.min(1 / Math.max(Math.abs(Math.cos(phi)), 1e-9), b / Math.max(Math.abs(Math.sin(phi)), 1e-9));
    }
    case 'polygon': {
      const n = rng.int(3, 6);
      const sector = (2 * Math.PI) / n;
      return (phi) => Math.cos(Math.PI / n) / Math.cos((((phi % sector) + sector) % sector) - sector / 2);
    }
    case 'star': {
      const n = rng.int(4, 6);
      const inner = rng.uniform(0.45, 0.65);
      const sector = (2 * Math.PI) / n;
      return (phi) => {
        const f = (((phi % sector) + sector) % sector) / sector; // 0..1 within a spike
        return inner + (1 - inner) * Math.abs(1 - 2 * f);
      };
    }
    case 'cross': {
      // A plus sign of arm half-width w: the boundary distance of the union of two bars.
      const w = rng.uniform(0.25, 0.45);
      const bar = (c: number, s: number) => Math.min(1 / Math.max(Math.abs(c), 1e-9), w / Math.max(Math.abs(s), 1e-9));
      return (phi) => Math.max(bar(Math.cos(phi), Math.sin(phi)), bar(Math.sin(phi), Math.cos(phi)));
    }
    case 'superellipse': {
      // |x/a|^n + |y|^n = 1: from a rounded diamond (n < 2) to a rounded rectangle (n > 2).
      const n = rng.uniform(0.8, 4);
      const a = rng.uniform(0.5, 1);
      return (phi) => (Math.abs(Math.cos(phi) / a) ** n + Math.abs(Math.sin(phi)) ** n) ** (-1 / n);
    }
    case 'teardrop': {
      const k = rng.uniform(0.3, 0.7);
      return (phi) => 1 - k * 0.5 * (1 + Math.cos(phi));
    }
    case 'blob': {
      const harmonics = [2, 3, 4].map((k) => ({ k, a: rng.uniform(0, 0.18), p: rng.uniform(0, 2 * Math.PI) }));
      return (phi) => 1 + harmonics.reduce((s, h) => s + h.a * Math.cos(h.k * phi + h.p), 0);
    }
  }
}

/** Draws a random shape of one of `kinds` whose largest radius is `radius` pixels. */
export function drawShape(rng: Rng, radius: number, kinds: readonly ShapeKind[] = V1_SHAPE_KINDS): Shape {
  const kind = kinds[rng.int(0, kinds.length - 1)]!;
  const f = profileOf(kind, rng);
  const raw = new Float32Array(TABLE);
  let max = 0;
  for (let k = 0; k < TABLE; k++) {
    raw[k] = f((2 * Math.PI * k) / TABLE);
    max = Math.max(max, raw[k]!);
  }
  for (let k = 0; k < TABLE; k++) raw[k] = (raw[k]! / max) * radius;
  return { kind, profile: raw, radius };
}

/** Boundary distance r(φ) for a local direction (dx, dy), linearly interpolated. */
export function boundaryRadius(shape: Shape, dx: number, dy: number): number {
  let a = (Math.atan2(dy, dx) / (2 * Math.PI)) * TABLE;
  if (a < 0) a += TABLE;
  const i = Math.floor(a) % TABLE;
  const j = (i + 1) % TABLE;
  const t = a - Math.floor(a);
  return shape.profile[i]! + (shape.profile[j]! - shape.profile[i]!) * t;
}
