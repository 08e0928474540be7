/**
 * The model families beside RVOS, by `model.family`: build one from its config or load a saved
 * one, through the family's definition (src/models/baselines/families.ts). RVOS itself stays in
 * src/models/rvos_model.ts; the trainer computes a family's gradients
 * (src/train/parallel/gradients.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { camelKey } from '../../utils/camel_case.js';
import { ConfigError } from '../../utils/errors.js';
import { readConfigJson } from '../model_io.js';
import { BASELINE_FAMILIES, baselineFamily, isBaselineFamily, type BaselineModelConfig } from './families.js';
import type { BaselineModel } from './types.js';

/** The error of a baseline config without its family's settings. */
export function missingSettings(family: string): ConfigError {
  return new ConfigError(`model.${family}: settings are missing; use model=${family} (configs/model/${family}.yaml)`);
}

function validate(config: BaselineModelConfig): void {
  if (!isBaselineFamily(config.family))
    throw new ConfigError(`model.family: unknown family '${String(config.family)}'; use rvos | ${BASELINE_FAMILIES.join(' | ')}`);
  if (!Number.isInteger(config.slots) || config.slots < 1) throw new ConfigError(`model.slots: must be a positive integer, got ${config.slots}`);
  if (!Number.isInteger(config.seed)) throw new ConfigError(`seed: must be an integer, got ${config.seed}`);
  if (baselineFamily(config.family).settings !== null && (config as unknown as Record<string, unknown>)[camelKey(config.family)] == null)
    throw missingSettings(config.family);
}

/** Builds a baseline model; same config + seed → identical initial weights. */
export function createBaseline(config: BaselineModelConfig, options: { skipInit?: boolean } = {}): BaselineModel {
  validate(config);
  return baselineFamily(config.family).create(config, options);
}

/** Builds a baseline model and runs its family's `initialize` (pretrained weights) unless skipInit. */
export async function buildBaseline(config: BaselineModelConfig, options: { skipInit?: boolean } = {}): Promise<BaselineModel> {
  const model = createBaseline(config, options);
  const { initialize } = baselineFamily(config.family);
  if (initialize === undefined || options.skipInit) return model;
  try {
    await initialize(model, config);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

/** The family a saved model folder holds ('rvos' when its config.json names none). */
export function savedFamily(dir: string): string {
  const config = readConfigJson<{ family?: unknown }>(dir);
  return typeof config.family === 'string' ? config.family : 'rvos';
}

/** Loads a baseline model saved with `model.save(dir)`. */
export function loadBaseline(dir: string): BaselineModel {
  const saved = readConfigJson<BaselineModelConfig>(dir);
  validate(saved);
  const family = baselineFamily(saved.family);
  return family.load(dir, family.upgradeSaved?.(saved) ?? saved);
}

/** Trainable parameter count. */
export function trainableParameters(model: { namedVariables(): Map<string, tf.Variable> }): number {
  return [...model.namedVariables().values()].filter((v) => v.trainable).reduce((n, v) => n + v.size, 0);
}
