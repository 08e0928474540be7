/**
 * Seeded 2-D value noise and fractal sums of it (fBm): the building block of the synthetic
 * textures. A lattice of random values, smoothstep-interpolated; each texture reads it at its own
 * random offset, so one table serves a whole video.
 */
import type { Rng } from '../../utils/rng.js';

const SIZE = 256;
const MASK = SIZE - 1;

export class ValueNoise {
  private readonly perm = new Uint8Array(SIZE * 2);
  private readonly values = new Float32Array(SIZE);

  constructor(rng: Rng) {
    const p = rng.shuffle(Array.from({ length: SIZE }, (_, i) => i));
    for (let i = 0; i < SIZE * 2; i++) this.perm[i] = p[i & MASK]!;
    for (let i = 0; i < SIZE; i++) this.values[i] = rng.next();
  }

  private lattice(ix: number, iy: number): number {
    return this.values[this.perm[(this.perm[ix & MASK]! + iy) & 0x1ff]!]!;
  }

  /** Smooth noise in [0, 1], one lattice cell per unit. */
  at(x: number, y: number): number {
    const ix = Math.floor(x);
    const iy = Math.floor(y);
    const fx = x - ix;
    const fy = y - iy;
    const sx = fx * fx * (3 - 2 * fx);
    const sy = fy * fy * (3 - 2 * fy);
    const a = this.lattice(ix, iy);
    const b = this.lattice(ix + 1, iy);
    const c = this.lattice(ix, iy + 1);
    const d = this.lattice(ix + 1, iy + 1);
    const top = a + (b - a) * sx;
    return top + (c + (d - c) * sx - top) * sy;
  }

  /** Fractal sum of `octaves` octaves (each twice the frequency, half the amplitude), in [0, 1]. */
  fbm(x: number, y: number, octaves: number): number {
    let sum = 0;
    let amp = 1;
    let norm = 0;
    for (let o = 0; o < octaves; o++) {
      sum += amp * this.at(x, y);
      norm += amp;
      x = x * 2 + 17.3;
      y = y * 2 + 9.1;
      amp *= 0.5;
    }
    return sum / norm;
  }
}
