/**
 * `model.family=feature_propagation`: a non-learned one-shot baseline that shows whether frozen
 * ImageNet features carry real video (docs/baselines.md, docs/real_video.md). Each frame goes
 * through the frozen MobileNetV2 (./features.ts) at `inputShortSide` (aspect kept); the features
 * of one tap (stride 4 or 8), L2-normalised per pixel, are matched against reference pixels: the
 * frames where objects were given (frame 0, and any frame where an object enters later) with
 * their given masks, plus the last `contextFrames` frames with the soft labels predicted for them.
 * Each pixel takes the softmax-weighted labels of its top k matches (./propagate.ts), optionally
 * only among references within `radius` (a fraction of the input's short side) of its position.
 * Background is a label too, so objects compete and keep their ids. The soft label maps are
 * upsampled bilinearly to the frame's resolution and returned as logits log(p_object / p_background),
 * so the inference core's argmax above 0.5 is the argmax over background and objects.
 *
 * The model ignores its previous-mask input except for the slots given at a frame (`entering`):
 * its memory of predicted labels is its state. It predicts at each video's own resolution
 * (`nativeResolution`); it has no trainable weights, so a run skips training.
 *
 * Zero-shot (`model.mode=zero_shot`, not a method of the literature: docs/real_video.md) nothing
 * is given, so the labels are seeded by motion: each frame's motion blob (src/models/motion_blob.ts,
 * the zero-shot floor's own region, found at `motionShortSide` against the previous frame, frame 0
 * against frame 1) is the foreground's evidence at that frame, mixed with weight `motionWeight`
 * into the labels propagated from the previous frames and from frame 0. Frame 0 is its blob alone
 * and stays a reference for the whole video, as a given frame does (window: `givenRadius`). The foreground
 * is one object, slot 0; the other slots stay empty. `motionRegions` 'all' keeps every moving
 * region instead of the largest (several moving objects are still one foreground).
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { FrameStepOptions, ModelStep } from '../../inference_core.js';
import { motionMask, type MotionMaskAlignment, type MotionRegions } from '../../motion_blob.js';
import type { SegmentationMode } from '../../names.js';
import { ParamStore } from '../../params.js';
import { PROBABILITY_EPSILON } from '../../slot_masks.js';
import { ConfigError } from '../../../utils/errors.js';
import { checkFrameInputs, enteringSlots, saveBaseline, withSavedWeights } from '../common.js';
import { defineBaselineFamily, setting } from '../family.js';
import type { BaselineModel } from '../types.js';
import { MobileNetV2Features, type FeatureExtractor } from './features.js';
import { GridWindow, propagateLabels } from './propagate.js';

export interface FeaturePropagationOptions {
  /** 'nsfwjs' or a TF.js layers model folder (src/models/pretrained.ts); null: seeded random weights (tests). */
  pretrained: string | null;
  /** The frame is resized (aspect kept) so that its shorter side has this many pixels. */
  inputShortSide: number;
  /** Feature tap: 4 (block_3_expand_relu, 144 channels) or 8 (block_6_expand_relu, 192). */
  tapStride: 4 | 8;
  topK: number;
  temperature: number;
  /** Previous frames (with their predicted labels) used as references beside the given frames. */
  contextFrames: number;
  /** Window half-size as a fraction of the input's short side; null: no window. */
  radius: number | null;
  /**
   * The window around the given frames' references (the first frame's masks): 'same' as `radius`;
   * null: the whole frame (FEELVOS matches the first frame globally and the previous one locally);
   * or its own fraction of the short side.
   */
  givenRadius: number | null | 'same';
  /** Largest affinity block (query pixels x reference pixels). */
  maxAffinityElements: number;
  /** Zero-shot: the motion blob is found on the frame resized (aspect kept) to this short side. */
  motionShortSide: number;
  /** Zero-shot: weight of a frame's motion blob against the labels propagated from earlier frames (1: the blob alone). */
  motionWeight: number;
  /** Zero-shot: the motion's largest region (the zero-shot floor's blob) or all of its regions. */
  motionRegions: MotionRegions;
  /** Zero-shot: the previous frame aligned by the global translation (the floor's), by a zoom and a translation, or by an affine map. */
  motionAlignment: MotionMaskAlignment;
  /** Zero-shot: pixels (at the motion size) a pixel may have drifted in the aligned previous frame and still count as still (0: none). */
  motionTolerance: number;
  /** Zero-shot: frame 0's labels (its blob) stay a reference for the whole video (false: they leave with the recent frames). */
  motionKeepsFirstFrame: boolean;
  /** Zero-shot: the blob enters the output mask at the motion size's pixels (false: through the feature cells, as the references do). */
  motionAtPixels: boolean;
}

