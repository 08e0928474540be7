/**
 * `rvos eval`: evaluates a result folder with the official DAVIS-2017 (semi-supervised or
 * unsupervised), DAVIS-2016 (one binary object: semi-supervised, or the zero-shot foreground as
 * the union of the predicted instances) or YouTube-VOS protocol, writes the CSVs + JSON and prints
 * the global table. With `--run RUN_DIR` it first predicts the dataset with that trained run (the
 * inference core, as `rvos infer --dataset` does) into <out>/predictions/; with `--floor
 * copy_first` it writes the copy-first-mask floor there instead; then it evaluates that folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { EVAL_TASKS, type EvalTask } from '../../data/types.js';
import { evaluateDavis } from '../../eval/davis.js';
import { evaluateDavis2016 } from '../../eval/davis2016.js';
import { formatFixed3, formatGlobalTable, writeEvaluation } from '../../eval/report.js';
import { evaluateYouTubeVOS, writeYouTubeVOSEvaluation, YOUTUBE_VOS_MEASURES } from '../../eval/youtube_vos.js';
import { ConfigError } from '../../utils/errors.js';
import { parseFlags, UsageError } from '../args.js';

type Dataset = 'davis2016' | 'davis2017' | 'youtube_vos';
const DATASETS: readonly Dataset[] = ['davis2016', 'davis2017', 'youtube_vos'];

const USAGE = `Usage: rvos eval --dataset davis2016|davis2017|youtube_vos --root DIR --results DIR [options]
       rvos eval --run RUN_DIR [--split train|val|test] [--dataset davis2016|davis2017|youtube_vos --root DIR] [options]
       rvos eval --floor copy_first --dataset davis2016|davis2017|youtube_vos --root DIR [options]

Evaluates predicted palette PNGs (<results>/<sequence>/<frame>.png) with the official metrics.
With --run, predicts them first with a trained run (written to <out>/predictions/); with
--floor copy_first, writes the copy-first-mask floor there (every frame repeats the given masks).

Options:
  --dataset davis2016|davis2017|youtube_vos
  --root DIR          dataset root (DAVIS: holds ImageSets/ and Annotations/; YouTube-VOS: holds <split>/);
                      with --run, --dataset and --root default to the run's own data.
                      davis2016 reads the official layout (ImageSets/480p/, 0/255 masks) or a
                      DAVIS-2017-layout copy (ImageSets/2016/, palette ids; their union is the object)
  --results DIR       result folder
  --run RUN_DIR       a training run folder (holds .hydra/ and model/): predict, then evaluate
  --floor copy_first  score the copy-first-mask floor (the one-shot floor; semi_supervised only)
  --task semi_supervised|unsupervised   DAVIS protocol (default: the run's eval.task with --run, i.e. its
                      mode, else semi_supervised). davis2016 unsupervised: the union of the predicted
                      instances is the foreground, scored against the binary mask
  --split NAME        DAVIS-2017: ImageSets/2017/<split>.txt; DAVIS-2016: ImageSets/480p/<split>.txt or
                      ImageSets/2016/<split>.txt (default val); YouTube-VOS: train|valid (default valid);
                      with --run on the run's own data: default its data.test_split (test for
                      synthetic data, whose lists are train, val and test; docs/protocol.md)
  --sequences A,B     evaluate only these sequences/videos
  --seen FILE         YouTube-VOS: categories seen in training, one per line (others count as unseen)
  --out DIR           where to write CSV/JSON (default: the result folder; with --run: RUN_DIR/eval-<dataset>-<split>;
                      with --floor: results/floor-copy_first-<dataset>-<split>)
  --temporal-stability   DAVIS: also compute the DAVIS-2016 temporal stability T (slow; separate CSV)
  --backend NAME      with --run or --floor: auto | tensorflow | wasm | cpu (default: the run's backend; --floor: auto)
  -h, --help`;

export async function run(argv: string[]): Promise<number> {
  const { flags: values, help } = parseFlags(
    argv,
    {
      dataset: { type: 'string', choices: DATASETS },
      root: { type: 'string' },
      results: { type: 'string' },
      run: { type: 'string' },
      floor: { type: 'string', choices: ['copy_first'] },
      task: { type: 'string', choices: EVAL_TASKS },
      split: { type: 'string' },
      sequences: { type: 'string' },
      seen: { type: 'string' },
      out: { type: 'string' },
      'temporal-stability': { type: 'boolean' },
      backend: { type: 'string' },
    },
    { command: 'eval', usage: USAGE },
  );
  if (help) {
    console.log(USAGE);
    return 0;
  }
  const required = (name: 'dataset' | 'root' | 'results'): string => {
    const v = values[name];
    if (v === undefined) throw new UsageError(`--${name} is required`, USAGE.split('\n')[0]!, 'eval');
    return v;
  };
  let dataset = values.dataset as Dataset | undefined;
  let root = values.root;
  let split = values.split;
  if (values.run !== undefined) ({ dataset, root, split } = await runDefaults(values.run, dataset, root, split));
  if (dataset === undefined) dataset = required('dataset') as Dataset;
  if (root === undefined) root = required('root');
  const sequences = values.sequences
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  let seenCategories: string[] | undefined;
  if (dataset === 'youtube_vos') {
    if (values.seen === undefined) throw new ConfigError('--seen FILE (the categories seen in training, one per line) is required for youtube_vos');
    let seenText: string;
    try {
      seenText = fs.readFileSync(values.seen, 'utf8');
    } catch {
      throw new ConfigError(`--seen ${values.seen}: file is missing or unreadable`);
    }
    seenCategories = seenText
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l.length > 0);
  }

  let results: string;
  let out: string;
  let task: EvalTask;
  const sources = (['results', 'run', 'floor'] as const).filter((k) => values[k] !== undefined);
  if (sources.length > 1)
    throw new UsageError(`pass only one of --results, --run, --floor (got ${sources.map((k) => `--${k}`).join(' and ')})`, USAGE.split('\n')[0]!, 'eval');
  if (values.run !== undefined) {
    const predicted = await predictWithRun(values.run, dataset, root, values.task, split, sequences, values.out, values.backend);
    ({ results, out, task } = predicted);
  } else if (values.floor !== undefined) {
    if (values.task === 'unsupervised')
      throw new ConfigError('--floor copy_first is the one-shot floor (it is given the first mask): score it with --task semi_supervised');
    task = 'semi_supervised';
    ({ results, out } = await predictFloor(dataset, root, values.split, sequences, values.out, values.backend));
  } else {
    results = required('results');
    out = values.out ?? results;
    task = values.task ?? 'semi_supervised';
  }

  const started = Date.now();
  if (dataset === 'davis2017' || dataset === 'davis2016') {
    const common = {
      root,
      results,
      task,
      split,
      sequences,
      temporalStability: values['temporal-stability'] === true,
      onSequence: (s: { sequence: string }, i: number, n: number) => process.stderr.write(`\r[${i + 1}/${n}] ${s.sequence}`.padEnd(60)),
    };
    // Warnings (grayscale PNGs, unscored frames) go after the progress line, not into it.
    const warnings: string[] = [];
    const evaluation = dataset === 'davis2017' ? await evaluateDavis({ ...common, warn: (l) => warnings.push(l) }) : await evaluateDavis2016(common);
    process.stderr.write('\n');
    for (const w of warnings) process.stderr.write(`[rvos] warning: ${w}\n`);
    const files = writeEvaluation(out, evaluation);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      dataset === 'davis2017'
        ? `DAVIS-2017 ${evaluation.task}: ${evaluation.perObject.length} objects in ${evaluation.sequences.length} sequences (${seconds} s)`
        : `DAVIS-2016 ${evaluation.task}${evaluation.task === 'unsupervised' ? ' (foreground: the union of the predicted instances)' : ''}: ${evaluation.sequences.length} sequences (${seconds} s)`,
    );
    console.log(formatGlobalTable(evaluation.global));
    if (evaluation.temporalStability !== undefined)
      console.log(`T-Mean (DAVIS-2016 temporal stability, lower is better): ${formatFixed3(evaluation.temporalStability.mean) || 'NaN'}`);
    console.log(`Wrote ${files.join(', ')}`);
    return 0;
  }
  const evaluation = await evaluateYouTubeVOS({ root, results, split, videos: sequences, seenCategories: seenCategories! });
  const files = writeYouTubeVOSEvaluation(out, evaluation);
  console.log(`YouTube-VOS: ${evaluation.objects.length} objects (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  console.log(YOUTUBE_VOS_MEASURES.map((m) => m.padStart(9)).join(' '));
  console.log(YOUTUBE_VOS_MEASURES.map((m) => (formatFixed3(evaluation.global[m]) || 'NaN').padStart(9)).join(' '));
  console.log(`Wrote ${files.join(', ')}`);
  return 0;
}

/**
 * --dataset, --root and --split of `--run` when not given: the run's own data and its test split
 * (the split a run reports; docs/protocol.md). A --split on another root keeps the flag's default.
 */
