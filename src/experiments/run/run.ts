/**
 * One training run from a composed config: data → model → trainer (checkpoints, TensorBoard,
 * J&F on the val split, which chooses the checkpoint and stops early) → the best weights saved as
 * a model → final evaluation of the test split with the official protocol, once with the
 * val-selected weights and once with the final step's → results.json (docs/protocol.md).
 * Re-running with `resume` continues an interrupted run.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { ComposedConfig, RvosConfig } from '../../config/index.js';
import {
  configDifferences,
  configWarnings,
  EncoderConfigSchema,
  flattenConfig,
  HYDRA_SUBDIR,
  loadRunConfig,
  optionsOf,
  RESUMABLE_CONFIG_CHANGES,
  RvosModelConfigSchema,
  saveRunConfig,
} from '../../config/index.js';
import { initBackend } from '../../backend/index.js';
import { nativeStatus } from '../../backend/native/index.js';
import {
  MASKTRACK_PRIOR,
  RVOS_AUGMENTATION,
  type EvalTask,
  type LabelMap,
  type SkippedVideo,
  type VideoDataset,
  type VideoSequence,
} from '../../data/index.js';
import { saveModel, type InferenceOptions, type RVOSModelConfig } from '../../models/index.js';
import { ST_PLUS_SCHEDULE } from '../../models/names.js';
import {
  acquireRunLock,
  activeLock,
  clearRunOutputs,
  decideRunStart,
  describeLock,
  SummaryWriter,
  Progress,
  PROGRESS_FILE,
  trimEventFiles,
  type RunStart,
} from '../../logging/index.js';
import type { ClipLossOptions } from '../../train/clip_loss.js';
import { train, type TrainingStage } from '../../train/trainer.js';
import { loadCheckpoint, restoreWeights, disposeCheckpoint } from '../../train/checkpoint.js';
import { adoptResumePoint, findResumePoint, type ResumePoint } from '../../train/resume_point.js';
import { PreemptedError, watchStopSignals } from '../../train/preemption.js';
import { writeEvaluation, type GlobalMetrics } from '../../eval/report.js';
import { evaluationBreakdown, type EvaluationBreakdown } from '../../eval/breakdown.js';
import { perSequenceScores, type SequenceScore } from '../../eval/per_sequence.js';
import { addErrorNote, ConfigError, TrainingError } from '../../utils/errors.js';
import { removeStaleTemporaries, writeFileAtomic } from '../../utils/fs.js';
import { BatchSource } from './batch_source.js';
import { checkSplits, ensureSyntheticDataset, evalProtocolOf, openSplit } from './datasets.js';
import { evaluateModel } from './evaluate_model.js';
import { overlayStripPng } from './overlay_strip.js';
import { buildModel, gradientsFor, parameterCount, segmenterOf, trainsOnPriorMasks, type AnyModel } from './model_family.js';

export interface RunOptions {
  /** The run folder, or a function that creates a new one (called once the inputs are validated). */
  runDir: string | (() => string);
  /**
   * false: the run folder must be new or empty; true: continue from its latest checkpoint (an error
   * when it has none); 'auto': continue when it can, else start (run_dir.ts decideRunStart).
   */
  resume: boolean | 'auto';
  /** Start over in a run folder that already holds a run (its outputs are removed). */
  overwrite?: boolean;
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
  /** How many training videos were left out as unreadable (data.on_error=skip). */
  skippedVideos: number;
  /** Those videos, each with the reason (absent in runs made before it was recorded). */
  skipped?: SkippedVideo[];
  trainSeconds: number;
  /** Seconds of the test-split evaluation of the chosen checkpoint (the final-step evaluation is not counted). */
  evalSeconds: number;
  backend: string;
  /**
   * OpenMP threads of the oneDNN convolutions (null: they did not run). Part of what a run's
   * numbers depend on: the thread count changes the order of float sums.
   */
  nativeThreads?: number | null;
  /** The split `global`, `breakdown`, `perSequence` and `final` score (absent in runs made before the test split: their val split). */
  split?: 'test';
  /** Test-split scores of the checkpoint the val split chose (the weights saved in model/). */
  global: GlobalMetrics;
  /** Frame-0 J, recall of the k-th object, J&F per object count on the same split (src/eval/breakdown.ts). */
  breakdown?: EvaluationBreakdown;
  /** Per-video J&F, J and F of `global`'s evaluation (each the mean over the video's objects). */
  perSequence?: SequenceScore[];
  /** The same test-split scores of the final step's weights (no selection at all). */
  final?: { step: number; global: GlobalMetrics; breakdown?: EvaluationBreakdown; perSequence: SequenceScore[] };
  /** Val-split curve: step → J&F-Mean, with the live tensor count, tensor bytes and process RSS at that step. */
  validation: { step: number; score: number; tensors: number; bytes: number; rss: number }[];
  /** model.family (absent in runs made before families existed = rvos). */
  family?: RvosConfig['model']['family'];
  /** Trainable parameters. */
  params?: number;
  /** Prediction time per frame in the final evaluation (frame decoding and label maps included), in ms: wall clock and process CPU. */
  msPerFrame?: number;
  cpuMsPerFrame?: number;
  /** Process CPU ms per frame of the model's steps alone (no decoding or label maps): what differs between families. */
  modelCpuMsPerFrame?: number;
}

