/**
 * The training loop: batches → clip loss with back-propagation through the clip → gradient
 * clipping → Adam (encoder and decoder learning rates) → periodic validation, checkpoints and
 * early stopping. Data, validation and logging are injected, so the loop knows nothing about
 * datasets or files other than its checkpoints.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { RVOSModel } from '../models/rvos_model.js';
import { Adam, clipByGlobalNorm } from './adam.js';
import type { ClipLossOptions } from './clip_loss.js';
import type { ClipBatch } from '../data/batch.js';
import {
  disposeCheckpoint,
  loadCheckpoint,
  pruneCheckpoints,
  removeStaleCheckpointTemporaries,
  restoreWeights,
  saveCheckpoint,
  type TrainerProgress,
} from './checkpoint.js';
import { TrainingError } from '../utils/errors.js';
import { InThreadGradients, type GradientProvider } from './parallel/gradients.js';
import { WorkerGradients } from './parallel/worker_gradients.js';

/** One phase of training; ST+ one-shot training is two stages (ground truth, then predictions). */
export interface TrainingStage {
  name: string;
  steps: number;
  previousMask: ClipLossOptions['previousMask'];
}

export type LrSchedule = 'constant' | 'cosine';

/**
 * The factor on the configured lr at step `step` (0-based) of `total`: 1 throughout for
 * constant; for cosine, ½(1 + cos(π·step/total)), from 1 at the first step towards 0 at the last.
 * A pure function of the step, so a resumed run continues on the same curve.
 */
export function lrScaleAt(schedule: LrSchedule, step: number, total: number): number {
  if (schedule === 'constant' || total <= 0) return 1;
  return 0.5 * (1 + Math.cos((Math.PI * step) / total));
}

export interface TrainerOptions {
  /** Where checkpoints go (`<runDir>/checkpoints`). */
  runDir: string;
  stages: TrainingStage[];
  lr: number;
  encoderLr: number;
  /** How the lr changes over the run: constant (RVOS) or cosine (from lr down to 0 at the last step). Default constant. */
  lrSchedule?: LrSchedule;
  weightDecay: number;
  /** Max global gradient norm; 0 = no clipping. */
  gradClip: number;
  loss: Omit<ClipLossOptions, 'previousMask'>;
  /** Validate every N steps (0 = never). */
  valEvery: number;
  /** Checkpoint every N steps (the last step is always saved). */
  ckptEvery: number;
  /** Stop after this many validations without improvement (0 = never stop early). */
  patience: number;
  logEvery: number;
  keepCheckpoints: number;
  /** Continue from the latest checkpoint in runDir when there is one. */
  resume: boolean;
  /**
   * Threads computing each batch's gradient (data parallel, ./parallel/worker_gradients.ts);
   * default 1 = this thread only. With N > 1 the batch is split into N shards whose gradients are
   * averaged; BatchNorm then sees per-shard batch statistics.
   */
  workers?: number;
}

export interface ValidationResult {
  /** Higher is better (e.g. J&F mean). */
  score: number;
  metrics: Record<string, number>;
}

export interface TrainLogger {
  scalar(tag: string, value: number, step: number): void;
  histogram?(tag: string, values: Float32Array, step: number): void;
  flush?(): void;
}

export interface StepInfo {
  step: number;
  totalSteps: number;
  stage: string;
  loss: number;
  parts: Record<string, number>;
  gradNorm: number;
  numTensors: number;
}

/** What the trainer needs of a model (RVOS, or a family in src/models/baselines/ with its own `gradients`). */
export interface TrainableModel {
  namedVariables(): Map<string, tf.Variable>;
  encoderVariables(): tf.Variable[];
}

export interface TrainerHooks<M extends TrainableModel = RVOSModel> {
  /** The batch for global step `step` (0-based). Must be a pure function of the step for exact resume. */
  batch(step: number): Promise<ClipBatch>;
  validate?(model: M, step: number): Promise<ValidationResult>;
  logger?: TrainLogger;
  onStep?(info: StepInfo): void;
  onValidation?(step: number, result: ValidationResult, isBest: boolean): void;
  /** How batch gradients are computed (default: from `options.workers`); the caller disposes one it passes. */
  gradients?: GradientProvider;
  /** Checked after every step; true = save a checkpoint and return with `interrupted` (./preemption.ts). */
  shouldStop?(): boolean;
}

export interface TrainResult {
  progress: TrainerProgress;
  stoppedEarly: boolean;
  resumedFrom: number | null;
  lastLoss: number;
  /** Stopped by `hooks.shouldStop` before the last step, with a checkpoint of the last step done. */
  interrupted: boolean;
}

function stageAt(stages: TrainingStage[], step: number): TrainingStage {
  let end = 0;
  for (const s of stages) {
    end += s.steps;
    if (step < end) return s;
  }
  return stages[stages.length - 1]!;
}

function disposeBatch(batch: ClipBatch): void {
  batch.frames.dispose();
  batch.masks.dispose();
  batch.present.dispose();
  batch.priorMasks?.dispose();
}

export async function train<M extends TrainableModel>(model: M, options: TrainerOptions, hooks: TrainerHooks<M>): Promise<TrainResult> {
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw new TrainingError(`train.workers must be a positive integer, got ${workers}`);
  if (hooks.gradients === undefined && !(model instanceof RVOSModel))
    throw new TrainingError("train: a model other than RVOS needs hooks.gradients (its family's GradientProvider)");
  const provider =
    hooks.gradients ?? (workers > 1 ? new WorkerGradients(model as unknown as RVOSModel, workers) : new InThreadGradients(model as unknown as RVOSModel));
  try {
    return await trainWith(model, options, hooks, provider);
  } finally {
    if (hooks.gradients === undefined) await provider.dispose();
  }
}

