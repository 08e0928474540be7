/** Mask overlays for looking at predictions: each object id tinted with its DAVIS palette colour. */
import { DAVIS_PALETTE, type LabelMap } from '../data/palette_codec.js';
import type { RgbImage } from '../data/types.js';

/**
 * Blends the palette colour of every labelled pixel into the frame (alpha = weight of the
 * colour) and darkens object boundaries so touching objects stay distinguishable.
 * The label map must have the frame's size.
 */
export function overlayLabels(frame: RgbImage, labels: LabelMap, alpha = 0.5): RgbImage {
  const { width, height } = frame;
  if (labels.width !== width || labels.height !== height) {
    throw new RangeError(`overlayLabels: labels are ${labels.width}x${labels.height}, frame is ${width}x${height}`);
  }
  const out = new Uint8Array(frame.data);
  const l = labels.data;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const id = l[i]!;
      if (id === 0) continue;
      const edge =
        (x + 1 < width && l[i + 1] !== id) || (y + 1 < height && l[i + width] !== id) || (x > 0 && l[i - 1] !== id) || (y > 0 && l[i - width] !== id);
      const c = DAVIS_PALETTE[id]!;
      for (let k = 0; k < 3; k++) {
        const v = edge ? c[k]! * 0.6 : frame.data[i * 3 + k]! * (1 - alpha) + c[k]! * alpha;
        out[i * 3 + k] = Math.round(v);
      }
    }
  }
  return { width, height, data: out };
}