export function evalTask(config: RvosConfig): EvalTask {
  if (config.eval.task !== 'auto') return config.eval.task;
  return config.model.mode === 'one_shot' ? 'semi_supervised' : 'unsupervised';
}

/**
 * The RVOS model config of a composed config: the encoder section and RVOS's keys of the model
 * section (RvosModelConfigSchema), each as the option of the same name in camelCase, and the seed.
 * The encoder's options name only what differs from their defaults (as saved model folders do).
 */
export function modelConfigOf(config: RvosConfig): RVOSModelConfig {
  const { hidden, objectness, ...rvos } = optionsOf(RvosModelConfigSchema, config.model);
  // The schema requires both of family rvos; a baseline's config has neither.
  if (hidden === undefined || objectness === undefined)
    throw new ConfigError(`model.${hidden === undefined ? 'hidden' : 'objectness'}: not set, and the rvos family needs it (configs/model/rvos.yaml sets it)`);
  return { encoder: optionsOf(EncoderConfigSchema, config.encoder, { omitDefaults: true }), hidden, objectness, ...rvos, seed: config.seed };
}

/** The clip loss's settings of a config (the previous-mask source comes from the training stage). */
export function clipLossOptionsOf(config: RvosConfig): Omit<ClipLossOptions, 'previousMask'> {
  return {
    slotAssignment: config.train.slot_assignment,
    objectnessWeight: config.model.objectness ? config.train.objectness_weight : 0,
    emptySlotWeight: config.train.empty_slot_weight,
    objectnessPositiveWeight: config.train.objectness_pos_weight,
    slotBalance: config.train.slot_balance,
    slotOrder: config.train.slot_order,
    foregroundWeight: config.train.foreground_weight,
    maskBceWeight: config.train.mask_bce_weight,
  };
}

/** The inference core's settings of a config. */
export function inferenceOptionsOf(config: RvosConfig): InferenceOptions {
  return { previousMask: config.eval.previous_mask, threshold: config.eval.threshold, objectnessThreshold: config.eval.objectness_threshold };
}

/**
 * The training stages of a config. Stage lengths are relative: they are scaled so that the stages
 * add up to train.steps (so `train.steps=50` shortens an ST+ schedule without rewriting it).
 * `st_plus` is RVOS's schedule (ST_PLUS_SCHEDULE), the one every shipped config uses.
 */