async function runDefaults(
  runDir: string,
  dataset: Dataset | undefined,
  root: string | undefined,
  split: string | undefined,
): Promise<{ dataset: Dataset | undefined; root: string | undefined; split: string | undefined }> {
  const { loadRunConfig } = await import('../../config/index.js');
  const data = loadRunConfig(runDir).config.data;
  // Synthetic data has the DAVIS-2017 layout; a folder of frames has no labels to score.
  const own: Dataset | undefined = data.dataset === 'synthetic' ? 'davis2017' : data.dataset === 'frames' ? undefined : data.dataset;
  const onOwnData = own !== undefined && (dataset === undefined || dataset === own) && (root === undefined || path.resolve(root) === path.resolve(data.root));
  if (!onOwnData) return { dataset, root, split };
  return { dataset: own, root: root ?? data.root, split: split ?? data.test_split };
}

/** Predicts `dataset` with the run into <out>/predictions and says where to evaluate. */
async function predictWithRun(
  runDir: string,
  dataset: Dataset,
  root: string,
  taskFlag: EvalTask | undefined,
  splitFlag: string | undefined,
  sequences: string[] | undefined,
  outFlag: string | undefined,
  backendFlag: string | undefined,
): Promise<{ results: string; out: string; task: EvalTask }> {
  const { initBackend, parseBackendPreference } = await import('../../backend/index.js');
  const { EVAL_DATASETS, loadRun, openEvalSplit, predictDataset } = await import('../../experiments/run/predict_dataset.js');
  const { loadRunConfig } = await import('../../config/index.js');
  const backendConfig = loadRunConfig(runDir).config.backend;
  await initBackend(backendFlag === undefined ? backendConfig : parseBackendPreference(backendFlag, '--backend'));
  const loaded = await loadRun(runDir);
  try {
    const task = taskFlag ?? loaded.task;
    const split = splitFlag ?? EVAL_DATASETS[dataset];
    const out = outFlag ?? path.join(runDir, `eval-${dataset}-${split}`);
    const results = path.join(out, 'predictions');
    const opened = await openEvalSplit(loaded.config, dataset, root, split, task, sequences);
    for (const w of opened.warnings ?? []) console.error(`[rvos] warning: ${w}`);
    const done = await predictDataset(loaded, opened.sequences, {
      out: results,
      overlays: loaded.config.eval.write_overlays ? path.join(out, 'overlays') : undefined,
    });
    console.log(
      `Predicted ${done.frames} frames of ${done.sequences} videos in ${done.predictSeconds.toFixed(1)} s (${done.msPerFrame.toFixed(1)} ms/frame) → ${results}`,
    );
    return { results, out, task };
  } finally {
    loaded.model.dispose();
  }
}

