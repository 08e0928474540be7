import { describe, expect, it } from 'vitest';
import { augmentMatrix, drawAugmentation, RVOS_AUGMENTATION, warpLabels, warpRgbInto, type AugmentDraw } from '../../src/data/augment.js';
import { dilate, MASKTRACK_PRIOR, synthesizePriorMask } from '../../src/data/prior_mask.js';
import { fitThinPlateSpline, type Point } from '../../src/data/tps.js';
import { Rng } from '../../src/utils/rng.js';
import { rectLabels, testImage } from './helpers.js';

const W = 20;
const H = 12;

function draw(parts: Partial<Omit<AugmentDraw, 'inverse'>>): AugmentDraw {
  const d = { flip: false, rotation: 0, translateX: 0, translateY: 0, shear: 0, zoom: 1, ...parts };
  return { ...d, inverse: augmentMatrix(d, H, W) };
}

function warpedRgb(d: AugmentDraw): Float32Array {
  const out = new Float32Array(W * H * 3);
  warpRgbInto(testImage(W, H, 3), d, out, 0);
  return out;
}

describe('clip augmentation', () => {
  it('flips frames and labels exactly', () => {
    const img = testImage(W, H, 3);
    const out = warpedRgb(draw({ flip: true }));
    const labels = warpLabels(rectLabels(W, H, [[1, 0, 0, 3, 2]]), draw({ flip: true }));
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        for (let c = 0; c < 3; c++) expect(out[(y * W + x) * 3 + c]).toBeCloseTo(img.data[(y * W + (W - 1 - x)) * 3 + c]! / 255, 5);
        expect(labels.data[y * W + x]).toBe(x >= W - 3 && y < 2 ? 1 : 0);
      }
    }
  });

  it('translates by whole pixels exactly, filling with black / background', () => {
    const img = testImage(W, H, 3);
    const d = draw({ translateX: 2 / W, translateY: -1 / H });
    const out = warpedRgb(d);
    const labels = warpLabels(rectLabels(W, H, [[4, 0, 0, W, H]]), d);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const sx = x - 2;
        const sy = y + 1;
        const inside = sx >= 0 && sy < H;
        expect(out[(y * W + x) * 3]).toBeCloseTo(inside ? img.data[(sy * W + sx) * 3]! / 255 : 0, 5);
        expect(labels.data[y * W + x]).toBe(inside ? 4 : 0);
      }
    }
  });

  it('zoom > 1 enlarges objects around the centre; labels keep only their own values', () => {
    const labels = rectLabels(W, H, [[2, 8, 4, 12, 8], [255, 0, 0, 1, 1]]);
    const zoomed = warpLabels(labels, draw({ zoom: 2 }));
    expect(zoomed.data.filter((v) => v === 2).length).toBe(4 * 16);
    expect(new Set(zoomed.data)).toEqual(new Set([0, 2]));
    const rotated = warpLabels(labels, draw({ rotation: 9, shear: 0.1, zoom: 0.8 }));
    expect([...new Set(rotated.data)].every((v) => v === 0 || v === 2 || v === 255)).toBe(true);
  });

  it('draws parameters within the RVOS ranges and uses a fixed number of draws', () => {
    const rng = new Rng(1);
    let flips = 0;
    for (let i = 0; i < 400; i++) {
      const d = drawAugmentation(rng, RVOS_AUGMENTATION, H, W);
      flips += Number(d.flip);
      expect(Math.abs(d.rotation)).toBeLessThanOrEqual(10);
      expect(Math.abs(d.translateX)).toBeLessThanOrEqual(0.1);
      expect(Math.abs(d.shear)).toBeLessThanOrEqual(0.1);
      expect(d.zoom).toBeGreaterThanOrEqual(0.7);
      expect(d.zoom).toBeLessThanOrEqual(1.4);
    }
    expect(flips).toBeGreaterThan(160);
    expect(flips).toBeLessThan(240);
  });
});

describe('thin-plate spline', () => {
  const from: Point[] = [[0, 0], [10, 0], [0, 10], [10, 10], [5, 4]];
  it('interpolates the control points and reproduces affine maps exactly', () => {
    const to: Point[] = [[1, 0], [9, 2], [0, 11], [12, 9], [6, 6]];
    const f = fitThinPlateSpline(from, to);
    from.forEach((p, i) => {
      expect(f(p[0], p[1])[0]).toBeCloseTo(to[i]![0], 6);
      expect(f(p[0], p[1])[1]).toBeCloseTo(to[i]![1], 6);
    });
    const affine = fitThinPlateSpline(from, from.map(([x, y]) => [2 * x - y + 3, 0.5 * y + 1] as Point));
    expect(affine(7, 3)[0]).toBeCloseTo(2 * 7 - 3 + 3, 6);
    expect(affine(7, 3)[1]).toBeCloseTo(0.5 * 3 + 1, 6);
  });

  it('rejects degenerate control points', () => {
    expect(() => fitThinPlateSpline([[0, 0], [1, 1], [2, 2]], [[0, 0], [1, 1], [2, 2]])).toThrow(/degenerate/);
  });
});

describe('prior-mask synthesis', () => {
  const h = 64;
  const w = 64;
  const gt = rectLabels(w, h, [[1, 20, 16, 44, 40]]).data;
  const iou = (a: Uint8Array, b: Uint8Array): number => {
    let i = 0, u = 0;
    a.forEach((v, p) => {
      if (v && b[p]) i++;
      if (v || b[p]) u++;
    });
    return i / u;
  };

  it('empty gives zeros and exact gives the mask', () => {
    expect(synthesizePriorMask(new Rng(0), gt, h, w, MASKTRACK_PRIOR, 'empty').every((v) => v === 0)).toBe(true);
    expect(Array.from(synthesizePriorMask(new Rng(0), gt, h, w, MASKTRACK_PRIOR, 'exact'))).toEqual(Array.from(gt));
  });

  it('affine and thin-plate-spline deformations stay close to the object but differ from it', () => {
    for (const kind of ['affine', 'tps'] as const) {
      const scores: number[] = [];
      let changed = 0;
      for (let s = 0; s < 10; s++) {
        const m = synthesizePriorMask(new Rng(s), gt, h, w, MASKTRACK_PRIOR, kind);
        scores.push(iou(m, gt));
        changed += Number(m.some((v, p) => v !== gt[p]));
      }
      expect(Math.min(...scores)).toBeGreaterThan(0.5);
      expect(changed).toBe(10);
      expect(scores.reduce((a, b) => a + b) / scores.length).toBeLessThan(0.97);
    }
  });

  it('is reproducible and dilates by a disk', () => {
    const a = synthesizePriorMask(new Rng(4), gt, h, w, MASKTRACK_PRIOR, 'tps');
    const b = synthesizePriorMask(new Rng(4), gt, h, w, MASKTRACK_PRIOR, 'tps');
    expect(Array.from(a)).toEqual(Array.from(b));
    const dot = new Uint8Array(25);
    dot[12] = 1;
    expect(Array.from(dilate(dot, 5, 5, 1))).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
  });
});
