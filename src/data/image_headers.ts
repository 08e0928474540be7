/**
 * Cheap header checks: image size and PNG colour type without decoding pixels, so a reader can
 * check every frame and annotation of a dataset when it opens it (a few small reads per file).
 */
import fs from 'node:fs';
import { DataError } from '../utils/errors.js';

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  /** PNG colour type: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
  colorType: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const PNG_COLOR_NAMES: Record<number, string> = { 0: 'grey', 2: 'RGB', 3: 'palette', 4: 'grey+alpha', 6: 'RGBA' };

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = fs.readSync(fd, buf, 0, length, position);
  return buf.subarray(0, n);
}

function openForHeader(file: string): number {
  try {
    return fs.openSync(file, 'r');
  } catch {
    throw new DataError('file is missing or unreadable', file);
  }
}

/** Reads a PNG's IHDR (signature, size, bit depth, colour type). */
export function readPngHeader(file: string): PngHeader {
  const fd = openForHeader(file);
  try {
    const b = readAt(fd, 0, 29);
    if (b.length < 29 || PNG_SIGNATURE.some((v, i) => b[i] !== v) || b.toString('latin1', 12, 16) !== 'IHDR') {
      throw new DataError('not a PNG file (bad signature or IHDR); re-export the annotation', file);
    }
    return { width: b.readUInt32BE(16), height: b.readUInt32BE(20), bitDepth: b[24]!, colorType: b[25]! };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Checks that a PNG header describes a label map (palette or 8-bit grey indices) of the expected
 * size; throws a DataError naming the file otherwise.
 */
export function checkLabelPngHeader(file: string, expected?: { width: number; height: number }): PngHeader {
  const h = readPngHeader(file);
  const indexed = h.colorType === 3 || (h.colorType === 0 && h.bitDepth <= 8);
  if (!indexed) {
    throw new DataError(
      `annotation PNG stores ${PNG_COLOR_NAMES[h.colorType] ?? `colour type ${h.colorType}`} colours, not palette ` +
        `indices; annotations must store object ids as palette indices (convert RGB masks with the DAVIS palette)`,
      file,
    );
  }
  if (expected !== undefined && (h.width !== expected.width || h.height !== expected.height)) {
    throw new DataError(
      `annotation is ${h.width}x${h.height} but its frame is ${expected.width}x${expected.height}; ` +
        `annotations must have the size of their frames`,
      file,
    );
  }
  return h;
}

/** JPEG start-of-frame markers that carry the image size (SOF0..SOF15 minus DHT/JPG/DAC). */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** Reads a JPEG's size by walking its marker segments up to the start-of-frame segment. */
export function readJpegSize(file: string): { width: number; height: number } {
  const fd = openForHeader(file);
  try {
    const size = fs.fstatSync(fd).size;
    const head = readAt(fd, 0, 2);
    if (head.length < 2 || head[0] !== 0xff || head[1] !== 0xd8) {
      throw new DataError('not a JPEG file (missing start-of-image marker); re-encode the frame', file);
    }
    let pos = 2;
    while (pos + 4 <= size) {
      const seg = readAt(fd, pos, 4);
      if (seg[0] !== 0xff) break;
      const marker = seg[1]!;
      if (marker === 0xff) {
        pos += 1; // fill byte
        continue;
      }
      if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
        pos += 2;
        continue;
      }
      if (marker === 0xd9 || marker === 0xda) break; // end of image / start of scan before any SOF
      const length = seg.readUInt16BE(2);
      if (isStartOfFrame(marker)) {
        const sof = readAt(fd, pos + 4, 5);
        if (sof.length < 5) break;
        const height = sof.readUInt16BE(1);
        const width = sof.readUInt16BE(3);
        if (width === 0 || height === 0) break;
        return { width, height };
      }
      if (length < 2) break;
      pos += 2 + length;
    }
    throw new DataError('corrupt JPEG (no readable frame header); re-encode the frame', file);
  } finally {
    fs.closeSync(fd);
  }
}
