/**
 * A trained run over a whole dataset split: loads the run's model and settings, opens a DAVIS-2016,
 * DAVIS-2017 or YouTube-VOS root, runs the inference core over every video and writes the predictions as an
 * official result folder (<out>/<sequence>/<frame>.png, DAVIS palette) that `rvos eval --results`
 * and the official evaluators read. `rvos infer --dataset` and `rvos eval --run` share it.
 */
import path from 'node:path';
import { loadRunConfig, type RvosConfig } from '../../config/index.js';
import { encodeJpeg, writeLabelPng, type EvalTask, type VideoDataset, type VideoSequence } from '../../data/index.js';
import { overlayLabels } from '../../eval/overlay.js';
import { predictSequence } from '../../eval/predictor.js';
import { Progress, type ProgressStream } from '../../logging/index.js';
import { loadAnyModel, segmenterOf, type AnyModel } from './model_family.js';
import { ConfigError } from '../../utils/errors.js';
import { writeFileAtomicAsync } from '../../utils/fs.js';
import { openSplit } from './datasets.js';
import { evalTask, inferenceOptionsOf } from './run.js';

/** Datasets a run can be evaluated on, with their default evaluation split. */
export const EVAL_DATASETS = { davis2016: 'val', davis2017: 'val', youtube_vos: 'valid' } as const;
export type EvalDataset = keyof typeof EVAL_DATASETS;

export function parseEvalDataset(value: string | undefined, flag = '--dataset'): EvalDataset {
  if (value !== undefined && value in EVAL_DATASETS) return value as EvalDataset;
  throw new ConfigError(`${flag} must be ${Object.keys(EVAL_DATASETS).join(', ')}, got '${value ?? ''}'`);
}

export interface LoadedRun {
  config: RvosConfig;
  model: AnyModel;
  /** The task the run is evaluated with by default (eval.task, or from the model mode). */
  task: EvalTask;
}

/** Reads a run folder's config and saved model (RUN_DIR/.hydra, RUN_DIR/model). */
export async function loadRun(runDir: string): Promise<LoadedRun> {
  const config = loadRunConfig(runDir).config;
  const model = await loadAnyModel(path.join(runDir, 'model'));
  return { config, model, task: evalTask(config) };
}

/** Opens `split` of a DAVIS-2016, DAVIS-2017 or YouTube-VOS root for evaluation, keeping only `sequences` when given. */
export async function openEvalSplit(
  config: RvosConfig,
  dataset: EvalDataset,
  root: string,
  split: string,
  task: EvalTask,
  sequences?: string[],
): Promise<VideoDataset> {
  const opened = await openSplit({ ...config.data, dataset, root }, split, task, 'eval');
  if (sequences === undefined) return opened;
  const wanted = new Set(sequences);
  const kept = opened.sequences.filter((s) => wanted.has(s.name));
  const missing = sequences.filter((s) => !kept.some((k) => k.name === s));
  if (missing.length > 0) throw new ConfigError(`--sequences: ${missing.join(', ')} not in ${dataset} split '${split}' at ${root}`);
  return { ...opened, sequences: kept };
}

export interface PredictDatasetOptions {
  /** Result folder: <out>/<sequence>/<frame>.png. */
  out: string;
  /** Also write <overlays>/<sequence>/<frame>.jpg (the frame with the labels painted over it). */
  overlays?: string;
  /** Where the progress bar goes (default stderr). */
  stream?: ProgressStream;
}

export interface DatasetPrediction {
  sequences: number;
  frames: number;
  /** Wall time of prediction alone (reading frames and running the model), without writing files. */
  predictSeconds: number;
  msPerFrame: number;
}

/** Predicts every sequence of `dataset` with the run's model through the inference core. */
export async function predictDataset(run: LoadedRun, sequences: VideoSequence[], options: PredictDatasetOptions): Promise<DatasetPrediction> {
  const { config, model } = run;
  const core = segmenterOf(model, inferenceOptionsOf(config));
  const total = sequences.reduce((n, s) => n + s.frameNames.length, 0);
  const progress = new Progress({ total, label: 'predict', stream: options.stream });
  let frames = 0;
  let predictMs = 0;
  for (const seq of sequences) {
    const started = performance.now();
    const { labels } = await predictSequence(core, seq, { size: config.data.size, threshold: config.eval.threshold });
    predictMs += performance.now() - started;
    frames += labels.length;
    for (let t = 0; t < labels.length; t++) {
      writeLabelPng(path.join(options.out, seq.name, `${seq.frameNames[t]}.png`), labels[t]!);
      if (options.overlays !== undefined) {
        const overlay = overlayLabels(await seq.readFrame(t), labels[t]!);
        await writeFileAtomicAsync(path.join(options.overlays, seq.name, `${seq.frameNames[t]}.jpg`), await encodeJpeg(overlay, 90));
      }
    }
    progress.update(frames, { 'ms/frame': predictMs / frames });
  }
  progress.done({ 'ms/frame': frames === 0 ? 0 : predictMs / frames });
  return { sequences: sequences.length, frames, predictSeconds: predictMs / 1000, msPerFrame: frames === 0 ? 0 : predictMs / frames };
}
