/**
 * RGB frame I/O (sharp: JPEG/PNG decode, decode+resize in one pass, JPEG encode) and the two
 * resamplers the data layer needs in JavaScript: bilinear for frames, nearest for label maps.
 * Label maps never go through sharp (it would treat indices as colours and filter them).
 */
import sharp, { type Sharp } from 'sharp';
import { DataError } from '../utils/errors.js';
import type { LabelMap, RgbImage } from './types.js';

/** Turns sharp's raw output (1..4 channels) into interleaved RGB. */
function toRgb(data: Buffer, width: number, height: number, channels: number): RgbImage {
  if (channels === 3) return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  const out = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const grey = channels < 3;
    for (let c = 0; c < 3; c++) out[p * 3 + c] = data[p * channels + (grey ? 0 : c)]!;
  }
  return { width, height, data: out };
}

async function decodeWith(file: string, pipeline: Sharp): Promise<RgbImage> {
  try {
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    return toRgb(data, info.width, info.height, info.channels);
  } catch (err) {
    throw new DataError(`corrupt or unreadable image (${(err as Error).message.trim()}); re-encode the frame`, file);
  }
}

/** Decodes an image file (JPEG or PNG) to RGB; a corrupt or truncated file raises a DataError. */
export function readRgbImage(file: string): Promise<RgbImage> {
  return decodeWith(file, sharp(file, { failOn: 'warning' }).removeAlpha());
}

/**
 * Decodes and resizes in one pass (JPEG shrink-on-load plus a linear filter): the fast path for
 * feeding 480p frames to a small network.
 */
export function readRgbImageResized(file: string, height: number, width: number): Promise<RgbImage> {
  return decodeWith(
    file,
    sharp(file, { failOn: 'warning' }).removeAlpha().resize(width, height, { fit: 'fill', kernel: 'linear' }),
  );
}

/** Encodes RGB as a baseline JPEG (deterministic: same pixels and quality → same bytes). */
export async function encodeJpeg(image: RgbImage, quality: number): Promise<Uint8Array> {
  const buf = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .jpeg({ quality, chromaSubsampling: '4:4:4', mozjpeg: false })
    .toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/** Bilinear resize of interleaved RGB (pixel centres at +0.5, edges clamped). */
export function resizeRgbBilinear(image: RgbImage, height: number, width: number): RgbImage {
  if (image.width === width && image.height === height) return image;
  const { width: sw, height: sh, data: src } = image;
  const out = new Uint8Array(width * height * 3);
  const sx = sw / width;
  const sy = sh / height;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), sh - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, sh - 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), sw - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, sw - 1);
      const wx = fx - x0;
      const a = (y0 * sw + x0) * 3, b = (y0 * sw + x1) * 3, c = (y1 * sw + x0) * 3, d = (y1 * sw + x1) * 3;
      const o = (y * width + x) * 3;
      for (let k = 0; k < 3; k++) {
        const top = src[a + k]! + (src[b + k]! - src[a + k]!) * wx;
        const bottom = src[c + k]! + (src[d + k]! - src[c + k]!) * wx;
        out[o + k] = Math.round(top + (bottom - top) * wy);
      }
    }
  }
  return { width, height, data: out };
}

/** Nearest-neighbour resize of a label map (indices are never mixed). */
export function resizeLabelsNearest(map: LabelMap, height: number, width: number): LabelMap {
  if (map.width === width && map.height === height) return map;
  const out = new Uint8Array(width * height);
  const xs = new Int32Array(width);
  for (let x = 0; x < width; x++) xs[x] = Math.min(Math.floor(((x + 0.5) * map.width) / width), map.width - 1);
  for (let y = 0; y < height; y++) {
    const row = Math.min(Math.floor(((y + 0.5) * map.height) / height), map.height - 1) * map.width;
    for (let x = 0; x < width; x++) out[y * width + x] = map.data[row + xs[x]!]!;
  }
  return { width, height, data: out };
}
