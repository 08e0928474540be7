/**
 * The model families beside RVOS, by `model.family`: build one from its config or load a saved
 * one. RVOS itself stays in src/models/rvos_model.ts; the trainer computes a family's gradients
 * (src/train/parallel/gradients.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../../utils/errors.js';
import { readConfigJson } from '../model_io.js';
import { CopyFirstModel } from './copy_first.js';
import { MobilePriorModel } from './mobile_prior/model.js';
import { SiamMaskModel } from './siammask/model.js';
import type { PreviousMaskFeed } from '../names.js';
import { BASELINE_FAMILIES, type BaselineFamily, type BaselineModel, type BaselineModelConfig, type MobilePriorOptions } from './types.js';

export function isBaselineFamily(name: unknown): name is BaselineFamily {
  return typeof name === 'string' && (BASELINE_FAMILIES as readonly string[]).includes(name);
}

function validate(config: BaselineModelConfig): void {
  if (!isBaselineFamily(config.family))
    throw new ConfigError(`model.family: unknown family '${String(config.family)}'; use rvos | ${BASELINE_FAMILIES.join(' | ')}`);
  if (!Number.isInteger(config.slots) || config.slots < 1) throw new ConfigError(`model.slots: must be a positive integer, got ${config.slots}`);
  if (!Number.isInteger(config.seed)) throw new ConfigError(`seed: must be an integer, got ${config.seed}`);
  if (config.family === 'mobile_prior' && config.mobilePrior == null)
    throw new ConfigError('model.mobile_prior: settings are missing; use model=mobile_prior (configs/model/mobile_prior.yaml)');
  if (config.family === 'siammask' && config.siammask == null)
    throw new ConfigError('model.siammask: settings are missing; use model=siammask (configs/model/siammask.yaml)');
}

/** Builds a baseline model; same config + seed → identical initial weights. */
export function createBaseline(config: BaselineModelConfig, options: { skipInit?: boolean } = {}): BaselineModel {
  validate(config);
  switch (config.family) {
    case 'mobile_prior':
      return MobilePriorModel.create(config, options);
    case 'siammask':
      return SiamMaskModel.create(config, options);
    case 'copy_first':
      return new CopyFirstModel(config);
  }
}

/** The family a saved model folder holds ('rvos' when its config.json names none). */
export function savedFamily(dir: string): string {
  const config = readConfigJson<{ family?: unknown }>(dir);
  return typeof config.family === 'string' ? config.family : 'rvos';
}

/** Model folders saved before mobilePrior.previousMask had that name call it priorInput (same values). */
function olderConfig(config: BaselineModelConfig): BaselineModelConfig {
  if (config.family !== 'mobile_prior' || config.mobilePrior == null || !('priorInput' in config.mobilePrior)) return config;
  const { priorInput, ...rest } = config.mobilePrior as MobilePriorOptions & { priorInput?: PreviousMaskFeed };
  return { ...config, mobilePrior: { ...rest, previousMask: priorInput } };
}

/** Loads a baseline model saved with `model.save(dir)`. */
export function loadBaseline(dir: string): BaselineModel {
  const config = olderConfig(readConfigJson<BaselineModelConfig>(dir));
  validate(config);
  switch (config.family) {
    case 'mobile_prior':
      return MobilePriorModel.load(dir, config);
    case 'siammask':
      return SiamMaskModel.load(dir, config);
    case 'copy_first':
      return new CopyFirstModel(config);
  }
}

/** Trainable parameter count. */
export function trainableParameters(model: { namedVariables(): Map<string, tf.Variable> }): number {
  return [...model.namedVariables().values()].filter((v) => v.trainable).reduce((n, v) => n + v.size, 0);
}
