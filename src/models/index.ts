/** Public API of the models stage. */
export * from './rvos_model.js';
export * from './inference_core.js';
export { loadModel, readModelConfig, saveModel } from './model_io.js';
export { parameterCounts, type ModelPart, type PartCount } from './summary.js';
export { ENCODER_NAMES, type EncoderName } from './encoders/encoder.js';
export { NSFWJS_SOURCE, readLayersModelDir, type PretrainedReport } from './pretrained.js';
export { forwardContext, type ForwardContext } from './nn.js';