export function trainingStages(config: RvosConfig): TrainingStage[] {
  const { steps } = config.train;
  const stages = config.train.stages === 'st_plus' ? ST_PLUS_SCHEDULE.map((s) => ({ name: s.name, steps: s.fraction })) : config.train.stages;
  if (stages === null) return [{ name: 'train', steps, previousMask: 'gt_prev' }];
  const weight = stages.reduce((n, s) => n + s.steps, 0);
  let used = 0;
  return stages.map((s, i) => {
    const n = i === stages.length - 1 ? steps - used : Math.round((s.steps / weight) * steps);
    used += n;
    return { name: s.name, steps: n, previousMask: s.name };
  });
}

/** How a run starts; a resume names the checkpoint it continues from and the damaged ones after it. */
type PlannedStart = (Exclude<RunStart, { action: 'resume' }> & { warning?: string }) | { action: 'resume'; step: number; point: ResumePoint };

/**
 * Where and how a run starts, decided before anything is written: a folder in use by another
 * process, `--resume` with nothing (intact) to resume, a used folder without --resume /
 * --overwrite, or a resumed run with a different config are refused here. A resume continues
 * from the newest intact checkpoint. Read-only.
 */
function preflight(composed: ComposedConfig, runDir: string, options: RunOptions): PlannedStart {
  const owner = activeLock(runDir);
  if (owner !== undefined) throw new TrainingError(describeLock(runDir, owner));
  const start = decideRunStart(runDir, { resume: options.resume, overwrite: options.overwrite ?? false });
  if (start.action !== 'resume') return start;
  checkSameConfig(composed, runDir);
  const point = findResumePoint(path.join(runDir, 'checkpoints'));
  if (point.intact !== undefined) return { action: 'resume', step: point.intact.step, point };
  const damaged = point.damaged.length === 0 ? 'none found' : `${point.damaged.map((d) => d.name).join(', ')} damaged; ${point.damaged[0]!.problem}`;
  // --resume=auto starts over (a requeued job must not fail forever); --resume says what is wrong.
  if (options.resume === 'auto')
    return { action: 'fresh', clear: true, warning: `run folder ${runDir} has no intact checkpoint (${damaged}); starting over (--resume=auto)` };
  throw new TrainingError(`--resume: run folder ${runDir} has no intact checkpoint (${damaged}); start it over with --overwrite`);
}

function checkSameConfig(composed: ComposedConfig, runDir: string): void {
  if (!fs.existsSync(path.join(runDir, HYDRA_SUBDIR, 'config.yaml'))) return;
  const saved = loadRunConfig(runDir).config;
  const differ = configDifferences(saved, composed.config, RESUMABLE_CONFIG_CHANGES);
  if (differ.length === 0) return;
  const [was, now] = [saved, composed.config].map((c) => flattenConfig(c as unknown as Record<string, unknown>));
  const shown = differ
    .slice(0, 4)
    .map((k) => `${k}: ${JSON.stringify(was![k])} -> ${JSON.stringify(now![k])}`)
    .join(', ');
  throw new ConfigError(
    `--resume: run folder ${runDir} was started with a different config (${shown}${differ.length > 4 ? `, and ${differ.length - 4} more` : ''}); ` +
      `resume without overrides to continue with its saved config (${path.join(runDir, HYDRA_SUBDIR, 'overrides.yaml')}), or start a new run`,
  );
}

function finishedResults(runDir: string, log: (line: string) => void): RunResults {
  log(`[rvos] run folder ${runDir} holds a finished run (results.json); nothing to resume`);
  return JSON.parse(fs.readFileSync(path.join(runDir, 'results.json'), 'utf8')) as RunResults;
}

