/**
 * One training run from a composed config: data → model → trainer (checkpoints, TensorBoard,
 * validation J&F) → the best weights saved as a model → final evaluation of the validation split
 * with the official protocol → results.json. Re-running with `resume` continues an interrupted run.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { ComposedConfig, RvosConfig } from '../config/index.js';
import { saveRunConfig } from '../config/index.js';
import { initBackend } from '../backend/index.js';
import { MASKTRACK_PRIOR, RVOS_AUGMENTATION, type LabelMap, type VideoSequence } from '../data/index.js';
import type { RVOSModelConfig } from '../models/index.js';
import { SummaryWriter, Progress } from '../logging/index.js';
import { train, type TrainingStage } from '../train/trainer.js';
import { loadCheckpoint, restoreWeights, disposeCheckpoint } from '../train/checkpoint.js';
import { writeEvaluation, type GlobalMetrics } from '../eval/report.js';
import { writeFileAtomic } from '../utils/fs.js';
import { BatchSource } from './batch_source.js';
import { ensureSyntheticDataset, openSplit, type EvalTask } from './datasets.js';
import { evaluateModel } from './evaluate_model.js';
import { overlayStripPng } from './overlay_strip.js';
import { buildModel, gradientsFor, parameterCount } from './model_family.js';

export interface RunOptions {
  runDir: string;
  /** Continue from the run folder's latest checkpoint when it has one. */
  resume: boolean;
  /** Where progress goes (default stderr). */
  log?: (line: string) => void;
  /** Show the progress bar (default: when stderr is a TTY). */
  progress?: boolean;
}

export interface RunResults {
  task: EvalTask;
  mode: RvosConfig['model']['mode'];
  recurrence: RvosConfig['model']['recurrence'];
  seed: number;
  steps: number;
  bestStep: number | null;
  stoppedEarly: boolean;
  resumedFrom: number | null;
  trainSeconds: number;
  evalSeconds: number;
  backend: string;
  global: GlobalMetrics;
  /** Validation curve: step → J&F-Mean, with the live tensor count, tensor bytes and process RSS at that step. */
  validation: { step: number; score: number; tensors: number; bytes: number; rss: number }[];
  /** model.family (absent in runs made before families existed = rvos). */
  family?: RvosConfig['model']['family'];
  /** Trainable parameters. */
  params?: number;
  /** Prediction time per frame in the final evaluation (frame decoding and label maps included), in ms: wall clock and process CPU. */
  msPerFrame?: number;
  cpuMsPerFrame?: number;
}

export function evalTask(config: RvosConfig): EvalTask {
  if (config.eval.task === 'semi_supervised') return 'semi';
  if (config.eval.task === 'unsupervised') return 'unsupervised';
  return config.model.mode === 'one_shot' ? 'semi' : 'unsupervised';
}

export function modelConfigOf(config: RvosConfig): RVOSModelConfig {
  return {
    encoder: { name: config.encoder.name, pretrained: config.encoder.pretrained, freezeBatchNorm: config.encoder.freeze_batch_norm },
    hidden: config.model.hidden,
    slots: config.model.slots,
    recurrence: config.model.recurrence,
    mode: config.model.mode,
    objectness: config.model.objectness,
    motionInput: config.model.motion_input,
    seed: config.seed,
    inputs: [...config.model.inputs],
  };
}

/**
 * The training stages of a config. Stage lengths are relative: they are scaled so that the stages
 * add up to train.steps (so `train.steps=50` shortens an ST+ schedule without rewriting it).
 */
export function trainingStages(config: RvosConfig): TrainingStage[] {
  const { stages, steps } = config.train;
  if (stages === null) return [{ name: 'train', steps, previousMask: 'ground_truth' }];
  const weight = stages.reduce((n, s) => n + s.steps, 0);
  let used = 0;
  return stages.map((s, i) => {
    const n = i === stages.length - 1 ? steps - used : Math.round((s.steps / weight) * steps);
    used += n;
    return { name: s.name, steps: n, previousMask: s.name === 'gt_prev' ? 'ground_truth' : 'prediction' };
  });
}

