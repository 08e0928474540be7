// scratch: montage of image / GT / prediction rows for a few held-out videos
import fs from 'node:fs';
import path from 'node:path';
import { readRgbImage, encodeJpeg, resizeLabelsNearest } from '../src/data/image_io.js';
import { readLabelPng, DAVIS_PALETTE } from '../src/data/palette_png.js';
const [data, pred, out, ...vids] = process.argv.slice(2);
const frames = [0, 3, 6, 9, 11];
const rows: { w: number; h: number; px: Uint8Array }[][] = [];
for (const v of vids) {
  for (const kind of ['img', 'gt', 'pred']) {
    const row = [];
    for (const f of frames) {
      const name = String(f).padStart(5, '0');
      const img = await readRgbImage(path.join(data!, 'JPEGImages/480p', v, `${name}.jpg`));
      const w = img.width, h = img.height;
      let px = new Uint8Array(w * h * 3);
      if (kind === 'img') px = Uint8Array.from(img.data);
      else {
        const lab = readLabelPng(kind === 'gt' ? path.join(data!, 'Annotations_unsupervised/480p', v, `${name}.png`) : path.join(pred!, v, `${name}.png`));
        for (let i = 0; i < w * h; i++) {
          const l = lab.data[i]!;
          for (let c = 0; c < 3; c++) px[i * 3 + c] = l === 0 ? Math.round(img.data[i * 3 + c]! * 0.3) : DAVIS_PALETTE[l]![c]!;
        }
      }
      row.push({ w, h, px });
    }
    rows.push(row);
  }
}
const W = Math.max(...rows.map((r) => r.reduce((a, c) => a + c.w + 2, 0)));
const H = rows.reduce((a, r) => a + Math.max(...r.map((c) => c.h)) + 2, 0);
const canvas = new Uint8Array(W * H * 3);
let y0 = 0;
for (const r of rows) {
  let x0 = 0;
  for (const c of r) {
    for (let y = 0; y < c.h; y++) for (let x = 0; x < c.w; x++) for (let k = 0; k < 3; k++) canvas[((y0 + y) * W + x0 + x) * 3 + k] = c.px[(y * c.w + x) * 3 + k]!;
    x0 += c.w + 2;
  }
  y0 += Math.max(...r.map((c) => c.h)) + 2;
}
import zlib from 'node:zlib';
const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
const crc = (b: Buffer) => { let c = 0xffffffff; for (const x of b) c = crcTable[(c ^ x) & 255]! ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
const chunk = (t: string, d: Buffer) => { const l = Buffer.alloc(4); l.writeUInt32BE(d.length); const td = Buffer.concat([Buffer.from(t), d]); const c = Buffer.alloc(4); c.writeUInt32BE(crc(td)); return Buffer.concat([l, td, c]); };
const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(W, 0); ihdr.writeUInt32BE(H, 4); ihdr[8] = 8; ihdr[9] = 2;
const raw = Buffer.alloc((W * 3 + 1) * H); for (let y = 0; y < H; y++) { raw[y * (W * 3 + 1)] = 0; Buffer.from(canvas.buffer, y * W * 3, W * 3).copy(raw, y * (W * 3 + 1) + 1); }
fs.writeFileSync(out!, Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]));
