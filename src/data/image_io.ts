/**
 * RGB frame I/O (sharp: JPEG/PNG decode, decode+resize in one pass, JPEG encode). The two
 * resamplers the data layer needs in JavaScript (bilinear for frames, nearest for label maps) are
 * in resample.ts, re-exported here. Label maps never go through sharp (it would treat indices as
 * colours and filter them).
 */
import sharp, { type Sharp } from 'sharp';
import { DataError } from '../utils/errors.js';
import type { RgbImage } from './types.js';

export { resizeLabelsNearest, resizeRgbBilinear } from './resample.js';

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
    // libvips may report several lines (one per failed read, repeated): keep the message one line.
    const cause = [...new Set((err as Error).message.split('\n').map((l) => l.trim()))].filter((l) => l.length > 0).join('; ');
    throw new DataError(`corrupt or unreadable image (${cause}); re-encode the frame`, file);
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
