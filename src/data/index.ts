/** The data layer's public API (readers, synthetic data, clips, batches, augmentation). */
export * from './types.js';
export { DAVIS_PALETTE, decodeLabelPng, encodeLabelPng, readLabelPng, writeLabelPng } from './palette_png.js';
export { readRgbImage, readRgbImageResized, encodeJpeg, resizeRgbBilinear, resizeLabelsNearest } from './image_io.js';
export { readJpegSize, readPngHeader, checkLabelPngHeader } from './image_headers.js';
export { labelIds, type ObjectScan, type ValidationLevel } from './file_sequence.js';
export { openDavis2017, readSplitFile, type DavisOptions } from './davis2017.js';
export {
  openDavis2016,
  detectDavis2016Layout,
  readDavis2016List,
  DAVIS2016_RESOLUTIONS,
  type Davis2016Options,
  type Davis2016Layout,
  type Davis2016Resolution,
} from './davis2016.js';
export { openYouTubeVOS, readYouTubeVosMeta, type YouTubeVosOptions } from './youtube_vos.js';
export { openFrameFolder, type FrameFolderOptions } from './frame_folder.js';
export { memoryDataset, memorySequence } from './memory_sequence.js';
export * from './synth/options.js';
export { synthesizeVideo, type SynthVideo } from './synth/video.js';
export { generateSyntheticDataset, synthVideoName, synthVideoPlan, synthVideoSeed, SYNTH_SPLITS, type SynthSplit, type SynthSummary, type SynthVideoPlan } from './synth/dataset.js';
export { DEFAULT_PHOTO_EFFECTS, resolvePhotoEffects, type PhotoEffects, type PhotoSynthOptions } from './synth/photo_options.js';
export { listPhotos, photoPool, splitPhotos, type Photo, type PhotoPool } from './synth/photo_library.js';
export { openPhotoGenerator, type PhotoGenerator } from './synth/photo.js';
export { synthesizePhotoVideo } from './synth/photo_video.js';
export * from './augment.js';
export * from './prior_mask.js';
export { fitThinPlateSpline } from './tps.js';
export * from './clip.js';
export * from './batch.js';
export * from './prefetch.js';