export async function runTraining(composed: ComposedConfig, options: RunOptions): Promise<RunResults> {
  const config = composed.config;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { runDir } = options;
  fs.mkdirSync(runDir, { recursive: true });
  saveRunConfig(runDir, composed);
  const backend = await initBackend(config.backend, { log });
  const task = evalTask(config);
  if (await ensureSyntheticDataset(config.data)) log(`[rvos] generated the synthetic dataset in ${config.data.root}`);
  const trainSet = await openSplit(config.data, config.data.split, 'semi', 'train');
  const valSet = await openSplit(config.data, config.data.val_split, task, 'eval');
  for (const s of [...(trainSet.skipped ?? []), ...(valSet.skipped ?? [])]) log(`[rvos] skipped video ${s.name}: ${s.reason}`);

  const model = await buildModel(config, () => modelConfigOf(config));
  // Baselines with no weights (copy_first) skip training; mobile_prior always trains on synthesised prior masks.
  const trains = parameterCount(model) > 0;
  const priorMasks = (config.data.prior_mask || config.model.family === 'mobile_prior') && config.model.mode === 'one_shot';
  const stages = trainingStages(config);
  const totalSteps = stages.reduce((n, s) => n + s.steps, 0);
  const augment = config.data.augment;
  const batches = new BatchSource(trainSet, {
    length: config.data.clip_length,
    maxSkip: config.data.max_skip,
    size: config.data.size,
    slots: config.model.slots,
    augment: augment === null ? null : { ...RVOS_AUGMENTATION, flipProb: augment.flip, rotation: augment.rotation, translation: augment.translation, shear: augment.shear, zoom: augment.zoom },
    priorMask: priorMasks ? MASKTRACK_PRIOR : null,
    batchSize: config.data.batch_size,
    seed: config.seed,
    prefetch: config.data.prefetch,
  });
  const predict = { size: config.data.size, threshold: config.eval.threshold, objectnessThreshold: config.eval.objectness_threshold };
  const writer = new SummaryWriter(path.join(runDir, 'tb'));
  const progress = new Progress({ total: totalSteps, label: path.basename(runDir), stream: options.progress === false ? { write: () => undefined } : process.stderr });
  const validation: RunResults['validation'] = [];
  let droppedWarned = false;
  const started = Date.now();
  const result = !trains ? { progress: { step: 0, bestScore: null, bestStep: null, evalsWithoutImprovement: 0 }, stoppedEarly: false, resumedFrom: null, lastLoss: NaN } : await train(
    model,
    {
      runDir,
      stages,
      lr: config.train.lr,
      encoderLr: config.train.encoder_lr,
      weightDecay: config.train.weight_decay,
      gradClip: config.train.grad_clip ?? 0,
      loss: {
        matching: config.train.matching,
        objectnessWeight: config.model.objectness && config.train.objectness_loss ? config.train.objectness_weight : 0,
        emptySlotWeight: config.train.empty_slot_loss ? 1 : 0,
      },
      valEvery: config.train.val_every,
      ckptEvery: config.train.ckpt_every,
      patience: config.train.patience,
      logEvery: config.train.log_every,
      keepCheckpoints: 3,
      resume: options.resume,
      workers: config.train.workers,
    },
    {
      batch: async (step) => {
        const b = await batches.batch(step);
        const dropped = b.clips.flatMap((c) => c.droppedIds);
        if (dropped.length > 0 && !droppedWarned) {
          droppedWarned = true;
          log(`[rvos] objects with ids above model.slots=${config.model.slots} are dropped (ids ${[...new Set(dropped)].join(', ')}); raise model.slots to keep them`);
        }
        return b;
      },
      validate: async (m, step) => {
        const logOverlay = async (seq: VideoSequence, labels: LabelMap[]) => {
          if (seq !== valSet.sequences[0]) return;
          const strip = await overlayStripPng(seq, labels, 4);
          writer.image(`val/${seq.name}`, strip.png, strip.height, strip.width, step);
        };
        const ev = await evaluateModel(m, valSet.sequences, { ...predict, task, onSequence: logOverlay });
        return { score: ev.global['J&F-Mean'], metrics: { 'J&F': ev.global['J&F-Mean'], J: ev.global['J-Mean'], F: ev.global['F-Mean'] } };
      },
      logger: writer,
      gradients: gradientsFor(model),
      onStep: (info) => progress.update(info.step, { loss: info.loss }),
      onValidation: (step, r, isBest) => {
        const memory = { tensors: tf.memory().numTensors, bytes: tf.memory().numBytes, rss: process.memoryUsage().rss };
        validation.push({ step, score: r.score, ...memory });
        // Memory is printed with every validation so a long run shows it stays flat.
        progress.log(
          `[rvos] step ${step}: validation J&F ${r.score.toFixed(3)}${isBest ? ' (best)' : ''}; ` +
            `memory: ${memory.tensors} tensors, ${(memory.bytes / 2 ** 20).toFixed(1)} MiB in tensors, RSS ${(memory.rss / 2 ** 20).toFixed(0)} MiB`,
        );
      },
    },
  );
  progress.done({ loss: result.lastLoss });
  writer.close();
  const trainSeconds = (Date.now() - started) / 1000;

  // Final evaluation with the best weights (by validation J&F), written like an official result folder.
  const best = loadCheckpoint(path.join(runDir, 'checkpoints'), 'best');
  if (best !== undefined) {
    restoreWeights(best, model.namedVariables());
    disposeCheckpoint(best);
  }
  await model.save(path.join(runDir, 'model'));
  const evalStarted = Date.now();
  const predictionsDir = path.join(runDir, 'predictions');
  const timing = { seconds: 0, cpuSeconds: 0, frames: 0 };
  const evaluation = await evaluateModel(model, valSet.sequences, { ...predict, task, predictionsDir, timing });
  writeEvaluation(path.join(runDir, 'eval'), evaluation);
  const results: RunResults = {
    task,
    mode: config.model.mode,
    recurrence: config.model.recurrence,
    seed: config.seed,
    steps: result.progress.step,
    bestStep: result.progress.bestStep,
    stoppedEarly: result.stoppedEarly,
    resumedFrom: result.resumedFrom,
    trainSeconds,
    evalSeconds: (Date.now() - evalStarted) / 1000,
    backend: backend.backend,
    global: evaluation.global,
    validation,
    family: config.model.family,
    params: parameterCount(model),
    msPerFrame: timing.frames > 0 ? (1000 * timing.seconds) / timing.frames : NaN,
    cpuMsPerFrame: timing.frames > 0 ? (1000 * timing.cpuSeconds) / timing.frames : NaN,
  };
  writeFileAtomic(path.join(runDir, 'results.json'), JSON.stringify(results, null, 2));
  model.dispose();
  log(`[rvos] ${task} J&F-Mean ${evaluation.global['J&F-Mean'].toFixed(3)} on ${valSet.sequences.length} ${config.data.val_split} videos; tensors alive: ${tf.memory().numTensors}`);
  return results;
}