export interface FeaturePropagationConfig {
  family: 'feature_propagation';
  slots: number;
  seed: number;
  /** Absent: one_shot (model folders saved before zero-shot existed). */
  mode?: SegmentationMode;
  featurePropagation: FeaturePropagationOptions;
}

/** One reference frame: its pixels' features [N, C] and soft labels [N, 1 + S] (background first). */
interface Reference {
  keys: tf.Tensor2D;
  labels: tf.Tensor2D;
}

/** Per video: the frames given objects (kept) and the last contextFrames frames; one-shot: null before frame 0. */
export interface PropagationState {
  grid: [number, number];
  anchors: Reference[];
  recent: Reference[];
  /** Zero-shot: the frame the next motion blob is found against (the previous frame at the motion size; before frame 0, frame 1 as given). */
  motionReference?: tf.Tensor4D | null;
}

export class FeaturePropagationModel implements BaselineModel {
  readonly nativeResolution = true;
  /** Zero-shot: frame 0's motion blob is found against frame 1. */
  readonly firstFrameLookahead: boolean;
  /** The window masks of the current grid, per reference frames (given, recent): made once, not every frame. */
  private readonly windows = new Map<string, GridWindow>();

  constructor(
    readonly config: FeaturePropagationConfig,
    private readonly store: ParamStore,
    private readonly extractor: FeatureExtractor,
  ) {
    this.firstFrameLookahead = this.zeroShot;
  }

  private get zeroShot(): boolean {
    return this.config.mode === 'zero_shot';
  }

  static create(config: FeaturePropagationConfig, options: { skipInit?: boolean } = {}): FeaturePropagationModel {
    const cfg: FeaturePropagationConfig = JSON.parse(JSON.stringify(config));
    checkOptions(cfg.featurePropagation);
    const store = new ParamStore(cfg.seed, !options.skipInit);
    try {
      return new FeaturePropagationModel(cfg, store, new MobileNetV2Features(store, cfg.featurePropagation.tapStride));
    } catch (err) {
      store.dispose();
      throw err;
    }
  }

  /** A model over another feature extractor (tests: small hand-made features); it owns the extractor. */
  static withExtractor(config: FeaturePropagationConfig, extractor: FeatureExtractor): FeaturePropagationModel {
    checkOptions(config.featurePropagation);
    return new FeaturePropagationModel(config, new ParamStore(config.seed), extractor);
  }

  static load(dir: string, config: FeaturePropagationConfig): FeaturePropagationModel {
    return withSavedWeights(dir, FeaturePropagationModel.create(config, { skipInit: true }));
  }

  /** Assigns the pretrained backbone weights `pretrained` names (nothing when null). */
  async loadPretrained(): Promise<void> {
    const source = this.config.featurePropagation.pretrained;
    if (source !== null) await this.extractor.loadPretrained?.(this.store, source);
  }

  clipLoss(): tf.Scalar {
    throw new Error('model.family=feature_propagation has nothing to train (frozen features, nearest-neighbour labels)');
  }

  initialState(nextFrame: tf.Tensor4D | null = null): PropagationState | null {
    if (!this.zeroShot) return null;
    return { grid: [0, 0], anchors: [], recent: [], motionReference: nextFrame === null ? null : tf.clone(nextFrame) };
  }

  disposeState(state: PropagationState | null): void {
    if (state === null) return;
    for (const r of [...state.anchors, ...state.recent]) tf.dispose([r.keys, r.labels]);
    state.motionReference?.dispose();
  }

