import { describe, expect, it } from 'vitest';
import { jaccard } from '../../src/eval/jaccard.js';
import { boundaryF, boundaryPoints, boundaryPrecisionRecall, boundaryRadius, seg2bmap } from '../../src/eval/boundary.js';
import { Rng } from '../../src/utils/rng.js';

/** A w×h 0/1 mask with the given [y, x] pixels set. */
function maskOf(width: number, height: number, pixels: [number, number][]): Uint8Array {
  const m = new Uint8Array(width * height);
  for (const [y, x] of pixels) m[y * width + x] = 1;
  return m;
}

function rect(width: number, height: number, y0: number, x0: number, y1: number, x1: number): Uint8Array {
  const m = new Uint8Array(width * height);
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) m[y * width + x] = 1;
  return m;
}

function pixelsOf(b: Uint8Array, width: number): [number, number][] {
  const out: [number, number][] = [];
  b.forEach((v, i) => {
    if (v) out.push([Math.floor(i / width), i % width]);
  });
  return out;
}

/** The official computation, literally: dense boundary maps, disk dilation, intersections. */
function naiveBoundaryF(gt: Uint8Array, pred: Uint8Array, w: number, h: number, voidMask: Uint8Array | undefined, r: number): number {
  const keep = (m: Uint8Array) => m.map((v, i) => (v !== 0 && (voidMask === undefined || voidMask[i] === 0) ? 1 : 0));
  const bp = seg2bmap(keep(pred), w, h);
  const bg = seg2bmap(keep(gt), w, h);
  const dilate = (b: Uint8Array) => {
    const out = new Uint8Array(w * h);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        if (!b[y * w + x]) continue;
        for (let dy = -r; dy <= r; dy++)
          for (let dx = -r; dx <= r; dx++) {
            const yy = y + dy,
              xx = x + dx;
            if (dx * dx + dy * dy <= r * r && yy >= 0 && yy < h && xx >= 0 && xx < w) out[yy * w + xx] = 1;
          }
      }
    return out;
  };
  const dp = dilate(bp),
    dg = dilate(bg);
  let nP = 0,
    nG = 0,
    mP = 0,
    mG = 0;
  for (let i = 0; i < w * h; i++) {
    nP += bp[i]!;
    nG += bg[i]!;
    mP += bp[i]! & dg[i]!;
    mG += bg[i]! & dp[i]!;
  }
  let p: number, rec: number;
  if (nP === 0 && nG > 0) [p, rec] = [1, 0];
  else if (nP > 0 && nG === 0) [p, rec] = [0, 1];
  else if (nP === 0 && nG === 0) [p, rec] = [1, 1];
  else [p, rec] = [mP / nP, mG / nG];
  return p + rec === 0 ? 0 : (2 * p * rec) / (p + rec);
}

describe('jaccard', () => {
  it('scores empty/empty 1, empty/non-empty 0, full/full 1', () => {
    const empty = new Uint8Array(12);
    const full = new Uint8Array(12).fill(1);
    expect(jaccard(empty, empty, 4, 3)).toBe(1);
    expect(jaccard(full, empty, 4, 3)).toBe(0);
    expect(jaccard(empty, full, 4, 3)).toBe(0);
    expect(jaccard(full, full, 4, 3)).toBe(1);
  });

  it('treats any non-zero value as foreground and removes void from both masks', () => {
    const gt = maskOf(4, 1, [
      [0, 0],
      [0, 1],
    ]);
    const pred = new Uint8Array([7, 0, 255, 0]); // non-zero counts as foreground
    expect(jaccard(gt, pred, 4, 1)).toBeCloseTo(1 / 3, 15);
    // Void over the predicted-only pixel: {0} / {0,1}.
    expect(jaccard(gt, pred, 4, 1, maskOf(4, 1, [[0, 2]]))).toBe(0.5);
    // Void over everything: empty union → 1.
    expect(jaccard(gt, pred, 4, 1, new Uint8Array(4).fill(1))).toBe(1);
  });

  it('handles 1x1 images and rejects wrong sizes', () => {
    expect(jaccard(new Uint8Array([1]), new Uint8Array([1]), 1, 1)).toBe(1);
    expect(jaccard(new Uint8Array([1]), new Uint8Array([0]), 1, 1)).toBe(0);
    expect(() => jaccard(new Uint8Array(5), new Uint8Array(6), 3, 2)).toThrow(/ground-truth mask has 5 pixels, expected 3x2/);
  });
});

