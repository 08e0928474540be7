/**
 * Everything the notebooks use, in one module that notebooks/lib/load.ts imports through tsx:
 * the library's public API (unchanged, re-exported) and the notebooks' display helpers.
 */
export * as tf from '@tensorflow/tfjs-core';
export { initBackend } from '../../src/backend/index.js';
export { composeConfig, loadRunConfig } from '../../src/config/index.js';
export { openDavis2017, readLabelPng, DAVIS_PALETTE } from '../../src/data/index.js';
export { overlayLabels } from '../../src/eval/overlay.js';
export { frameToTensor, labelsToSlotMasks, outputLabels, readGivenObjects, startVideo } from '../../src/eval/predictor.js';
export { GLOBAL_MEASURES } from '../../src/eval/report.js';
export { runTraining } from '../../src/experiments/run/run.js';
export { runExperiment } from '../../src/experiments/launch/experiment.js';
export { readSweep, groupVariants } from '../../src/experiments/report/sweep_results.js';
export { renderMarkdown, formatStat } from '../../src/experiments/report/report_md.js';
export { readRecords } from '../../src/logging/index.js';
export { readScalars } from '../../src/experiments/report/charts_scalars.js';
export { InferenceCore, logitsToLabels, loadModel, RVOSModel } from '../../src/models/index.js';
export { levelChannels } from '../../src/models/decoder.js';
export { globalMatchingMap, localMatchingMap, FEELVOS_LOCAL_RADIUS, scaledLocalRadius } from '../../src/layers/matching.js';

export * from './demo.js';
export * from './plots.js';
export * from './view.js';