  step(frame: tf.Tensor4D, prevMasks: tf.Tensor4D | null, state: PropagationState | null, options: FrameStepOptions = {}): ModelStep<PropagationState | null> {
    const slots = this.config.slots;
    if (this.zeroShot) {
      if (prevMasks !== null) throw new Error('feature_propagation: a zero-shot model takes no previous masks (prevMasks must be null)');
    } else checkFrameInputs('feature_propagation', slots, frame, prevMasks);
    if (frame.shape[0] !== 1) throw new Error(`feature_propagation: one video at a time (batch 1), got a batch of ${frame.shape[0]}`);
    const opts = this.config.featurePropagation;
    const entering = this.zeroShot ? [] : enteringSlots(options, state === null, slots);
    const [, height, width] = frame.shape;
    const inputSize = inputSizeOf(height, width, opts.inputShortSide);
    const stride = this.extractor.stride;
    const keys = tf.tidy(() => {
      const features = this.extractor.features(tf.image.resizeBilinear(frame, inputSize, false, true));
      const norm = tf.sqrt(tf.sum(tf.square(features), -1, true));
      return tf.reshape(tf.div(features, tf.maximum(norm, 1e-6)), [-1, features.shape[3]]) as tf.Tensor2D;
    });
    const grid: [number, number] = [Math.ceil(inputSize[0] / stride), Math.ceil(inputSize[1] / stride)];
    if (keys.shape[0] !== grid[0] * grid[1]) {
      keys.dispose();
      throw new Error(`feature_propagation: features of ${inputSize} input are not a ${grid} grid (stride ${stride})`);
    }
    const givenRow = rowOf(entering, slots);
    const refs = state === null ? [] : [...state.anchors, ...state.recent];
    const motion = this.zeroShot ? this.motionLabels(frame, state?.motionReference ?? null, inputSize) : null;
    /** Zero-shot with motionAtPixels: the labels the references give, before this frame's motion is mixed in. */
    let propagatedAlone: tf.Tensor2D | null = null;
    const labels = tf.tidy(() => {
      const given = entering.length === 0 ? null : gridMasks(prevMasks!, inputSize, stride);
      if (refs.length === 0) return motion !== null ? tf.clone(motion.labels) : withGiven(tf.zeros([grid[0] * grid[1], slots + 1]), given, givenRow);
      const window = this.windowFor(grid, state!.anchors.length, state!.recent.length, stride);
      const propagated = propagateLabels(
        keys,
        tf.concat(
          refs.map((r) => r.keys),
          0,
        ) as tf.Tensor2D,
        tf.concat(
          refs.map((r) => r.labels),
          0,
        ) as tf.Tensor2D,
        { topK: opts.topK, temperature: opts.temperature, maxAffinityElements: opts.maxAffinityElements, window },
      );
      // Zero-shot: this frame's motion is evidence beside what the references say.
      if (motion !== null) {
        if (opts.motionAtPixels) propagatedAlone = tf.keep(propagated);
        return tf.add(tf.mul(propagated, 1 - opts.motionWeight), tf.mul(motion.labels, opts.motionWeight)) as tf.Tensor2D;
      }
      return withGiven(propagated, given, givenRow);
    });
    const logits = tf.tidy(() => {
      const toFrame = (cells: tf.Tensor2D) =>
        tf.image.resizeBilinear(tf.reshape(cells, [1, grid[0], grid[1], slots + 1]) as tf.Tensor4D, [height, width], false, true);
      let up: tf.Tensor4D;
      if (motion === null || !opts.motionAtPixels) up = toFrame(labels);
      else {
        // The blob enters the output at its own resolution, not through the feature cells (which
        // would round its outline to 8 input pixels); the references' labels still come from cells.
        const blob = tf.image.resizeBilinear(motion.pixels, [height, width], false, true);
        const alone = propagatedAlone as tf.Tensor2D | null;
        const fg =
          alone === null
            ? blob
            : tf.add(tf.mul(tf.slice(toFrame(alone), [0, 0, 0, 1], [-1, -1, -1, 1]), 1 - opts.motionWeight), tf.mul(blob, opts.motionWeight));
        up = tf.concat([tf.sub(1, fg), fg, tf.zeros([1, height, width, slots - 1])], 3) as tf.Tensor4D;
      }
      const full = withGiven(tf.reshape(up, [-1, slots + 1]), entering.length === 0 ? null : tf.reshape(prevMasks!, [-1, slots]), givenRow);
      const p = tf.maximum(full, PROBABILITY_EPSILON);
      const [background, objects] = tf.split(tf.log(p), [1, slots], 1);
      return tf.reshape(tf.sub(objects, background), [1, height, width, slots]) as tf.Tensor4D;
    });
    const current: Reference = { keys, labels };
    const next: PropagationState = {
      grid,
      anchors: (state?.anchors ?? []).map(cloneReference),
      recent: (state?.recent ?? []).map(cloneReference),
      ...(motion === null ? {} : { motionReference: motion.frame }),
    };
    motion?.labels.dispose();
    motion?.pixels.dispose();
    (propagatedAlone as tf.Tensor2D | null)?.dispose();
    // Zero-shot, frame 0 (its blob alone) is kept for the whole video as a given frame is, unless
    // motionKeepsFirstFrame is off (then it is one of the recent frames).
    if (entering.length > 0 || (motion !== null && refs.length === 0 && opts.motionKeepsFirstFrame)) next.anchors.push(current);
    else if (opts.contextFrames > 0) next.recent.push(current);
    else tf.dispose([keys, labels]);
    while (next.recent.length > opts.contextFrames) {
      const old = next.recent.shift()!;
      tf.dispose([old.keys, old.labels]);
    }
    givenRow.dispose();
    return { logits, objectness: null, state: next };
  }