async function trainWith<M extends TrainableModel>(
  model: M,
  options: TrainerOptions,
  hooks: TrainerHooks<M>,
  provider: GradientProvider,
): Promise<TrainResult> {
  const totalSteps = options.stages.reduce((n, s) => n + s.steps, 0);
  const checkpointsDir = path.join(options.runDir, 'checkpoints');
  const named = model.namedVariables();
  const encoderVars = new Set(model.encoderVariables());
  const groups = [
    { variables: new Map([...named].filter(([, v]) => encoderVars.has(v) && v.trainable)), lr: options.encoderLr },
    { variables: new Map([...named].filter(([, v]) => !encoderVars.has(v) && v.trainable)), lr: options.lr },
  ];
  const trainable = new Map([...groups[0]!.variables, ...groups[1]!.variables]);
  const optimizer = new Adam(groups, { weightDecay: options.weightDecay });
  let progress: TrainerProgress = { step: 0, bestScore: null, bestStep: null, evalsWithoutImprovement: 0 };
  let resumedFrom: number | null = null;
  removeStaleCheckpointTemporaries(checkpointsDir);
  if (options.resume) {
    const ckpt = loadCheckpoint(checkpointsDir, 'latest');
    if (ckpt !== undefined) {
      restoreWeights(ckpt, named);
      optimizer.setState(ckpt.optimizer);
      progress = ckpt.progress;
      resumedFrom = progress.step;
      disposeCheckpoint(ckpt);
    }
  }
  let lastLoss = NaN;
  let stoppedEarly = false;
  let interrupted = false;
  while (progress.step < totalSteps) {
    const step = progress.step;
    const stage = stageAt(options.stages, step);
    const batch = await hooks.batch(step);
    let computed;
    try {
      computed = await provider.compute(batch, { ...options.loss, previousMask: stage.previousMask });
    } finally {
      disposeBatch(batch);
    }
    const { loss, parts: partValues, gradients } = computed;
    if (!Number.isFinite(loss)) {
      for (const g of gradients.values()) g.dispose();
      throw new TrainingError(
        `loss became ${loss} at step ${step}; weights were not updated and the last good checkpoint in ${checkpointsDir} is intact. ` +
          `Lower train.lr or set train.grad_clip, then resume with --resume`,
      );
    }
    const gradNorm = options.gradClip > 0 ? clipByGlobalNorm(gradients, options.gradClip) : NaN;
    const lrScale = lrScaleAt(options.lrSchedule ?? 'constant', step, totalSteps);
    optimizer.apply(gradients, lrScale);
    for (const g of gradients.values()) g.dispose();
    lastLoss = loss;
    progress = { ...progress, step: step + 1 };
    const done = progress.step;
    if (hooks.logger !== undefined && (done % options.logEvery === 0 || done === totalSteps)) {
      hooks.logger.scalar('train/loss', loss, done);
      for (const [k, v] of Object.entries(partValues)) hooks.logger.scalar(`train/loss_${k}`, v, done);
      hooks.logger.scalar('train/lr', options.lr * lrScale, done);
      hooks.logger.scalar('train/encoder_lr', options.encoderLr * lrScale, done);
      if (Number.isFinite(gradNorm)) hooks.logger.scalar('train/grad_norm', gradNorm, done);
    }
    hooks.onStep?.({ step: done, totalSteps, stage: stage.name, loss, parts: partValues, gradNorm, numTensors: tf.memory().numTensors });
    let isBest = false;
    const validateNow = hooks.validate !== undefined && options.valEvery > 0 && (done % options.valEvery === 0 || done === totalSteps);
    if (validateNow) {
      const result = await hooks.validate!(model, done);
      for (const [k, v] of Object.entries(result.metrics)) hooks.logger?.scalar(`val/${k}`, v, done);
      isBest = progress.bestScore === null || result.score > progress.bestScore;
      progress = isBest
        ? { ...progress, bestScore: result.score, bestStep: done, evalsWithoutImprovement: 0 }
        : { ...progress, evalsWithoutImprovement: progress.evalsWithoutImprovement + 1 };
      hooks.onValidation?.(done, result, isBest);
      if (options.patience > 0 && progress.evalsWithoutImprovement >= options.patience) stoppedEarly = true;
    }
    // One turn of the event loop first: a signal handler only runs there, and a step may not yield.
    if (hooks.shouldStop !== undefined) await new Promise((resolve) => setImmediate(resolve));
    interrupted = done < totalSteps && !stoppedEarly && hooks.shouldStop?.() === true;
    if (done % options.ckptEvery === 0 || done === totalSteps || isBest || stoppedEarly || interrupted) {
      if (hooks.logger?.histogram !== undefined) {
        for (const [name, v] of trainable) hooks.logger.histogram(`weights/${name}`, v.dataSync() as Float32Array, done);
      }
      hooks.logger?.flush?.();
      saveCheckpoint(checkpointsDir, progress, named, optimizer.getState(), isBest);
      pruneCheckpoints(checkpointsDir, options.keepCheckpoints);
    }
    if (stoppedEarly || interrupted) break;
  }
  optimizer.dispose();
  return { progress, stoppedEarly, resumedFrom, lastLoss, interrupted };
}
