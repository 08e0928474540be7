/**
 * The first-frame objects of a one-shot run: drawn on the frame (drag a box, or click for a disk,
 * per object id) or loaded from a palette PNG, as `rvos infer --first-mask` takes them.
 */
import { decodeLabelPng, type LabelMap } from '../../src/data/palette_codec.js';

export class FirstMask {
  readonly labels: LabelMap;

  constructor(width: number, height: number) {
    this.labels = { width, height, data: new Uint8Array(width * height) };
  }

  /** Object ids present (1..255, void 255 included as given). */
  ids(): number[] {
    const seen = new Set<number>();
    for (const id of this.labels.data) if (id > 0) seen.add(id);
    return [...seen].sort((a, b) => a - b);
  }

  clear(): void {
    this.labels.data.fill(0);
  }

  /** Fills the box between two corners (frame pixels) with `id` (0 erases). */
  box(x0: number, y0: number, x1: number, y1: number, id: number): void {
    const { width, height, data } = this.labels;
    const [ax, bx] = [Math.max(0, Math.floor(Math.min(x0, x1))), Math.min(width, Math.ceil(Math.max(x0, x1)))];
    const [ay, by] = [Math.max(0, Math.floor(Math.min(y0, y1))), Math.min(height, Math.ceil(Math.max(y0, y1)))];
    for (let y = ay; y < by; y++) data.fill(id, y * width + ax, y * width + bx);
  }

  /** A click: a disk of radius 5% of the shorter side (at least 3 px) around (x, y). */
  disk(x: number, y: number, id: number): void {
    const { width, height, data } = this.labels;
    const r = Math.max(3, Math.round(0.05 * Math.min(width, height)));
    for (let yy = Math.max(0, Math.floor(y - r)); yy < Math.min(height, Math.ceil(y + r + 1)); yy++) {
      for (let xx = Math.max(0, Math.floor(x - r)); xx < Math.min(width, Math.ceil(x + r + 1)); xx++) {
        if ((xx - x) ** 2 + (yy - y) ** 2 <= r * r) data[yy * width + xx] = id;
      }
    }
  }

  /**
   * Replaces the mask by a palette PNG's indices. Throws with a message for the page when the PNG
   * is unreadable or its size is not the video's.
   */
  load(bytes: Uint8Array, name: string): void {
    const map = decodeLabelPng(bytes, name);
    const { width, height } = this.labels;
    if (map.width !== width || map.height !== height) {
      throw new Error(`${name}: the mask is ${map.width}x${map.height} but the video is ${width}x${height}; give a palette PNG of the first frame's size`);
    }
    this.labels.data.set(map.data);
  }
}
