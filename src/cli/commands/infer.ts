/**
 * `rvos infer`: segments videos with a trained run through the inference core.
 *
 * One's own video: `--frames DIR [--first-mask PNG] [--masks DIR] --out DIR` writes
 * <out>/masks/<frame>.png (DAVIS palette) and, with eval.write_overlays, <out>/overlays/<frame>.jpg. One-shot runs need the
 * first frame's mask; objects that enter later are given by palette PNGs named like their first
 * frame in --masks. Zero-shot runs report the slots whose objectness is above
 * eval.objectness_threshold.
 *
 * A whole dataset: `--dataset davis2017|youtube_vos --root DIR [--split NAME] --out DIR` writes an
 * official result folder <out>/<sequence>/<frame>.png (what `rvos eval --results` reads), nothing
 * else; overlays (eval.write_overlays) are written by the one-video form and by `rvos eval --run`.
 */
import path from 'node:path';
import { loadRunConfig } from '../../config/index.js';
import { ConfigError, DataError } from '../../utils/errors.js';
import { writeFileAtomicAsync } from '../../utils/fs.js';
import { parseFlags, UsageError } from '../args.js';

const USAGE = `Usage: rvos infer --run RUN_DIR --frames DIR --out DIR [--first-mask PNG] [--masks DIR] [--backend NAME]
       rvos infer --run RUN_DIR --dataset davis2017|youtube_vos --root DIR --out DIR [--split NAME] [--sequences A,B] [--backend NAME]

The second form predicts every video of a dataset split into an official result folder
(<out>/<sequence>/<frame>.png) for \`rvos eval --results\`; DAVIS split default val, YouTube-VOS valid.`;

export async function run(argv: string[]): Promise<number> {
  const { flags: values, help } = parseFlags(
    argv,
    {
      run: { type: 'string' }, frames: { type: 'string' }, out: { type: 'string' }, 'first-mask': { type: 'string' }, masks: { type: 'string' },
      dataset: { type: 'string', choices: ['davis2017', 'youtube_vos'] }, root: { type: 'string' }, split: { type: 'string' }, sequences: { type: 'string' }, backend: { type: 'string' },
    },
    { command: 'infer', usage: USAGE },
  );
  if (help) {
    console.log(USAGE);
    return 0;
  }
  for (const key of ['run', 'out'] as const) {
    if (values[key] === undefined) throw new UsageError(`--${key} is required`, USAGE, 'infer');
  }
  if ((values.frames === undefined) === (values.dataset === undefined)) throw new UsageError('pass --frames DIR (one video) or --dataset NAME --root DIR (a dataset split)', USAGE, 'infer');
  const { initBackend, parseBackendPreference } = await import('../../backend/index.js');
  const config = loadRunConfig(values.run!).config;
  await initBackend(values.backend === undefined ? config.backend : parseBackendPreference(values.backend, '--backend'));
  if (values.dataset !== undefined) return inferDataset(values.run!, values.dataset, values.root, values.split, values.sequences, values.out!);

  const { InferenceCore, loadModel } = await import('../../models/index.js');
  const { inferenceOptionsOf } = await import('../../experiments/run.js');
  const { openFrameFolder, writeLabelPng, encodeJpeg } = await import('../../data/index.js');
  const { predictSequence } = await import('../../eval/predictor.js');
  const { overlayLabels } = await import('../../eval/overlay.js');
  const model = await loadModel(path.join(values.run!, 'model'));
  if (model.config.mode === 'one_shot' && values['first-mask'] === undefined && values.masks === undefined) {
    throw new ConfigError(`${values.run} is a one-shot model: pass --first-mask PNG (palette indices 1..N for the objects to follow)`);
  }
  const dataset = await openFrameFolder(values.frames!, { firstMask: values['first-mask'], masksDir: values.masks });
  const seq = dataset.sequences[0]!;
  if (model.config.mode === 'one_shot' && seq.objectIds.length === 0) {
    // A one-shot model follows the objects it is given; with none, every output mask would be empty.
    const given = [values['first-mask'], values.masks].filter((v) => v !== undefined).join(' and ');
    throw new DataError(`${given}: no object in the given mask(s) (every pixel is 0 or 255); paint the objects to follow with palette indices 1..N`);
  }
  const started = Date.now();
  const { labels, objectness } = await predictSequence(new InferenceCore(model, inferenceOptionsOf(config)), seq, {
    size: config.data.size, threshold: config.eval.threshold,
  });
  const seconds = (Date.now() - started) / 1000;
  for (let t = 0; t < labels.length; t++) {
    writeLabelPng(path.join(values.out!, 'masks', `${seq.frameNames[t]}.png`), labels[t]!);
    if (config.eval.write_overlays) {
      const overlay = overlayLabels(await seq.readFrame(t), labels[t]!);
      await writeFileAtomicAsync(path.join(values.out!, 'overlays', `${seq.frameNames[t]}.jpg`), await encodeJpeg(overlay, 90));
    }
  }
  const ids = new Set(labels.flatMap((l) => [...new Set(l.data)]).filter((i) => i > 0));
  console.log(`${labels.length} frames in ${seconds.toFixed(1)} s (${((seconds * 1000) / labels.length).toFixed(0)} ms/frame); object ids in the output: ${[...ids].sort((a, b) => a - b).join(', ') || 'none'}`);
  if (objectness !== null) console.log(`mean objectness per slot: ${objectness.map((p) => p.toFixed(2)).join(' ')}`);
  console.log(`masks: ${path.resolve(values.out!, 'masks')}${config.eval.write_overlays ? `\noverlays: ${path.resolve(values.out!, 'overlays')}` : ''}`);
  model.dispose();
  return 0;
}

async function inferDataset(runDir: string, datasetFlag: string, root: string | undefined, splitFlag: string | undefined, sequencesFlag: string | undefined, out: string): Promise<number> {
  const { EVAL_DATASETS, loadRun, openEvalSplit, parseEvalDataset, predictDataset } = await import('../../experiments/predict_dataset.js');
  const dataset = parseEvalDataset(datasetFlag);
  if (root === undefined) throw new UsageError(`--root DIR (the ${dataset} root) is required with --dataset`, USAGE.split('\n')[1]!, 'infer');
  const split = splitFlag ?? EVAL_DATASETS[dataset];
  const sequences = sequencesFlag?.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const loaded = await loadRun(runDir);
  try {
    const opened = await openEvalSplit(loaded.config, dataset, root, split, loaded.task, sequences);
    for (const s of opened.skipped ?? []) console.error(`[rvos] skipped video ${s.name}: ${s.reason}`);
    const done = await predictDataset(loaded, opened.sequences, { out });
    console.log(`Predicted ${done.frames} frames of ${done.sequences} videos in ${done.predictSeconds.toFixed(1)} s (${done.msPerFrame.toFixed(1)} ms/frame)`);
    console.log(`results: ${path.resolve(out)} (evaluate: rvos eval --dataset ${dataset} --root ${root} --results ${out} --task ${loaded.task}${splitFlag === undefined ? '' : ` --split ${split}`})`);
  } finally {
    loaded.model.dispose();
  }
  return 0;
}