  /**
   * Zero-shot: the motion blob of `frame` (found at the motion size against `reference`, the
   * previous frame; none for a one-frame video: all background) as the labels [cells, 1 + S] of
   * the feature grid (the fraction of each cell it covers is slot 0's, the rest background), the
   * blob itself [1, h, w, 1] at the motion size, and the frame at the motion size, the next
   * frame's reference.
   */
  private motionLabels(
    frame: tf.Tensor4D,
    reference: tf.Tensor4D | null,
    inputSize: [number, number],
  ): { labels: tf.Tensor2D; frame: tf.Tensor4D; pixels: tf.Tensor4D } {
    const [, height, width] = frame.shape;
    const size = inputSizeOf(height, width, this.config.featurePropagation.motionShortSide);
    const small = downscale(frame, size);
    let blob = new Uint8Array(size[0] * size[1]);
    if (reference !== null) {
      // Frame 1 arrives at the video's size; later references are kept at the motion size.
      const sized = reference.shape[1] === size[0] && reference.shape[2] === size[1] ? reference : downscale(reference, size);
      const { motionRegions, motionAlignment, motionTolerance } = this.config.featurePropagation;
      blob = motionMask(small, sized, motionRegions, motionAlignment, motionTolerance);
      if (sized !== reference) sized.dispose();
    }
    const pixels = tf.tensor4d(Float32Array.from(blob), [1, size[0], size[1], 1]);
    const labels = tf.tidy(() => {
      const cover = gridMasks(pixels, inputSize, this.extractor.stride); // [cells, 1]
      const others = tf.zeros([cover.shape[0], this.config.slots - 1]);
      return tf.concat([tf.sub(1, cover), cover, others], 1) as tf.Tensor2D;
    });
    return { labels, frame: small, pixels };
  }

