/**
 * The data layer's shared vocabulary: images, label maps, sequences and datasets. Readers
 * (DAVIS-2017, YouTube-VOS, frame folders, in-memory) all produce these, so the clip sampler,
 * the trainer and the evaluator never see a file format.
 */
import type { LabelMap } from './palette_codec.js';

/**
 * The evaluation tasks (DAVIS-2017 protocols): semi_supervised = the first frame's masks are given
 * (one-shot models); unsupervised = nothing is given (zero-shot models). The official result files
 * spell the first one 'semi-supervised' (src/eval/report.ts, officialTaskName).
 */
export const EVAL_TASKS = ['semi_supervised', 'unsupervised'] as const;
export type EvalTask = (typeof EVAL_TASKS)[number];

export type { LabelMap } from './palette_codec.js';

/** An 8-bit RGB image, row-major, channels interleaved (length = width * height * 3). */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Annotation value for "void" (ambiguous) pixels in DAVIS / YouTube-VOS label maps. */
export const VOID_LABEL = 255;

/**
 * One video. Frames are read lazily (each call decodes the file), so opening a dataset is cheap.
 *
 * `objectIds` / `firstFrameOf` come from the annotations the reader scanned when it opened the
 * sequence: by default only the first annotated frame for DAVIS and frame folders (the semi-
 * supervised protocol's object set: ids present in frame 0), every object listed in meta.json for
 * YouTube-VOS, every annotated frame when the reader is asked to scan all of them
 * (`scan: 'all'`) and always for in-memory sequences.
 */
export interface VideoSequence {
  name: string;
  /** File stems in temporal order, e.g. '00000'. */
  frameNames: string[];
  /** Size of frame 0 (every frame and annotation of a sequence has this size; readers check). */
  width: number;
  height: number;
  /** Object ids (1..254) found in the scanned annotations, ascending. */
  objectIds: number[];
  /** Object id → index of the first annotated frame it appears in. */
  firstFrameOf: Map<number, number>;
  /** annotated[i]: frame i has an annotation file (YouTube-VOS annotates every 5th frame etc.); absent = all annotated. */
  annotated?: boolean[];
  /** Category name per object id where the dataset provides one (YouTube-VOS meta.json). */
  objectCategories?: Map<number, string>;
  readFrame(i: number): Promise<RgbImage>;
  /**
   * Frame i resized to height x width (bilinear-type filter). Readers backed by files decode and
   * resize in one step (much faster for 480p JPEGs); optional for other implementations.
   */
  readFrameResized?(i: number, height: number, width: number): Promise<RgbImage>;
  /** Palette indices of frame i, or null when that frame has no annotation. */
  readAnnotation(i: number): Promise<LabelMap | null>;
}

/** A video a reader left out because of bad input (`onError: 'skip'`), with the reason. */
export interface SkippedVideo {
  name: string;
  reason: string;
}

export interface VideoDataset {
  /** 'davis2016', 'davis2017', 'youtube_vos', 'frames' or 'memory'. */
  name: string;
  root: string;
  split: string;
  sequences: VideoSequence[];
  /** Videos skipped because of bad input (only with `onError: 'skip'`; empty otherwise). */
  skipped?: SkippedVideo[];
  /** Input that is read but probably not as meant (e.g. grayscale annotations), one line each, for the caller to print. */
  warnings?: string[];
}

/** What a reader does with a bad video: throw a DataError (default) or skip it and list it. */
export type OnDataError = 'raise' | 'skip';