export async function runTraining(composed: ComposedConfig, options: RunOptions): Promise<RunResults> {
  const config = composed.config;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  for (const line of configWarnings(config)) log(`[rvos] warning: ${line}`);
  const given = typeof options.runDir === 'string' ? options.runDir : undefined;
  if (given !== undefined && preflight(composed, given, options).action === 'finished') return finishedResults(given, log);

  // Inputs first: a run that cannot start leaves no run folder behind.
  const backend = await initBackend(config.backend, { log });
  const task = evalTask(config);
  if (await ensureSyntheticDataset(config.data)) log(`[rvos] generated the synthetic dataset in ${config.data.root}`);
  const trainSet = await openSplit(config.data, config.data.split, 'semi_supervised', 'train');
  const valSet = await openSplit(config.data, config.data.val_split, task, 'eval');
  const testSet = await openSplit(config.data, config.data.test_split, task, 'eval');
  for (const line of new Set([...(trainSet.warnings ?? []), ...(valSet.warnings ?? []), ...(testSet.warnings ?? [])])) log(`[rvos] warning: ${line}`);
  checkSplits(config.data, { train: trainSet, val: valSet, test: testSet }, log);
  const skipped = trainSet.skipped ?? [];
  for (const s of skipped) log(`[rvos] skipped video ${s.name}: ${s.reason}`);
  if (skipped.length > 0) log(`[rvos] data.on_error=skip: ${skipped.length} of ${skipped.length + trainSet.sequences.length} training videos skipped`);
  const stages = trainingStages(config);
  const totalSteps = stages.reduce((n, s) => n + s.steps, 0);
  const augment = config.data.augment;
  const batchOptions = {
    length: config.data.clip_length,
    maxSkip: config.data.max_skip,
    size: config.data.size,
    scales: config.data.scales,
    slots: config.model.slots,
    augment:
      augment === null
        ? null
        : {
            ...RVOS_AUGMENTATION,
            flipProb: augment.flip,
            rotation: augment.rotation,
            translation: augment.translation,
            shear: augment.shear,
            zoom: augment.zoom,
          },
    // data.prior_mask, or a family that always trains on synthesised priors (mobile_prior, docs/baselines.md).
    priorMask: trainsOnPriorMasks(config) && config.model.mode === 'one_shot' ? MASKTRACK_PRIOR : null,
    batchSize: config.data.batch_size,
    seed: config.seed,
    prefetch: config.data.prefetch,
  };
  // The BatchSource constructor checks the clips are possible; prefetching starts with the first batch.
  const batches = new BatchSource(trainSet, batchOptions);
  const model = await buildModel(config, () => modelConfigOf(config));
  try {
    const runDir = given ?? (options.runDir as () => string)();
    // A folder this start makes is removed again if the start fails before its first checkpoint.
    const existed = given !== undefined && fs.existsSync(runDir);
    const lock = acquireRunLock(runDir, 'rvos train');
    let results: RunResults;
    try {
      // Decided again under the lock: another process may have written the folder since the preflight.
      const start = preflight(composed, runDir, options);
      if (start.action === 'finished') results = finishedResults(runDir, log);
      else {
        try {
          results = await trainLocked(composed, options, {
            runDir,
            start,
            model,
            backend: backend.backend,
            task,
            valSet,
            testSet,
            batches,
            stages,
            totalSteps,
            log,
            skipped,
          });
        } catch (err) {
          const undone = start.action === 'fresh' && undoFailedStart(runDir);
          if (!(err instanceof Error && err.message.includes('--resume'))) {
            addErrorNote(
              err,
              undone
                ? `run folder ${runDir} is left as it was (no checkpoint was written); run the same command again once the cause is fixed`
                : checkpointNote(runDir),
            );
          }
          throw err;
        }
      }
    } catch (err) {
      // The error that stopped the run is the one to report: when the folder became unwritable,
      // removing the lock fails too, and a lock left behind is stale once this process exits.
      try {
        lock.release();
        if (!existed) fs.rmdirSync(runDir);
      } catch {
        // Not empty, or not writable: left as it is.
      }
      throw err;
    }
    lock.release();
    return results;
  } finally {
    model.dispose();
  }
}

/**
 * After a fresh start failed: when it wrote no checkpoint, removes what it wrote (the run outputs),
 * so the folder is as it was and the same command is accepted again. Returns whether it did.
 */
