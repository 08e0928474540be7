/** A horizontal strip of predicted-mask overlays over evenly spaced frames of a video, as PNG. */
import sharp from 'sharp';
import type { LabelMap, VideoSequence } from '../../data/index.js';
import { overlayLabels } from '../../eval/overlay.js';

export interface StripPng {
  png: Uint8Array;
  width: number;
  height: number;
}

export async function overlayStripPng(seq: VideoSequence, labels: LabelMap[], count: number): Promise<StripPng> {
  const n = labels.length;
  const picks = Array.from({ length: Math.min(count, n) }, (_, k) => Math.round((k * (n - 1)) / Math.max(1, Math.min(count, n) - 1)));
  const { width, height } = seq;
  const strip = new Uint8Array(width * picks.length * height * 3);
  for (let k = 0; k < picks.length; k++) {
    const overlay = overlayLabels(await seq.readFrame(picks[k]!), labels[picks[k]!]!);
    for (let y = 0; y < height; y++) {
      strip.set(overlay.data.subarray(y * width * 3, (y + 1) * width * 3), (y * width * picks.length + k * width) * 3);
    }
  }
  const png = await sharp(strip, { raw: { width: width * picks.length, height, channels: 3 } })
    .png()
    .toBuffer();
  return { png: new Uint8Array(png), width: width * picks.length, height };
}
