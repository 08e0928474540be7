/** The masks as a zip in `rvos infer`'s layout: masks/<frame>.png, DAVIS palette PNGs. */
import { zipSync } from 'fflate';
import { encodeLabelPng, type LabelMap } from '../../src/data/palette_codec.js';

export function masksZip(masks: ReadonlyMap<string, LabelMap>): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const [name, map] of masks) files[`masks/${name}.png`] = encodeLabelPng(map);
  // PNGs are compressed already: store them.
  return zipSync(files, { level: 0 });
}
