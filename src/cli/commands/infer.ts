/**
 * `rvos infer`: segments videos with a trained run through the inference core.
 *
 * One's own video: `--frames DIR [--first-mask PNG] [--masks DIR] --out DIR` writes
 * <out>/masks/<frame>.png (DAVIS palette) and, with eval.write_overlays, <out>/overlays/<frame>.jpg. One-shot runs need the
 * first frame's mask; objects that enter later are given by palette PNGs named like their first
 * frame in --masks. Zero-shot runs report the slots whose objectness is above
 * eval.objectness_threshold. `--box x,y,w,h` (frame pixels) gives object 1 as a box instead of a
 * mask (SiamMask's initialisation; written to <out>/box_mask.png).
 *
 * A whole dataset: `--dataset davis2016|davis2017|youtube_vos --root DIR [--split NAME] --out DIR` writes an
 * official result folder <out>/<sequence>/<frame>.png (what `rvos eval --results` reads), nothing
 * else; overlays (eval.write_overlays) are written by the one-video form and by `rvos eval --run`.
 */
import path from 'node:path';
import { loadRunConfig } from '../../config/index.js';
import { ConfigError, DataError } from '../../utils/errors.js';
import { writeFileAtomicAsync } from '../../utils/fs.js';
import { parseFlags, UsageError } from '../args.js';

/** Parses `x,y,w,h` (pixels of the first frame); throws a one-line ConfigError otherwise. */
export function parseBox(text: string): [number, number, number, number] {
  const parts = text.split(',').map((v) => Number(v.trim()));
  if (parts.length !== 4 || parts.some((v) => !Number.isFinite(v)) || parts[2]! <= 0 || parts[3]! <= 0) {
    throw new ConfigError(`--box must be x,y,w,h in pixels of the first frame with w, h > 0 (e.g. --box 10,12,30,20), got '${text}'`);
  }
  return parts as [number, number, number, number];
}

const USAGE = `Usage: rvos infer --run RUN_DIR --frames DIR --out DIR [--first-mask PNG | --box x,y,w,h] [--masks DIR] [--backend NAME]
       rvos infer --run RUN_DIR --dataset davis2016|davis2017|youtube_vos --root DIR --out DIR [--split NAME] [--sequences A,B] [--backend NAME]

The second form predicts every video of a dataset split into an official result folder
(<out>/<sequence>/<frame>.png) for \`rvos eval --results\`; DAVIS split default val, YouTube-VOS valid.
Zero-shot runs write their instance ids; \`rvos eval --dataset davis2016\` scores their union.`;

