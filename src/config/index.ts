/** Hydra-style configs: composition, overrides, interpolation, validation, sweeps, run records. */
export { composeConfig, composeWithSchema, type Composed, type ComposedConfig, type ComposeOptions } from './compose.js';
export { expandSweep, type SweepOptions } from './sweep.js';
export { configDifferences, flattenConfig, RESUMABLE_CONFIG_CHANGES } from './config_diff.js';
export {
  saveRunConfig,
  loadRunConfig,
  loadRunConfigWithSchema,
  runConfigRecord,
  runConfigFromRecord,
  type RunConfigRecord,
  HYDRA_SUBDIR,
} from './run_config.js';
export { listGroupOptions, isGroup } from './defaults_list.js';
export { parseOverride, type Override } from './overrides.js';
export { configWarnings } from './warnings.js';
export { camelKey, optionsOf, type CamelKey, type CamelOptions } from './options.js';
export * from './schema.js';
