/**
 * The model of a run by `model.family`: RVOS (src/models/rvos_model.ts) or a baseline family
 * (src/models/baselines/). Runs, evaluation and `rvos infer` build and load models through here.
 */
import path from 'node:path';
import { camelKey, optionsOf, type RvosConfig } from '../../config/index.js';
import { InferenceCore, loadModel, RVOSModel, type InferenceOptions, type RVOSModelConfig, type VideoSegmenter } from '../../models/index.js';
import type { z } from 'zod';
import {
  baselineFamily,
  buildBaseline,
  isBaselineFamily,
  loadBaseline,
  missingSettings,
  savedFamily,
  trainableParameters,
  type BaselineModel,
  type BaselineModelConfig,
} from '../../models/baselines/index.js';
import { InThreadGradients, type GradientProvider } from '../../train/parallel/gradients.js';
import { ConfigError } from '../../utils/errors.js';

export type AnyModel = RVOSModel | BaselineModel;

/**
 * The baseline model config of a composed config (family ≠ rvos): model.slots, the seed, and the
 * family's section model.<family> as options of the same names in camelCase under
 * camelCase(family) (src/models/baselines/family.ts).
 */
export function baselineConfigOf(config: RvosConfig): BaselineModelConfig {
  const { model } = config;
  const family = model.family;
  if (!isBaselineFamily(family)) throw new ConfigError(`model.family: '${family}' is not a baseline family`);
  const { settings, modes = ['one_shot'] } = baselineFamily(family);
  if (!modes.includes(model.mode))
    throw new ConfigError(
      modes.length === 1
        ? `model.mode: the ${family} family is ${modes[0]!.replace('_', '-')} only; set model.mode=${modes[0]}`
        : `model.mode: the ${family} family implements ${modes.join(' and ')}, not ${model.mode}`,
    );
  // One-shot configs keep their earlier shape (no mode key): saved model folders stay byte-identical.
  const common = { family, slots: model.slots, seed: config.seed, ...(model.mode === 'one_shot' ? {} : { mode: model.mode }) };
  if (settings === null) return common as BaselineModelConfig;
  const section = (model as Record<string, unknown>)[family];
  if (section == null) throw missingSettings(family);
  return { ...common, [camelKey(family)]: optionsOf(settings, section as z.output<typeof settings>) } as BaselineModelConfig;
}

/** Whether one-shot training of the config's model gives each clip's first frame a synthesised prior mask. */
export function trainsOnPriorMasks(config: RvosConfig): boolean {
  const { family } = config.model;
  return config.data.prior_mask || (isBaselineFamily(family) && baselineFamily(family).trainsOnPriorMasks === true);
}

/** Builds the model of a run. */
export async function buildModel(config: RvosConfig, rvosConfig: () => RVOSModelConfig): Promise<AnyModel> {
  return config.model.family === 'rvos' ? RVOSModel.create(rvosConfig()) : buildBaseline(baselineConfigOf(config));
}

/** Loads a saved model folder of any family. */
export async function loadAnyModel(dir: string): Promise<AnyModel> {
  return savedFamily(dir) === 'rvos' ? loadModel(dir) : loadBaseline(dir);
}

/**
 * The trainer's gradient provider for a baseline (undefined: RVOS, whose default the trainer
 * picks): the clip loss, or the family's own objective where it has one (siammask).
 */
export function gradientsFor(model: AnyModel): GradientProvider | undefined {
  if (model instanceof RVOSModel) return undefined;
  const own = model.clipLoss?.bind(model);
  return new InThreadGradients(model, own === undefined ? undefined : (batch, _options, parts) => own(batch, parts));
}

/** Trainable parameters of any model. */
export function parameterCount(model: AnyModel): number {
  return trainableParameters(model);
}

/** Where a run folder keeps its model. */
export function runModelDir(runDir: string): string {
  return path.join(runDir, 'model');
}

/**
 * What the evaluator and `rvos infer` drive: the inference core over the model, whatever its
 * family, with the run's eval.* rules. A baseline trained to take its own output one way
 * (`predictionFeed`; mobile_prior: model.mobile_prior.previous_mask) is fed it that way rather
 * than by eval.previous_mask.
 */
export function segmenterOf(model: AnyModel, inference: InferenceOptions): VideoSegmenter {
  const feed = model instanceof RVOSModel || model.predictionFeed === undefined ? {} : { previousMask: model.predictionFeed };
  return new InferenceCore<unknown>(model, { ...inference, ...feed });
}
