/**
 * `rvos infer --run RUN_DIR --frames DIR [--first-mask PNG] [--masks DIR] --out DIR`: segments
 * one's own video with a trained run. Writes <out>/masks/<frame>.png (DAVIS palette) and
 * <out>/overlays/<frame>.jpg. One-shot runs need the first frame's mask; objects that enter later
 * are given by palette PNGs named like their first frame in --masks. Zero-shot runs report the
 * slots whose objectness is above eval.objectness_threshold.
 */
import path from 'node:path';
import { loadRunConfig } from '../../config/index.js';
import { ConfigError } from '../../utils/errors.js';
import { writeFileAtomicAsync } from '../../utils/fs.js';
import { parseFlags, UsageError } from '../args.js';

const USAGE = `Usage: rvos infer --run RUN_DIR --frames DIR --out DIR [--first-mask PNG] [--masks DIR] [--backend NAME]`;

export async function run(argv: string[]): Promise<number> {
  const { flags: values, help } = parseFlags(
    argv,
    { run: { type: 'string' }, frames: { type: 'string' }, out: { type: 'string' }, 'first-mask': { type: 'string' }, masks: { type: 'string' }, backend: { type: 'string' } },
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
  const { RVOSModel } = await import('../../models/index.js');
  const { openFrameFolder, writeLabelPng, encodeJpeg } = await import('../../data/index.js');
  const { predictSequence } = await import('../../eval/predictor.js');
  const { overlayLabels } = await import('../../eval/overlay.js');
  const config = loadRunConfig(values.run!).config;
  await initBackend(values.backend === undefined ? config.backend : parseBackendPreference(values.backend, '--backend'));
  const model = await RVOSModel.load(path.join(values.run!, 'model'));
  if (model.config.mode === 'one_shot' && values['first-mask'] === undefined && values.masks === undefined) {
    throw new ConfigError(`${values.run} is a one-shot model: pass --first-mask PNG (palette indices 1..N for the objects to follow)`);
  }
  const dataset = await openFrameFolder(values.frames!, { firstMask: values['first-mask'], masksDir: values.masks });
  const seq = dataset.sequences[0]!;
  const started = Date.now();
  const { labels, objectness } = await predictSequence(model, seq, {
    size: config.data.size, threshold: config.eval.threshold, objectnessThreshold: config.eval.objectness_threshold,
  });
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
