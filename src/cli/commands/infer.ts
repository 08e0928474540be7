/**
 * `rvos infer --run RUN_DIR --frames DIR [--first-mask PNG] [--masks DIR] --out DIR`: segments
 * one's own video with a trained run. Writes <out>/masks/<frame>.png (DAVIS palette) and
 * <out>/overlays/<frame>.jpg. One-shot runs need the first frame's mask; objects that enter later
 * are given by palette PNGs named like their first frame in --masks. Zero-shot runs report the
 * slots whose objectness is above eval.objectness_threshold. `--box x,y,w,h` (frame pixels) gives
 * the first object as a box instead of a mask (SiamMask's initialisation; any one-shot model
 * accepts it as a rectangular first mask, written to <out>/box_mask.png).
 */
import path from 'node:path';
import { loadRunConfig } from '../../config/index.js';
import { ConfigError } from '../../utils/errors.js';
import { writeFileAtomicAsync } from '../../utils/fs.js';
import { parseFlags, UsageError } from '../args.js';

const USAGE = `Usage: rvos infer --run RUN_DIR --frames DIR --out DIR [--first-mask PNG | --box x,y,w,h] [--masks DIR] [--backend NAME]`;

/** Parses `x,y,w,h` (pixels of the first frame); throws a one-line ConfigError otherwise. */
export function parseBox(text: string): [number, number, number, number] {
  const parts = text.split(',').map((v) => Number(v.trim()));
  if (parts.length !== 4 || parts.some((v) => !Number.isFinite(v)) || parts[2]! <= 0 || parts[3]! <= 0) {
    throw new ConfigError(`--box must be x,y,w,h in pixels of the first frame with w, h > 0 (e.g. --box 10,12,30,20), got '${text}'`);
  }
  return parts as [number, number, number, number];
}

export async function run(argv: string[]): Promise<number> {
  const { flags: values, help } = parseFlags(
    argv,
    { run: { type: 'string' }, frames: { type: 'string' }, out: { type: 'string' }, 'first-mask': { type: 'string' }, masks: { type: 'string' }, box: { type: 'string' }, backend: { type: 'string' } },
    { command: 'infer', usage: USAGE },
  );
  if (help) {
    console.log(USAGE);
    return 0;
  }
  for (const key of ['run', 'frames', 'out'] as const) {
    if (values[key] === undefined) throw new UsageError(`--${key} is required`, USAGE, 'infer');
  }
  const { initBackend, parseBackendPreference } = await import('../../backend/index.js');
  if (values.box !== undefined && values['first-mask'] !== undefined) throw new ConfigError('pass either --first-mask or --box, not both');
  const box = values.box === undefined ? null : parseBox(values.box);
  const { RVOSModel } = await import('../../models/index.js');
  const { loadAnyModel } = await import('../../experiments/model_family.js');
  const { openFrameFolder, writeLabelPng, encodeJpeg } = await import('../../data/index.js');
  const { predictSequence } = await import('../../eval/predictor.js');
  const { predictWithTracker } = await import('../../eval/tracker_predictor.js');
  const { overlayLabels } = await import('../../eval/overlay.js');
  const config = loadRunConfig(values.run!).config;
  await initBackend(values.backend === undefined ? config.backend : parseBackendPreference(values.backend, '--backend'));
  const model = await loadAnyModel(path.join(values.run!, 'model'));
  const oneShot = !(model instanceof RVOSModel) || model.config.mode === 'one_shot';
  if (oneShot && values['first-mask'] === undefined && values.masks === undefined && box === null) {
    throw new ConfigError(`${values.run} is a one-shot model: pass --first-mask PNG (palette indices 1..N for the objects to follow) or --box x,y,w,h`);
  }
  let firstMask = values['first-mask'];
  if (box !== null) {
    const { width, height } = (await openFrameFolder(values.frames!)).sequences[0]!;
    const data = new Uint8Array(width * height);
    const [x0, y0] = [Math.max(0, Math.round(box[0])), Math.max(0, Math.round(box[1]))];
    const [x1, y1] = [Math.min(width, Math.round(box[0] + box[2])), Math.min(height, Math.round(box[1] + box[3]))];
    if (x1 <= x0 || y1 <= y0) throw new ConfigError(`--box ${values.box} lies outside the ${width}x${height} first frame`);
    for (let y = y0; y < y1; y++) data.fill(1, y * width + x0, y * width + x1);
    firstMask = path.join(values.out!, 'box_mask.png');
    writeLabelPng(firstMask, { width, height, data });
  }
  const dataset = await openFrameFolder(values.frames!, { firstMask, masksDir: values.masks });
  const seq = dataset.sequences[0]!;
  const started = Date.now();
  const predict = { size: config.data.size, threshold: config.eval.threshold, objectnessThreshold: config.eval.objectness_threshold };
  const { labels, objectness } = model instanceof RVOSModel ? await predictSequence(model, seq, predict) : await predictWithTracker(model, seq, predict);
  const seconds = (Date.now() - started) / 1000;
  for (let t = 0; t < labels.length; t++) {
    writeLabelPng(path.join(values.out!, 'masks', `${seq.frameNames[t]}.png`), labels[t]!);
    const overlay = overlayLabels(await seq.readFrame(t), labels[t]!);
    await writeFileAtomicAsync(path.join(values.out!, 'overlays', `${seq.frameNames[t]}.jpg`), await encodeJpeg(overlay, 90));
  }
  const ids = new Set(labels.flatMap((l) => [...new Set(l.data)]).filter((i) => i > 0));
  console.log(`${labels.length} frames in ${seconds.toFixed(1)} s (${((seconds * 1000) / labels.length).toFixed(0)} ms/frame); object ids in the output: ${[...ids].sort((a, b) => a - b).join(', ') || 'none'}`);
  if (objectness !== null) console.log(`mean objectness per slot: ${objectness.map((p) => p.toFixed(2)).join(' ')}`);
  console.log(`masks: ${path.resolve(values.out!, 'masks')}\noverlays: ${path.resolve(values.out!, 'overlays')}`);
  model.dispose();
  return 0;
}