/** Writes the copy-first floor of `dataset`'s split into <out>/predictions (src/experiments/run/floor.ts). */
async function predictFloor(
  dataset: Dataset,
  root: string,
  splitFlag: string | undefined,
  sequences: string[] | undefined,
  outFlag: string | undefined,
  backendFlag: string | undefined,
): Promise<{ results: string; out: string }> {
  const { initBackend, parseBackendPreference } = await import('../../backend/index.js');
  const { openSplit } = await import('../../experiments/run/datasets.js');
  const { EVAL_DATASETS } = await import('../../experiments/run/predict_dataset.js');
  const { predictCopyFirst } = await import('../../experiments/run/floor.js');
  await initBackend(backendFlag === undefined ? undefined : parseBackendPreference(backendFlag, '--backend'));
  const split = splitFlag ?? EVAL_DATASETS[dataset];
  const out = outFlag ?? path.join('results', `floor-copy_first-${dataset}-${split}`);
  const results = path.join(out, 'predictions');
  const opened = await openSplit({ dataset, root, on_error: 'raise' }, split, 'semi_supervised', 'eval');
  let videos = opened.sequences;
  if (sequences !== undefined) {
    const missing = sequences.filter((s) => !videos.some((v) => v.name === s));
    if (missing.length > 0) throw new ConfigError(`--sequences: ${missing.join(', ')} not in ${dataset} split '${split}' at ${root}`);
    videos = videos.filter((v) => sequences.includes(v.name));
  }
  const done = await predictCopyFirst(videos, results);
  console.log(`Wrote the copy-first floor of ${done.frames} frames of ${done.sequences} videos → ${results}`);
  return { results, out };
}
