/**
 * SiamMask's crop geometry, in pixels of the network-size frame. A box is centre + size. The
 * template crop is a square of side `contextSide(box)` around the object (SiamFC's context: side
 * √((w + p)(h + p)), p = (w + h) / 2), resized to `templateSize`; the search crop is twice that
 * side around the previous position, resized to 2·templateSize (SiamMask: 127 and 255).
 *
 * With a stride-4 backbone, 3x3 valid adjust convolutions and a valid cross-correlation, response
 * position (i, j) looks at the template-sized window whose top-left corner is at (4i, 4j) in the
 * search crop (the template's 6x6 adjusted features line up with search cells i + 1 … i + 6).
 */
import * as tf from '@tensorflow/tfjs-core';

export interface Box {
  cx: number;
  cy: number;
  w: number;
  h: number;
}

/** Backbone stride of the response map. */
export const RESPONSE_STRIDE = 4;

/** SiamFC's context side for a box; at least `minSide` pixels. */
export function contextSide(box: Box, minSide = 4): number {
  const p = (box.w + box.h) / 2;
  return Math.max(minSide, Math.sqrt((box.w + p) * (box.h + p)));
}

/** Bounding box of mask > threshold in an [H, W] plane (channel `c` of `channels`), or null when empty. */
export function maskBox(data: ArrayLike<number>, h: number, w: number, channels = 1, c = 0, offset = 0, threshold = 0.5): Box | null {
  let x0 = w,
    y0 = h,
    x1 = -1,
    y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (data[offset + (y * w + x) * channels + c]! <= threshold) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (x1 < 0) return null;
  return { cx: (x0 + x1 + 1) / 2, cy: (y0 + y1 + 1) / 2, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

/** A square crop: top-left (x0, y0) and side, in frame pixels. */
export interface Crop {
  x0: number;
  y0: number;
  side: number;
}

export function squareCrop(cx: number, cy: number, side: number): Crop {
  return { x0: cx - side / 2, y0: cy - side / 2, side };
}

/**
 * tf.image.cropAndResize box [y1, x1, y2, x2] (normalised by H − 1, W − 1) whose `out` samples
 * sit at the pixel centres of `out` equal cells covering the crop.
 */
export function cropAndResizeBox(crop: Crop, height: number, width: number, out: number): [number, number, number, number] {
  const cell = crop.side / out;
  const first = (o: number) => o + cell / 2 - 0.5;
  const last = (o: number) => o + crop.side - cell / 2 - 0.5;
  return [
    first(crop.y0) / Math.max(1, height - 1),
    first(crop.x0) / Math.max(1, width - 1),
    last(crop.y0) / Math.max(1, height - 1),
    last(crop.x0) / Math.max(1, width - 1),
  ];
}

/** Crops of `images` [B, H, W, C]: crops[k] from batch item items[k], each resized to out x out. */
export function cropImages(images: tf.Tensor4D, crops: Crop[], items: number[], out: number, method: 'bilinear' | 'nearest' = 'bilinear'): tf.Tensor4D {
  const [, h, w] = images.shape;
  return tf.tidy(() => {
    const boxes = tf.tensor2d(
      crops.map((c) => cropAndResizeBox(c, h, w, out)),
      [crops.length, 4],
    );
    return tf.image.cropAndResize(images, boxes, tf.tensor1d(items, 'int32'), [out, out], method, 0);
  });
}

/** Number of response positions per side for a template of `templateSize` pixels. */
export function responseSize(templateSize: number): number {
  const templateCells = templateSize / RESPONSE_STRIDE - 2;
  const searchCells = (2 * templateSize) / RESPONSE_STRIDE - 2;
  return searchCells - templateCells + 1;
}