  /**
   * The window for `given` given-frame and `recent` previous-frame references on `grid` (undefined:
   * no window on either); a new grid (another video size) drops the others.
   */
  private windowFor(grid: [number, number], given: number, recent: number, stride: number): GridWindow | undefined {
    const opts = this.config.featurePropagation;
    const cells = (fraction: number | null): number => (fraction === null ? Infinity : (fraction * opts.inputShortSide) / stride);
    const [givenCells, recentCells] = [cells(opts.givenRadius === 'same' ? opts.radius : opts.givenRadius), cells(opts.radius)];
    if (givenCells === Infinity && recentCells === Infinity) return undefined;
    const key = `${given}:${recent}`;
    const [any] = this.windows.values();
    if (any !== undefined && (any.grid[0] !== grid[0] || any.grid[1] !== grid[1])) this.disposeWindows();
    let window = this.windows.get(key);
    if (window === undefined) {
      // References are the given frames, then the previous ones (step's `refs`).
      window = new GridWindow(grid, [...Array<number>(given).fill(givenCells), ...Array<number>(recent).fill(recentCells)]);
      this.windows.set(key, window);
    }
    return window;
  }

  private disposeWindows(): void {
    for (const w of this.windows.values()) w.dispose();
    this.windows.clear();
  }

  namedVariables(): Map<string, tf.Variable> {
    return this.store.named();
  }

  encoderVariables(): tf.Variable[] {
    return [];
  }

  async save(dir: string): Promise<void> {
    await saveBaseline(this, dir);
  }

  dispose(): void {
    this.disposeWindows();
    this.extractor.dispose();
    this.store.dispose();
  }
}

function cloneReference(r: Reference): Reference {
  return { keys: tf.clone(r.keys), labels: tf.clone(r.labels) };
}

/**
 * `frame` at `size` [h, w], averaged over k x k pixels first when it shrinks by a factor k >= 2 in
 * both directions. Bilinear alone samples a 4x smaller frame's pixels from 4 of every 16 source
 * pixels: JPEG noise and fine texture alias into frame differences everywhere, and the motion blob
 * of a 854x480 video at 120 px short side then finds the background (J 0.19 on the DAVIS-2016 dev
 * videos, against 0.36 for the zero-shot floor's blob on frames the data layer resized with sharp,
 * whose downscale filters over every source pixel).
 */
function downscale(frame: tf.Tensor4D, size: [number, number]): tf.Tensor4D {
  return tf.tidy(() => {
    const k = Math.floor(Math.min(frame.shape[1] / size[0], frame.shape[2] / size[1]));
    const averaged = k >= 2 ? tf.avgPool(frame, k, k, 'valid') : frame;
    return tf.image.resizeBilinear(averaged, size, false, true);
  });
}

/** [H', W'] with the shorter side `shortSide` and the aspect kept (rounded). */
export function inputSizeOf(height: number, width: number, shortSide: number): [number, number] {
  const scale = shortSide / Math.min(height, width);
  return [Math.max(1, Math.round(height * scale)), Math.max(1, Math.round(width * scale))];
}

/** [S] with 1 at the listed slots. */
function rowOf(slotsOn: readonly number[], slots: number): tf.Tensor1D {
  const row = new Float32Array(slots);
  for (const s of slotsOn) row[s] = 1;
  return tf.tensor1d(row);
}

/** Masks [1, H, W, S] → the fraction of each feature cell they cover [h * w, S] (area average at the input size). */
function gridMasks(masks: tf.Tensor4D, inputSize: [number, number], stride: number): tf.Tensor2D {
  const sized = tf.image.resizeBilinear(masks, inputSize, false, true);
  return tf.reshape(tf.avgPool(sized, stride, stride, 'same'), [-1, masks.shape[3]]) as tf.Tensor2D;
}

/**
 * Labels [N, 1 + S] (background first) with the given slots' masks [N, S] (those with `row` 1)
 * put in: where a given object lies, it replaces what was there. Without given masks: `labels`,
 * and a frame with no labels yet (zeros) becomes all background outside the given objects.
 */
