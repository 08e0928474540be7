/**
 * The baseline families, one entry each: a family's definition (name, settings schema, factory)
 * lives next to its FrameModel; this list is what the config schema (src/config/schema.ts: the
 * `model.family` names and the `model.<name>` sections), the registry and the runs read.
 */
import { COPY_FIRST_FAMILY } from './copy_first.js';
import type { BaselineFamilyDefinition } from './family.js';
import { FEATURE_PROPAGATION_FAMILY } from './feature_propagation/model.js';
import { MOBILE_PRIOR_FAMILY } from './mobile_prior/model.js';
import { SIAMMASK_FAMILY } from './siammask/model.js';

export const BASELINES = [MOBILE_PRIOR_FAMILY, SIAMMASK_FAMILY, COPY_FIRST_FAMILY, FEATURE_PROPAGATION_FAMILY] as const;

type Definition = (typeof BASELINES)[number];
export type BaselineFamily = Definition['name'];

export const BASELINE_FAMILIES: readonly BaselineFamily[] = BASELINES.map((f) => f.name);

/** The model config of any baseline family, by `family`. */
export type BaselineModelConfig = Definition extends infer D ? (D extends BaselineFamilyDefinition<string, infer C> ? C : never) : never;

export function isBaselineFamily(name: unknown): name is BaselineFamily {
  return typeof name === 'string' && (BASELINE_FAMILIES as readonly string[]).includes(name);
}

/** The definition of a baseline family. */
export function baselineFamily(name: BaselineFamily): BaselineFamilyDefinition<BaselineFamily, BaselineModelConfig> {
  return BASELINES.find((f) => f.name === name) as unknown as BaselineFamilyDefinition<BaselineFamily, BaselineModelConfig>;
}