function undoFailedStart(runDir: string): boolean {
  try {
    if (fs.existsSync(path.join(runDir, 'checkpoints', 'latest.json'))) return false;
    clearRunOutputs(runDir);
    return true;
  } catch {
    return false;
  }
}

/** Where a failed run can be continued from (the newest intact checkpoint), for the one-line error. */
function checkpointNote(runDir: string): string {
  const checkpoints = path.join(runDir, 'checkpoints');
  let point: ResumePoint;
  try {
    point = findResumePoint(checkpoints);
  } catch {
    return `see ${checkpoints} for the checkpoints to continue from`;
  }
  const damaged = point.damaged.map((d) => d.name).join(', ');
  if (point.intact === undefined) {
    return damaged === '' ? `run folder ${runDir} has no checkpoint yet` : `run folder ${runDir} has no intact checkpoint (${damaged} damaged)`;
  }
  const aside = damaged === '' ? '' : ` (${damaged} ${point.damaged.length === 1 ? 'is' : 'are'} damaged and set aside when it resumes)`;
  return `the last good checkpoint is step ${point.intact.step} in ${checkpoints}${aside}: continue with rvos train --run-dir ${runDir} --resume`;
}

interface LockedRun {
  runDir: string;
  start: Exclude<PlannedStart, { action: 'finished' }>;
  model: AnyModel;
  backend: string;
  task: EvalTask;
  valSet: VideoDataset;
  testSet: VideoDataset;
  batches: BatchSource;
  stages: TrainingStage[];
  totalSteps: number;
  log: (line: string) => void;
  skipped: SkippedVideo[];
}

async function trainLocked(composed: ComposedConfig, options: RunOptions, run: LockedRun): Promise<RunResults> {
  const { runDir, start } = run;
  if (start.action === 'fresh' && start.warning !== undefined) run.log(`[rvos] warning: ${start.warning}`);
  if (start.action === 'fresh' && start.clear) clearRunOutputs(runDir);
  removeStaleTemporaries(runDir);
  if (start.action === 'resume' && start.point.damaged.length > 0) {
    adoptResumePoint(path.join(runDir, 'checkpoints'), start.point);
    run.log(
      `[rvos] warning: ${start.point.damaged.map((d) => d.problem).join('; ')}; resuming from step ${start.step}, the last good checkpoint ` +
        `(the damaged ${start.point.damaged.length === 1 ? 'folder is' : 'folders are'} kept as *.damaged)`,
    );
  }
  saveRunConfig(runDir, composed);
  const resumeStep = start.action === 'resume' ? start.step : 0;
  const tbDir = path.join(runDir, 'tb');
  // A resumed run logs the steps after its checkpoint again: drop the interrupted run's copies.
  if (resumeStep > 0) trimEventFiles(tbDir, resumeStep);
  const writer = new SummaryWriter(tbDir);
  try {
    return await trainAndEvaluate(composed, options, run, writer, resumeStep);
  } finally {
    writer.close();
  }
}