function withGiven(labels: tf.Tensor2D, given: tf.Tensor2D | null, row: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => {
    if (given === null) return tf.clone(labels);
    const masks = tf.mul(tf.clipByValue(given, 0, 1), row); // [N, S], zero outside the given slots
    const covered = tf.minimum(tf.sum(masks, 1, true), 1); // [N, 1]
    const slots = given.shape[1];
    // Rows with no label mass yet (the first frame) are background.
    const mass = tf.sum(labels, 1, true);
    const base = tf.add(labels, tf.mul(tf.cast(tf.equal(mass, 0), 'float32'), tf.oneHot(tf.zeros([labels.shape[0]], 'int32'), slots + 1)));
    // A given object lies exactly where its mask says: elsewhere its label goes to the background.
    const others = tf.concat([tf.zeros([1]), tf.sub(1, row)], 0); // [1 + S]
    const dropped = tf.sum(tf.mul(base, tf.sub(1, others)), 1, true);
    const moved = tf.add(tf.mul(base, others), tf.mul(dropped, tf.oneHot(tf.zeros([1], 'int32'), slots + 1)));
    const kept = tf.mul(moved, tf.sub(1, covered));
    return tf.add(kept, tf.concat([tf.zeros([labels.shape[0], 1]), masks], 1)) as tf.Tensor2D;
  });
}

function checkOptions(o: FeaturePropagationOptions): void {
  if (o.tapStride !== 4 && o.tapStride !== 8) throw new ConfigError(`model.feature_propagation.tap_stride: must be 4 or 8, got ${o.tapStride}`);
  if (!(o.motionWeight >= 0 && o.motionWeight <= 1)) throw new ConfigError(`model.feature_propagation.motion_weight: must be in [0, 1], got ${o.motionWeight}`);
  if (!(o.temperature > 0)) throw new ConfigError(`model.feature_propagation.temperature: must be positive, got ${o.temperature}`);
}

/** The settings of model=feature_propagation (configs/model/feature_propagation.yaml): the section model.feature_propagation. */
const FEATURE_PROPAGATION_SETTINGS = z.strictObject({
  pretrained: z.string().min(1).nullable(),
  input_short_side: setting.positiveInt().refine((s) => s >= 16, 'input_short_side must be at least 16'),
  tap_stride: z.union([z.literal(4), z.literal(8)]),
  top_k: setting.positiveInt(),
  temperature: z.number().positive(),
  context_frames: setting.nonNegativeInt(),
  radius: z.number().positive().nullable(),
  given_radius: z
    .union([z.number().positive(), z.literal('same')])
    .nullable()
    .default('same'),
  max_affinity_elements: setting.positiveInt(),
  // Zero-shot only (defaults: model folders saved before zero-shot existed).
  motion_short_side: setting
    .positiveInt()
    .refine((s) => s >= 16, 'motion_short_side must be at least 16')
    .default(120),
  motion_weight: setting.probability().default(0.5),
  motion_regions: z.enum(['largest', 'all']).default('largest'),
  motion_alignment: z.enum(['translation', 'zoom', 'affine']).default('translation'),
  motion_tolerance: setting.nonNegativeInt().default(0),
  motion_keeps_first_frame: z.boolean().default(true),
  motion_at_pixels: z.boolean().default(false),
});

/** A model folder saved before motion_tolerance, motion_keeps_first_frame and motion_at_pixels existed predicts as it did: their defaults. */
function olderSaved(config: FeaturePropagationConfig): FeaturePropagationConfig {
  const saved: Partial<FeaturePropagationOptions> = config.featurePropagation;
  return {
    ...config,
    featurePropagation: {
      ...config.featurePropagation,
      motionTolerance: saved.motionTolerance ?? 0,
      motionKeepsFirstFrame: saved.motionKeepsFirstFrame ?? true,
      motionAtPixels: saved.motionAtPixels ?? false,
    },
  };
}

/** model.family=feature_propagation (src/models/baselines/families.ts). */
export const FEATURE_PROPAGATION_FAMILY = defineBaselineFamily({
  name: 'feature_propagation',
  settings: FEATURE_PROPAGATION_SETTINGS,
  create: (config: FeaturePropagationConfig, options) => FeaturePropagationModel.create(config, options),
  load: (dir, config: FeaturePropagationConfig) => FeaturePropagationModel.load(dir, config),
  upgradeSaved: olderSaved,
  initialize: (model) => (model as FeaturePropagationModel).loadPretrained(),
  modes: ['one_shot', 'zero_shot'],
});
