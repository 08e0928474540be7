/**
 * Display glue for notebooks: images (frames, label maps, activations) → PNG data URIs and small
 * HTML figures and tables. Nothing here computes results; it only draws what the library returns.
 */
import sharp from 'sharp';
import { DAVIS_PALETTE, type LabelMap, type RgbImage } from '../../src/data/index.js';

/** Label map → RGB with the DAVIS palette (the colours the official tools use). */
export function labelsToRgb(labels: LabelMap): RgbImage {
  const data = new Uint8Array(labels.width * labels.height * 3);
  for (let i = 0; i < labels.data.length; i++) {
    const c = DAVIS_PALETTE[labels.data[i]!]!;
    data[i * 3] = c[0];
    data[i * 3 + 1] = c[1];
    data[i * 3 + 2] = c[2];
  }
  return { width: labels.width, height: labels.height, data };
}

/**
 * Signed values (e.g. a ConvLSTM h in (−1, 1)) → blue–white–red, ±range at the ends: a fixed
 * range keeps colours comparable across frames, levels and slots.
 */
export function divergingRgb(values: ArrayLike<number>, width: number, height: number, range = 1): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const t = Math.max(-1, Math.min(1, values[i]! / range));
    const [r, g, b] = t >= 0 ? [255, 255 * (1 - t), 255 * (1 - t)] : [255 * (1 + t), 255 * (1 + t), 255];
    data[i * 3] = Math.round(r);
    data[i * 3 + 1] = Math.round(g);
    data[i * 3 + 2] = Math.round(b);
  }
  return { width, height, data };
}

/** Values in [0, 1] (probabilities, scores) → greyscale RGB. */
export function greyRgb(values: ArrayLike<number>, width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.fill(Math.round(255 * Math.max(0, Math.min(1, values[i]!))), i * 3, i * 3 + 3);
  return { width, height, data };
}

/** One channel of an NHWC activation ([1, h, w, C] as a flat array) as a flat h·w array. */
export function channel(values: ArrayLike<number>, height: number, width: number, channels: number, c: number): Float32Array {
  const out = new Float32Array(height * width);
  for (let i = 0; i < out.length; i++) out[i] = values[i * channels + c]!;
  return out;
}

/** RGB → PNG bytes, enlarged `scale` times with nearest-neighbour (small maps stay crisp). */
export async function encodePng(image: RgbImage, scale = 1): Promise<Uint8Array> {
  let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
  if (scale !== 1) pipeline = pipeline.resize(Math.round(image.width * scale), Math.round(image.height * scale), { kernel: 'nearest' });
  const buf = await pipeline.png().toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

export async function pngDataUri(image: RgbImage, scale = 1): Promise<string> {
  return `data:image/png;base64,${Buffer.from(await encodePng(image, scale)).toString('base64')}`;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** An <img> with a caption underneath. `size` is the displayed width in CSS pixels. */
export async function figure(image: RgbImage, caption: string, size = 144): Promise<string> {
  const uri = await pngDataUri(image, Math.max(1, Math.ceil(size / image.width)));
  return (
    `<figure style="display:inline-block;margin:2px 4px;text-align:center">` +
    `<img src="${uri}" style="width:${size}px;image-rendering:pixelated" alt="${escapeHtml(caption)}"/>` +
    `<figcaption style="font-size:11px">${escapeHtml(caption)}</figcaption></figure>`
  );
}

/** Rows of figures, each row with a heading on its left. */
export function figureRows(rows: { title: string; figures: string[] }[]): string {
  const body = rows
    .map(
      (r) =>
        `<tr><th style="text-align:right;padding-right:8px;font-size:12px">${escapeHtml(r.title)}</th><td style="white-space:nowrap">${r.figures.join('')}</td></tr>`,
    )
    .join('');
  return `<table style="border-collapse:collapse">${body}</table>`;
}

/** An HTML table; numbers are shown with `digits` decimals. */
export function htmlTable(columns: string[], rows: (string | number | null | undefined)[][], digits = 3): string {
  const cell = (v: string | number | null | undefined) =>
    v === null || v === undefined ? '–' : typeof v === 'number' ? (Number.isFinite(v) ? v.toFixed(digits) : 'NaN') : escapeHtml(v);
  const head = `<tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`;
  const body = rows
    .map((r) => `<tr>${r.map((v) => `<td style="text-align:${typeof v === 'number' ? 'right' : 'left'}">${cell(v)}</td>`).join('')}</tr>`)
    .join('');
  return `<table>${head}${body}</table>`;
}

/**
 * Short names for sweep variants: the overrides in which they differ (the ones every variant
 * shares, e.g. the notebooks' tiny-config overrides, are left out).
 */
export function distinguishingLabels(overrideLists: string[][]): string[] {
  const shared = overrideLists.length < 2 ? new Set<string>() : new Set(overrideLists[0]!.filter((o) => overrideLists.every((l) => l.includes(o))));
  return overrideLists.map((l) => l.filter((o) => !shared.has(o)).join(' ') || '(base)');
}