export async function run(argv: string[]): Promise<number> {
  const { flags: values, help } = parseFlags(
    argv,
    {
      run: { type: 'string' },
      frames: { type: 'string' },
      out: { type: 'string' },
      'first-mask': { type: 'string' },
      masks: { type: 'string' },
      box: { type: 'string' },
      dataset: { type: 'string', choices: ['davis2016', 'davis2017', 'youtube_vos'] },
      root: { type: 'string' },
      split: { type: 'string' },
      sequences: { type: 'string' },
      backend: { type: 'string' },
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
  if ((values.frames === undefined) === (values.dataset === undefined))
    throw new UsageError('pass --frames DIR (one video) or --dataset NAME --root DIR (a dataset split)', USAGE, 'infer');
  const { initBackend, parseBackendPreference } = await import('../../backend/index.js');
  const config = loadRunConfig(values.run!).config;
  await initBackend(values.backend === undefined ? config.backend : parseBackendPreference(values.backend, '--backend'));
  if (values.dataset !== undefined) return inferDataset(values.run!, values.dataset, values.root, values.split, values.sequences, values.out!);

  if (values.box !== undefined && values['first-mask'] !== undefined) throw new ConfigError('pass either --first-mask or --box, not both');
  const box = values.box === undefined ? null : parseBox(values.box);
  const { loadAnyModel, segmenterOf } = await import('../../experiments/run/model_family.js');
  const { inferenceOptionsOf } = await import('../../experiments/run/run.js');
  const { openFrameFolder, writeLabelPng, encodeJpeg } = await import('../../data/index.js');
  const { predictSequence } = await import('../../eval/predictor.js');
  const { overlayLabels } = await import('../../eval/overlay.js');
  const model = await loadAnyModel(path.join(values.run!, 'model'));
  const segmenter = segmenterOf(model, inferenceOptionsOf(config));
  if (segmenter.mode === 'one_shot' && values['first-mask'] === undefined && values.masks === undefined && box === null) {
    throw new ConfigError(`${values.run} is a one-shot model: pass --first-mask PNG (palette indices 1..N for the objects to follow) or --box x,y,w,h`);
  }
  let firstMask = values['first-mask'];
  if (box !== null) {
    // The box becomes object 1's first mask (SiamMask's initialisation; other one-shot models read it as a rectangle).
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
  for (const w of dataset.warnings ?? []) console.error(`[rvos] warning: ${w}`);
  const seq = dataset.sequences[0]!;
  if (segmenter.mode === 'one_shot' && seq.objectIds.length === 0) {
    // A one-shot model follows the objects it is given; with none, every output mask would be empty.
    const given = [values['first-mask'], values.masks].filter((v) => v !== undefined).join(' and ');
    throw new DataError(`${given}: no object in the given mask(s) (every pixel is 0 or 255); paint the objects to follow with palette indices 1..N`);
  }
  const started = Date.now();
  const { labels, objectness } = await predictSequence(segmenter, seq, {
    size: config.data.size,
    threshold: config.eval.threshold,
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
  console.log(
    `${labels.length} frames in ${seconds.toFixed(1)} s (${((seconds * 1000) / labels.length).toFixed(0)} ms/frame); object ids in the output: ${[...ids].sort((a, b) => a - b).join(', ') || 'none'}`,
  );
  if (objectness !== null) console.log(`mean objectness per slot: ${objectness.map((p) => p.toFixed(2)).join(' ')}`);
  console.log(`masks: ${path.resolve(values.out!, 'masks')}${config.eval.write_overlays ? `\noverlays: ${path.resolve(values.out!, 'overlays')}` : ''}`);
  segmenter.dispose();
  model.dispose();
  return 0;
}

async function inferDataset(
  runDir: string,
  datasetFlag: string,
  root: string | undefined,
  splitFlag: string | undefined,
  sequencesFlag: string | undefined,
  out: string,
): Promise<number> {
  const { EVAL_DATASETS, loadRun, openEvalSplit, parseEvalDataset, predictDataset } = await import('../../experiments/run/predict_dataset.js');
  const dataset = parseEvalDataset(datasetFlag);
  if (root === undefined) throw new UsageError(`--root DIR (the ${dataset} root) is required with --dataset`, USAGE.split('\n')[1]!, 'infer');
  const split = splitFlag ?? EVAL_DATASETS[dataset];
  const sequences = sequencesFlag
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const loaded = await loadRun(runDir);
  try {
    const opened = await openEvalSplit(loaded.config, dataset, root, split, loaded.task, sequences);
    for (const s of opened.skipped ?? []) console.error(`[rvos] skipped video ${s.name}: ${s.reason}`);
    for (const w of opened.warnings ?? []) console.error(`[rvos] warning: ${w}`);
    const done = await predictDataset(loaded, opened.sequences, { out });
    console.log(`Predicted ${done.frames} frames of ${done.sequences} videos in ${done.predictSeconds.toFixed(1)} s (${done.msPerFrame.toFixed(1)} ms/frame)`);
    console.log(
      `results: ${path.resolve(out)} (evaluate: rvos eval --dataset ${dataset} --root ${root} --results ${out} --task ${loaded.task}${splitFlag === undefined ? '' : ` --split ${split}`})`,
    );
  } finally {
    loaded.model.dispose();
  }
  return 0;
}
