/**
 * The model of a run by `model.family`: RVOS (src/models/rvos_model.ts) or a baseline family
 * (src/models/baselines/). Runs, evaluation and `rvos infer` build and load models through here.
 */
import path from 'node:path';
import type { RvosConfig } from '../../config/index.js';
import { InferenceCore, loadModel, RVOSModel, type InferenceOptions, type RVOSModelConfig, type VideoSegmenter } from '../../models/index.js';
import {
  MobilePriorModel,
  createBaseline,
  loadBaseline,
  savedFamily,
  trainableParameters,
  type BaselineModel,
  type BaselineModelConfig,
} from '../../models/baselines/index.js';
import { InThreadGradients, type GradientProvider } from '../../train/parallel/gradients.js';
import { ConfigError } from '../../utils/errors.js';

export type AnyModel = RVOSModel | BaselineModel;

/** The baseline model config of a composed config (family ≠ rvos). */
export function baselineConfigOf(config: RvosConfig): BaselineModelConfig {
  const { model } = config;
  if (model.mode !== 'one_shot')
    throw new ConfigError(`model.mode: the ${model.family} family is one-shot only (the semi-supervised protocol); set model.mode=one_shot`);
  const common = { slots: model.slots, seed: config.seed };
  switch (model.family) {
    case 'mobile_prior': {
      const o = model.mobile_prior;
      if (o === null) throw new ConfigError('model.mobile_prior: settings are missing; use model=mobile_prior (configs/model/mobile_prior.yaml)');
      return {
        family: 'mobile_prior',
        ...common,
        mobilePrior: {
          stemChannels: o.stem_channels,
          stemKernel: o.stem_kernel,
          stageChannels: [...o.stage_channels],
          bottleneck: o.bottleneck,
          denseLayers: o.dense_layers,
          growth: o.growth,
          priorShift: o.prior_shift,
          denseStride: o.dense_stride,
          previousMask: o.previous_mask,
        },
      };
    }
    case 'siammask': {
      const o = model.siammask;
      if (o === null) throw new ConfigError('model.siammask: settings are missing; use model=siammask (configs/model/siammask.yaml)');
      return {
        family: 'siammask',
        ...common,
        siammask: {
          channels: o.channels,
          templateSize: o.template_size,
          maskSize: o.mask_size,
          windowInfluence: o.window_influence,
          scoreWeight: o.score_weight,
          boxWeight: o.box_weight,
          maskWeight: o.mask_weight,
        },
      };
    }
    case 'copy_first':
      return { family: 'copy_first', ...common };
    default:
      throw new ConfigError(`model.family: '${model.family}' is not a baseline family`);
  }
}

/** Builds the model of a run. */
export async function buildModel(config: RvosConfig, rvosConfig: () => RVOSModelConfig): Promise<AnyModel> {
  return config.model.family === 'rvos' ? RVOSModel.create(rvosConfig()) : createBaseline(baselineConfigOf(config));
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
 * family, with the run's eval.* rules. mobile_prior feeds back its output as it was trained to
 * (model.mobile_prior.previous_mask) rather than by eval.previous_mask.
 */
export function segmenterOf(model: AnyModel, inference: InferenceOptions): VideoSegmenter {
  const feed = model instanceof MobilePriorModel ? { previousMask: model.predictionFeed } : {};
  return new InferenceCore<unknown>(model, { ...inference, ...feed });
}
