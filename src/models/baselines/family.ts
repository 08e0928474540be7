/**
 * What a baseline family declares about itself, in one object next to its FrameModel: its name
 * (the `model.family` value), the schema of its settings (the config section `model.<name>`,
 * snake_case keys) and how to build or load its model. The settings reach the model as options
 * of the same names in camelCase under the key camelCase(name) of its config (`model.mobile_prior.
 * stem_channels` → `config.mobilePrior.stemChannels`); the list of families is
 * src/models/baselines/families.ts.
 */
import { z } from 'zod';
import type { CamelKey, CamelOptions } from '../../utils/camel_case.js';
import type { SegmentationMode } from '../names.js';
import type { BaselineCommonConfig, BaselineModel } from './types.js';

/** A family's settings: a strict zod object (its section `model.<name>`), or null when it has none. */
export type FamilySettings = z.ZodObject | null;

/** The model config a family's settings derive to: the shared keys and the settings as camelCase options under camelCase(name). */
export type FamilyConfig<Name extends string, Settings extends FamilySettings> = BaselineCommonConfig & { family: Name } & (Settings extends z.ZodObject
    ? { [K in CamelKey<Name>]: CamelOptions<z.output<Settings>> }
    : unknown);

export interface BaselineFamilyDefinition<Name extends string = string, Config extends BaselineCommonConfig = BaselineCommonConfig> {
  readonly name: Name;
  readonly settings: FamilySettings;
  /** A new model; same config + seed → identical initial weights (skipInit: no initial values, for loading). */
  readonly create: (config: Config, options: { skipInit?: boolean }) => BaselineModel;
  /**
   * What a new model needs after `create` that cannot be done synchronously (feature_propagation:
   * reading its pretrained backbone); run by `buildBaseline` unless skipInit (absent: nothing).
   */
  readonly initialize?: (model: BaselineModel, config: Config) => Promise<void>;
  /** The model saved in `dir` with `save`. */
  readonly load: (dir: string, config: Config) => BaselineModel;
  /** A saved model folder's config.json written under older option names, read as today's (absent: none). */
  readonly upgradeSaved?: (config: Config) => Config;
  /**
   * true: one-shot training always gives each clip's first frame a synthesised prior mask
   * (MaskTrack-style, src/data/prior_mask.ts) instead of its exact mask, as data.prior_mask=true
   * does for any model (absent: as data.prior_mask says).
   */
  readonly trainsOnPriorMasks?: boolean;
  /** The model modes the family implements (absent: one_shot only, the semi-supervised protocol). */
  readonly modes?: readonly SegmentationMode[];
}

/**
 * Declares a family. Its model's config type must accept what its settings derive to
 * ({@link FamilyConfig}), so a setting the model needs that the schema lacks, or types
 * differently, does not compile.
 */
export function defineBaselineFamily<Name extends string, Config extends BaselineCommonConfig & { family: Name }, Settings extends FamilySettings>(
  definition: BaselineFamilyDefinition<Name, Config> & { readonly settings: Settings } & (FamilyConfig<Name, Settings> extends Config
      ? unknown
      : { readonly settingsDoNotFitTheModelConfig: never }),
): BaselineFamilyDefinition<Name, Config> & { readonly settings: Settings } {
  return definition;
}

/** Value types the families' settings share. */
export const setting = {
  positiveInt: () => z.number().int().positive(),
  nonNegativeInt: () => z.number().int().nonnegative(),
  probability: () => z.number().min(0).max(1),
};