describe('seg2bmap', () => {
  it('puts the boundary on the top-left side of a block on the bottom-right border', () => {
    const m = rect(5, 5, 3, 3, 4, 4);
    expect(pixelsOf(seg2bmap(m, 5, 5), 5)).toEqual([
      [2, 2],
      [2, 3],
      [2, 4],
      [3, 2],
      [4, 2],
    ]);
  });

  it('gives a 1-pixel object a 2x2 boundary and a full-image mask none', () => {
    expect(pixelsOf(seg2bmap(maskOf(5, 5, [[2, 2]]), 5, 5), 5)).toEqual([
      [1, 1],
      [1, 2],
      [2, 1],
      [2, 2],
    ]);
    expect(pixelsOf(seg2bmap(new Uint8Array(20).fill(1), 5, 4), 5)).toEqual([]);
    expect(pixelsOf(seg2bmap(new Uint8Array([1]), 1, 1), 1)).toEqual([]);
  });

  it('on a block touching the top-left border marks the block edge pixels', () => {
    // 4x3 image, block rows 0..1 × cols 0..1: boundary = right column and bottom row of the block.
    expect(pixelsOf(seg2bmap(rect(4, 3, 0, 0, 1, 1), 4, 3), 4)).toEqual([
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
  });

  it('matches the sparse per-row points on random masks', () => {
    const rng = new Rng(3);
    for (let t = 0; t < 200; t++) {
      const w = rng.int(1, 12),
        h = rng.int(1, 12);
      const m = Uint8Array.from({ length: w * h }, () => (rng.next() < 0.4 ? 1 : 0));
      const dense = pixelsOf(seg2bmap(m, w, h), w);
      const sparse = boundaryPoints(m, w, h);
      const fromSparse: [number, number][] = [];
      for (let y = 0; y < h; y++) for (let i = sparse.rowStart[y]!; i < sparse.rowStart[y + 1]!; i++) fromSparse.push([y, sparse.xs[i]!]);
      expect(fromSparse).toEqual(dense);
    }
  });
});

describe('boundaryF', () => {
  it('computes the radius from the diagonal exactly', () => {
    expect(boundaryRadius(854, 480)).toBe(8);
    expect(boundaryRadius(88, 88)).toBe(1); // diagonal 124.45 → 0.9956 → 1
    expect(boundaryRadius(89, 89)).toBe(2); // diagonal 125.87 → 1.0069 → 2
    expect(boundaryRadius(1, 1)).toBe(1);
    expect(boundaryRadius(10, 10, 3)).toBe(3);
    expect(() => boundaryRadius(10, 10, 1.5)).toThrow(/whole number/);
  });

  it('handles the four empty-boundary cases', () => {
    const empty = new Uint8Array(25);
    const dot = maskOf(5, 5, [[2, 2]]);
    const full = new Uint8Array(25).fill(1);
    expect(boundaryPrecisionRecall(empty, empty, 5, 5)).toEqual({ precision: 1, recall: 1 });
    expect(boundaryPrecisionRecall(dot, empty, 5, 5)).toEqual({ precision: 1, recall: 0 });
    expect(boundaryPrecisionRecall(empty, dot, 5, 5)).toEqual({ precision: 0, recall: 1 });
    expect(boundaryF(dot, empty, 5, 5)).toBe(0);
    expect(boundaryF(empty, dot, 5, 5)).toBe(0);
    // Full image vs empty: neither has a boundary, so F = 1 although J = 0 (official quirk).
    expect(boundaryF(full, empty, 5, 5)).toBe(1);
    expect(jaccard(full, empty, 5, 5)).toBe(0);
    expect(boundaryF(full, full, 5, 5)).toBe(1);
  });

  it('scores 1x1 images by their (always empty) boundaries', () => {
    const one = new Uint8Array([1]),
      zero = new Uint8Array([0]);
    expect(boundaryF(one, one, 1, 1)).toBe(1);
    expect(boundaryF(one, zero, 1, 1)).toBe(1);
    expect(boundaryF(zero, zero, 1, 1)).toBe(1);
  });

  it('matches hand-checked precision/recall on a non-square image (r = 1)', () => {
    // 20x4: r = ceil(0.008·sqrt(16+400)) = 1, the disk is the pixel and its 4 neighbours.
    const gt = maskOf(20, 4, [[1, 1]]); // boundary (0,0) (0,1) (1,0) (1,1)
    const shifted = maskOf(20, 4, [[1, 3]]); // boundary (0,2) (0,3) (1,2) (1,3)
    expect(boundaryPrecisionRecall(gt, shifted, 20, 4)).toEqual({ precision: 0.5, recall: 0.5 });
    expect(boundaryF(gt, shifted, 20, 4)).toBe(0.5);
    const diagonal = maskOf(20, 4, [[2, 2]]); // boundary (1,1) (1,2) (2,1) (2,2)
    expect(boundaryPrecisionRecall(gt, diagonal, 20, 4)).toEqual({ precision: 0.75, recall: 0.75 });
    // Tall image, same geometry transposed.
    expect(boundaryF(maskOf(4, 20, [[1, 1]]), maskOf(4, 20, [[3, 1]]), 4, 20)).toBe(0.5);
  });

  it('scores 1 when void covers exactly the difference (J too)', () => {
    const w = 30,
      h = 20;
    const gt = rect(w, h, 5, 5, 12, 15);
    const pred = rect(w, h, 5, 5, 12, 22);
    const voidMask = rect(w, h, 5, 16, 12, 22);
    expect(jaccard(gt, pred, w, h)).toBeLessThan(1);
    expect(boundaryF(gt, pred, w, h, undefined, 1)).toBeLessThan(1);
    expect(jaccard(gt, pred, w, h, voidMask)).toBe(1);
    expect(boundaryF(gt, pred, w, h, voidMask)).toBe(1);
  });

  it('equals the literal dense dilation on random masks, sizes, radii and void', () => {
    const rng = new Rng(11);
    for (let t = 0; t < 300; t++) {
      const w = rng.int(1, 40),
        h = rng.int(1, 30);
      const blob = () => {
        const m = new Uint8Array(w * h);
        const kind = rng.int(0, 2);
        if (kind === 0) for (let i = 0; i < m.length; i++) m[i] = rng.next() < 0.3 ? 1 : 0;
        else {
          const y0 = rng.int(0, h - 1),
            x0 = rng.int(0, w - 1);
          const y1 = rng.int(y0, h - 1),
            x1 = rng.int(x0, w - 1);
          for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) m[y * w + x] = kind === 1 ? 1 : rng.next() < 0.8 ? 1 : 0;
        }
        return m;
      };
      const gt = blob(),
        pred = blob();
      const voidMask = rng.next() < 0.3 ? Uint8Array.from({ length: w * h }, () => (rng.next() < 0.1 ? 1 : 0)) : undefined;
      const boundTh = rng.next() < 0.5 ? 0.008 : rng.int(1, 6);
      const r = boundaryRadius(w, h, boundTh);
      expect(boundaryF(gt, pred, w, h, voidMask, boundTh)).toBe(naiveBoundaryF(gt, pred, w, h, voidMask, r));
    }
  });

  it('equals the literal dense dilation at 480x854 with r = 8', () => {
    const w = 854,
      h = 480;
    const rng = new Rng(5);
    const disc = (cy: number, cx: number, rad: number) => {
      const m = new Uint8Array(w * h);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((y - cy) ** 2 + (x - cx) ** 2 < rad * rad) m[y * w + x] = 1;
      return m;
    };
    for (let t = 0; t < 3; t++) {
      const cy = rng.int(0, h),
        cx = rng.int(0, w),
        rad = rng.int(20, 300);
      const gt = disc(cy, cx, rad);
      const pred = disc(cy + rng.int(-12, 12), cx + rng.int(-12, 12), rad + rng.int(-10, 10));
      const f = boundaryF(gt, pred, w, h);
      expect(f).toBeGreaterThan(0);
      expect(f).toBeLessThan(1);
      expect(f).toBe(naiveBoundaryF(gt, pred, w, h, undefined, 8));
    }
  });
});

describe('scoreFramePairs', () => {
  it('equals jaccard/boundaryF on the binary masks of every pair (aligned, unaligned, void)', async () => {
    const { scoreFramePairs } = await import('../../src/eval/frame_scores.js');
    const rng = new Rng(21);
    for (let t = 0; t < 120; t++) {
      const w = rng.int(1, 23),
        h = rng.int(1, 17),
        n = w * h;
      // Offsets 0..3 into a bigger buffer exercise the unaligned fallback; sizes vary mod 4.
      const buffer = (offset: number) => new Uint8Array(n + 8).subarray(offset, offset + n);
      const gt = buffer(t % 4),
        pred = buffer((t + 1) % 4);
      const numGt = rng.int(0, 3),
        numPred = rng.int(0, 4);
      for (let i = 0; i < n; i++) {
        gt[i] = rng.next() < 0.5 ? 0 : rng.int(0, numGt + 1); // sometimes above numGt
        pred[i] = rng.next() < 0.5 ? 0 : rng.int(0, numPred + 1);
      }
      const voidMask = t % 3 === 0 ? Uint8Array.from({ length: n }, () => (rng.next() < 0.15 ? 1 : 0)) : undefined;
      const r = boundaryRadius(w, h);
      const scores = scoreFramePairs({ width: w, height: h, gt, pred, numGt, numPred, voidMask, radius: r, diagonalOnly: false });
      for (let g = 1; g <= numGt; g++) {
        for (let p = 1; p <= numPred; p++) {
          const gm = gt.map((v) => (v === g ? 1 : 0)),
            pm = pred.map((v) => (v === p ? 1 : 0));
          expect(scores.j[(g - 1) * numPred + (p - 1)]).toBe(jaccard(gm, pm, w, h, voidMask));
          expect(scores.f[(g - 1) * numPred + (p - 1)]).toBe(naiveBoundaryF(gm, pm, w, h, voidMask, r));
        }
      }
    }
  });
});
