/**
 * Palette (indexed) PNG encoding and decoding of label maps, without file access (the browser demo
 * uses it too; palette_png.ts reads and writes files). DAVIS and YouTube-VOS store annotations as
 * palette indices: 0 background, 1..N object ids, 255 void. They must be read as indices, never as
 * colours (sharp expands palettes to RGB, so fast-png is used here).
 */
import { decode, encode } from 'fast-png';
import { DataError } from '../utils/errors.js';

/** A label map: one palette index per pixel, row-major. */
export interface LabelMap {
  width: number;
  height: number;
  data: Uint8Array;
}

/** The DAVIS palette (the PASCAL VOC colour map): index → [r, g, b]. Index 255 is (224,224,192). */
export const DAVIS_PALETTE: ReadonlyArray<readonly [number, number, number]> = (() => {
  const palette: [number, number, number][] = [];
  for (let i = 0; i < 256; i++) {
    let r = 0, g = 0, b = 0, c = i;
    for (let bit = 7; bit >= 0; bit--) {
      r |= (c & 1) << bit;
      g |= ((c >> 1) & 1) << bit;
      b |= ((c >> 2) & 1) << bit;
      c >>= 3;
    }
    palette.push([r, g, b]);
  }
  return palette;
})();

/** Decodes palette-PNG bytes to indices; `file` only names the source in errors. */
export function decodeLabelPng(bytes: Uint8Array, file: string): LabelMap {
  let png;
  try {
    png = decode(bytes);
  } catch (err) {
    throw new DataError(`not a readable PNG (${(err as Error).message}); re-export the annotation`, file);
  }
  const isGray8 = png.channels === 1 && png.depth === 8 && png.palette === undefined;
  if (png.palette === undefined && !isGray8) {
    throw new DataError(
      `annotation has ${png.channels} colour channels but no palette; annotations must be palette ` +
        `(indexed) PNGs whose indices are object ids (convert RGB masks with the DAVIS palette)`,
      file,
    );
  }
  if (png.channels !== 1) {
    throw new DataError(`palette PNG with ${png.channels} channels is not supported`, file);
  }
  const n = png.width * png.height;
  let data: Uint8Array;
  if (png.depth === 8) {
    data = png.data instanceof Uint8Array ? png.data : Uint8Array.from(png.data);
  } else if (png.depth < 8) {
    data = unpackBits(png.data as Uint8Array, png.width, png.height, png.depth);
  } else {
    throw new DataError(`palette PNG with bit depth ${png.depth} is not supported`, file);
  }
  if (data.length !== n) throw new DataError(`PNG data has ${data.length} pixels, expected ${n}`, file);
  return { width: png.width, height: png.height, data };
}

/**
 * Where grey values are read as object ids (DAVIS-2017, YouTube-VOS, their results), a grayscale
 * PNG holding only 0 and some 255 is a black-and-white mask whose object would read as void:
 * refused with a DataError naming the file. (DAVIS-2016 masks are such PNGs by definition; its
 * reader does not call this.)
 */
export function refuseBinaryMask(map: LabelMap, file: string): void {
  let void255 = false;
  for (let p = 0; p < map.data.length; p++) {
    const v = map.data[p]!;
    if (v === 255) void255 = true;
    else if (v !== 0) return;
  }
  if (!void255) return;
  throw new DataError(
    'annotation is an 8-bit grayscale PNG holding only 0 and 255 (a binary mask?); grey values are read as object ids and ' +
      '255 marks void, so it holds no object: save the object as 1 (or as a palette PNG with the DAVIS palette)',
    file,
  );
}

/** Whether PNG bytes store grey values (colour type 0) rather than palette indices. */
export function isGrayscalePng(bytes: Uint8Array): boolean {
  return bytes.length > 25 && bytes[25] === 0;
}

function unpackBits(packed: Uint8Array, width: number, height: number, depth: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const perByte = 8 / depth;
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const byte = packed[y * rowBytes + Math.floor(x / perByte)]!;
      const shift = 8 - depth * ((x % perByte) + 1);
      out[y * width + x] = (byte >> shift) & mask;
    }
  }
  return out;
}

/** Encodes a label map as an 8-bit palette PNG with the DAVIS palette. */
export function encodeLabelPng(map: LabelMap): Uint8Array {
  if (map.data.length !== map.width * map.height) {
    throw new RangeError(`label map has ${map.data.length} pixels, expected ${map.width}x${map.height}`);
  }
  return encode({
    width: map.width,
    height: map.height,
    data: map.data,
    channels: 1,
    depth: 8,
    palette: DAVIS_PALETTE.map((c) => [c[0], c[1], c[2]]),
  });
}