async function trainAndEvaluate(composed: ComposedConfig, options: RunOptions, run: LockedRun, writer: SummaryWriter, resumeStep: number): Promise<RunResults> {
  const config = composed.config;
  const { runDir, model, task, valSet, testSet, batches, stages, totalSteps, log } = run;
  const predict = { size: config.data.size, threshold: config.eval.threshold };
  const inference = inferenceOptionsOf(config);
  // Every start writes SessionLog.START (TensorBoard treats the first one of a run as the start and
  // a later one as a restart: docs/reliability.md).
  writer.sessionStart(resumeStep + 1);
  const progress = new Progress({
    total: totalSteps,
    start: resumeStep,
    label: path.basename(runDir),
    stream: options.progress === false ? { write: () => undefined } : process.stderr,
    statusFile: path.join(runDir, PROGRESS_FILE),
  });
  const validation: RunResults['validation'] = [];
  let droppedWarned = false;
  const started = Date.now();
  // SIGUSR1/SIGTERM (a cluster's time limit or pre-emption): checkpoint, stop, exit for a requeue.
  const signals = watchStopSignals();
  // Baselines with no weights (copy_first) have nothing to train.
  const result =
    parameterCount(model) === 0
      ? {
          progress: { step: 0, bestScore: null, bestStep: null, evalsWithoutImprovement: 0 },
          stoppedEarly: false,
          resumedFrom: null,
          lastLoss: NaN,
          interrupted: false,
        }
      : await train(
          model,
          {
            runDir,
            stages,
            lr: config.train.lr,
            encoderLr: config.train.encoder_lr,
            lrSchedule: config.train.lr_schedule,
            weightDecay: config.train.weight_decay,
            gradClip: config.train.grad_clip ?? 0,
            loss: clipLossOptionsOf(config),
            valEvery: config.train.val_every,
            ckptEvery: config.train.ckpt_every,
            patience: config.train.patience,
            logEvery: config.train.log_every,
            keepCheckpoints: config.train.keep_checkpoints,
            resume: run.start.action === 'resume',
            workers: config.train.workers,
          },
          {
            batch: async (step) => {
              const b = await batches.batch(step);
              const dropped = b.clips.flatMap((c) => c.droppedIds);
              if (dropped.length > 0 && !droppedWarned) {
                droppedWarned = true;
                log(
                  `[rvos] objects with ids above model.slots=${config.model.slots} are dropped (ids ${[...new Set(dropped)].join(', ')}); raise model.slots to keep them`,
                );
              }
              return b;
            },
            validate: async (m, step) => {
              const logOverlay = async (seq: VideoSequence, labels: LabelMap[]) => {
                if (seq !== valSet.sequences[0]) return;
                const strip = await overlayStripPng(seq, labels, 4);
                writer.image(`val/${seq.name}`, strip.png, strip.height, strip.width, step);
              };
              // Dropped-object warnings were printed by the first validation; the final evaluation repeats none.
              const ev = await evaluateModel(segmenterOf(m, inference), valSet.sequences, {
                ...predict,
                task,
                protocol: evalProtocolOf(config.data.dataset),
                onSequence: logOverlay,
                warn: validation.length === 0 ? log : () => undefined,
              });
              return { score: ev.global['J&F-Mean'], metrics: { 'J&F': ev.global['J&F-Mean'], J: ev.global['J-Mean'], F: ev.global['F-Mean'] } };
            },
            logger: writer,
            gradients: gradientsFor(model),
            shouldStop: () => signals.received !== null,
            onStep: (info) => progress.update(info.step, { loss: info.loss }),
            onValidation: (step, r, isBest) => {
              const memory = { tensors: tf.memory().numTensors, bytes: tf.memory().numBytes, rss: process.memoryUsage().rss };
              validation.push({ step, score: r.score, ...memory });
              progress.update(step, { 'val J&F': r.score });
              // Memory is printed with every validation so a long run shows it stays flat.
              progress.log(
                `[rvos] step ${step}: validation J&F ${r.score.toFixed(3)}${isBest ? ' (best)' : ''}; ` +
                  `memory: ${memory.tensors} tensors, ${(memory.bytes / 2 ** 20).toFixed(1)} MiB in tensors, RSS ${(memory.rss / 2 ** 20).toFixed(0)} MiB`,
              );
            },
          },
        ).finally(() => signals.dispose());
  progress.done({ loss: result.lastLoss });
  writer.flush();
  if (result.interrupted) {
    // runTraining disposes the model on the way out.
    throw new PreemptedError(
      `${signals.received} at step ${result.progress.step}/${totalSteps}: stopped with a checkpoint in ${path.join(runDir, 'checkpoints')}; continue with \`rvos train --run-dir ${runDir} --resume\``,
    );
  }
  const trainSeconds = (Date.now() - started) / 1000;

  // Final evaluation on the test split: first the final step's weights (the model holds them now),
  // then the weights the val split chose, which are saved and written like an official result folder.
  const firstFrames = new Map(testSet.sequences.map((q) => [q.name, q.frameNames[0] ?? '']));
  const breakdownOf = (ev: Awaited<ReturnType<typeof evaluateModel>>) => evaluationBreakdown(ev.sequences, (s) => firstFrames.get(s.sequence) ?? '');
  const finalStep = result.progress.step;
  const best = loadCheckpoint(path.join(runDir, 'checkpoints'), 'best');
  const bestIsFinal = best === undefined || result.progress.bestStep === finalStep;
  let finalEvaluation: Awaited<ReturnType<typeof evaluateModel>> | undefined;
  if (!bestIsFinal) {
    finalEvaluation = await evaluateModel(segmenterOf(model, inference), testSet.sequences, {
      ...predict,
      task,
      protocol: evalProtocolOf(config.data.dataset),
      warn: validation.length === 0 ? log : () => undefined,
    });
  }
  if (best !== undefined) {
    restoreWeights(best, model.namedVariables());
    disposeCheckpoint(best);
  }
  await saveModel(model, path.join(runDir, 'model'));
  const predictionsDir = path.join(runDir, 'predictions');
  const timing = { seconds: 0, cpuSeconds: 0, frames: 0 };
  const modelTiming = { cpuSeconds: 0, frames: 0 };
  // evalSeconds times this one evaluation (what a validation costs too: src/experiments/run/timings.ts).
  const evalStarted = Date.now();
  const evaluation = await evaluateModel(segmenterOf(model, inference), testSet.sequences, {
    ...predict,
    task,
    protocol: evalProtocolOf(config.data.dataset),
    predictionsDir,
    timing,
    modelTiming,
    warn: validation.length === 0 && finalEvaluation === undefined ? log : () => undefined,
  });
  const evalSeconds = (Date.now() - evalStarted) / 1000;
  writeEvaluation(path.join(runDir, 'eval'), evaluation);
  finalEvaluation ??= evaluation;
  const results: RunResults = {
    task,
    mode: config.model.mode,
    recurrence: config.model.recurrence,
    seed: config.seed,
    steps: result.progress.step,
    bestStep: result.progress.bestStep,
    stoppedEarly: result.stoppedEarly,
    resumedFrom: result.resumedFrom,
    skippedVideos: run.skipped.length,
    skipped: run.skipped,
    trainSeconds,
    evalSeconds,
    backend: run.backend,
    nativeThreads: run.backend === 'wasm' && nativeStatus().active ? (nativeStatus().threads ?? null) : null,
    split: 'test',
    global: evaluation.global,
    breakdown: breakdownOf(evaluation),
    perSequence: perSequenceScores(evaluation),
    final: { step: finalStep, global: finalEvaluation.global, breakdown: breakdownOf(finalEvaluation), perSequence: perSequenceScores(finalEvaluation) },
    validation,
    family: config.model.family,
    params: parameterCount(model),
    msPerFrame: timing.frames > 0 ? (1000 * timing.seconds) / timing.frames : NaN,
    cpuMsPerFrame: timing.frames > 0 ? (1000 * timing.cpuSeconds) / timing.frames : NaN,
    modelCpuMsPerFrame: modelTiming.frames > 0 ? (1000 * modelTiming.cpuSeconds) / modelTiming.frames : NaN,
  };
  writeFileAtomic(path.join(runDir, 'results.json'), JSON.stringify(results, null, 2));
  log(
    `[rvos] ${task} J&F-Mean ${evaluation.global['J&F-Mean'].toFixed(3)} on ${testSet.sequences.length} ${config.data.test_split} videos ` +
      `(step ${result.progress.bestStep ?? finalStep}, chosen on ${config.data.val_split}; final step ${finalStep}: ${finalEvaluation.global['J&F-Mean'].toFixed(3)}); tensors alive: ${tf.memory().numTensors}`,
  );
  return results;
}
