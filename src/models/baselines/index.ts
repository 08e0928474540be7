/** Public API of the baseline model families (docs/baselines.md). */
export * from './types.js';
export { buildBaseline, createBaseline, loadBaseline, missingSettings, savedFamily, trainableParameters } from './registry.js';
export { BASELINES, BASELINE_FAMILIES, baselineFamily, isBaselineFamily, type BaselineFamily, type BaselineModelConfig } from './families.js';
export { defineBaselineFamily, type BaselineFamilyDefinition, type FamilyConfig } from './family.js';
export type { MobilePriorOptions } from './mobile_prior/network.js';
export type { SiamMaskOptions } from './siammask/network.js';
export { MobilePriorModel, type MobilePriorConfig } from './mobile_prior/model.js';
export { SiamMaskModel, type SiamMaskConfig, type SiamMaskState } from './siammask/model.js';
export { CopyFirstModel, type CopyFirstConfig } from './copy_first.js';
export { depthwiseXCorr } from './siammask/network.js';
export { ZeroShotFloorModel, zeroShotFloorSegmenter, ZERO_SHOT_FLOORS, type ZeroShotFloor } from './motion_floor.js';
export { FeaturePropagationModel, type FeaturePropagationConfig, type FeaturePropagationOptions } from './feature_propagation/model.js';
export type { FeatureExtractor } from './feature_propagation/features.js';
export { propagateLabels, GridWindow } from './feature_propagation/propagate.js';
