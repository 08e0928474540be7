/**
 * The RVOS model (Ventura et al., CVPR 2019): encoder → skip reductions → spatio-temporal ConvLSTM
 * decoder run once per object slot → mask logits per slot (+ objectness per slot). Beside RVOS's
 * previous-mask channel (`prev_mask`, one-shot), a slot's decoder may also see its own previous
 * prediction (`own_prev_mask`, zero-shot), FEELVOS matching maps, what earlier slots of the frame
 * claimed (`slot_canvas`, zero-shot) and a foreground probability map from a small head on the
 * skips (`foreground`, zero-shot; its logits are returned in training for its loss).
 *
 * Conventions: NHWC; `B` batch, `S` slots; features of a frame are shared by all slots, per-slot
 * tensors come from the decoder. The class holds the network only and is a FrameModel: `step`
 * runs one whole frame; the trainer's clip loop (src/train/clip_loss.ts) and the inference core
 * (src/models/inference_core.ts) drive it, and src/models/model_io.ts saves and loads it.
 * `step` never disposes its inputs and works under tf.variableGrads
 * for back-propagation through a whole clip (temporal h is never detached).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, RvosError } from '../utils/errors.js';
import { levelChannels, RVOSDecoder, type LevelState, type Recurrence } from './decoder.js';
import {
  createEncoder,
  ENCODER_FREEZE_WORDS,
  ENCODER_NAMES,
  OUTPUT_STRIDES,
  type Encoder,
  type EncoderFreeze,
  type EncoderName,
  type OutputStride,
} from './encoders/index.js';
import { maskPyramid } from './mask_pyramid.js';
import { motionBlobMap } from './motion_blob.js';
import {
  DECODER_INPUTS,
  disposeReferences,
  FEELVOS_MATCHING,
  MatchingInputs,
  type DecoderInput,
  type MatchingOptions,
  type MatchingReferences,
} from './matching_inputs.js';
import { MODEL_CHECKS } from './model_checks.js';
import { alignPrevious } from './motion_alignment.js';
import {
  FIRST_FRAME_MOTIONS,
  MOTION_ALIGNMENTS,
  RECURRENCES,
  SEGMENTATION_MODES,
  type FirstFrameMotion,
  type MotionAlignment,
  type SegmentationMode,
} from './names.js';
import { detach, forwardContext, type ForwardContext } from './nn.js';
import { ObjectnessHead } from './objectness_head.js';
import { ParamStore } from './params.js';
import { assignPretrained, readPretrained, type PretrainedReport } from './pretrained.js';
import { SkipReductions, type DecoderSkips } from './skip_reductions.js';
import { SlotCanvas } from './slot_canvas.js';
import { ForegroundHead } from './foreground_head.js';

export type { Recurrence } from './decoder.js';
export { DECODER_INPUTS, FEELVOS_MATCHING, type DecoderInput, type MatchingOptions } from './matching_inputs.js';
export { RECURRENCES, SEGMENTATION_MODES, type SegmentationMode } from './names.js';

export interface EncoderConfig {
  name: EncoderName;
  /** A TF.js layers model folder, 'nsfwjs' (built-in MobileNetV2 ImageNet weights), or null (random init). */
  pretrained: string | null;
  /** Backbone BatchNorm uses its moving statistics in training too and never updates them. */
  freezeBatchNorm?: boolean;
  /** encoder=light only: every width times this (default 1; src/models/encoders/light.ts). */
  widthMultiplier?: number;
  /**
   * Which backbone weights train (default 'none' = all train): 'all' freezes the backbone, a number
   * N leaves its last N units trainable (mobilenetv2). Frozen parts run off the gradient tape with
   * inference-mode BatchNorm (src/models/encoders/frozen.ts, mobilenet_v2.ts). Not in RVOS.
   */
  freeze?: EncoderFreeze;
  /** mobilenetv2 only: 16 or 8 stops the backbone at that stride (default 32 = whole; not in RVOS). */
  outputStride?: OutputStride;
}

export interface RVOSModelConfig {
  encoder: EncoderConfig;
  /** Decoder width (RVOS: 128); a multiple of 8. */
  hidden: number;
  /** Object slots per frame (RVOS `maxseqlen`: 10). */
  slots: number;
  recurrence: Recurrence;
  mode: SegmentationMode;
  /** Objectness head on/off (off = RVOS-exact). */
  objectness: boolean;
  seed: number;
  /**
   * Per-slot decoder inputs (default ['prev_mask'] = RVOS). prev_mask is used in one_shot mode
   * only; global_matching / local_matching add FEELVOS matching maps (src/models/matching_inputs.ts
   * says which references each mode uses); slot_canvas shows each slot what the frame's earlier
   * slots claimed (src/models/slot_canvas.ts) and foreground the foreground head's probabilities
   * (src/models/foreground_head.ts), both zero-shot only: one-shot slots are told their objects by
   * the given masks, so a one-shot model ignores them; own_prev_mask (zero-shot only) gives each
   * slot its own previous-frame prediction as the mask channel, the way one-shot's pred_prev does
   * after frame 0 (empty on the first frame; not in RVOS).
   */
  inputs?: DecoderInput[];
  /** Matching-map settings; FEELVOS's values where absent. */
  matching?: Partial<MatchingOptions>;
  /** The encoder also sees the difference to the previous frame (a motion cue; not in RVOS). Default false. */
  motionInput?: boolean;
  /**
   * The motion input of a video's first frame, which has no previous frame: 'zero' (no motion, the
   * default) or 'next' (the difference to the NEXT frame, given to `initialState`; a time-reversed
   * difference looks like any other, so frame 0 is segmented like the rest).
   */
  firstFrameMotion?: FirstFrameMotion;
  /**
   * 'translation': the motion input's previous frame is first shifted by the global translation
   * that best matches the current frame, so a panning camera cancels (src/models/motion_alignment.ts).
   * Default 'none' (the plain difference).
   */
  motionAlignment?: MotionAlignment;
}

/** The decoder inputs of a config (absent = ['prev_mask']). */
export function decoderInputs(config: RVOSModelConfig): DecoderInput[] {
  return config.inputs ?? ['prev_mask'];
}

/** Recurrent state between frames; opaque to callers, released with `disposeState`. */
export interface DecoderState {
  readonly kind: 'rvos-decoder-state';
  /** Index of the frame this state feeds (0: the video's first frame; absent = 0). */
  readonly frame?: number;
  /** Per slot, h of levels 0..3 from the previous frame; null before the first frame or in S mode. */
  readonly temporal: tf.Tensor4D[][] | null;
  /** Matching-map references (embeddings + masks) for the next frame; absent without matching inputs. */
  readonly matching?: MatchingReferences | null;
  /** This frame, for the next frame's motion input; absent without config.motionInput. */
  readonly previousFrame?: tf.Tensor4D | null;
  /**
   * Zero-shot with own_prev_mask: this frame's slot probabilities at stride 2 ([B, 2·h4, 2·w4, S],
   * constants for the tape), the next frame's mask input; null before the first frame.
   */
  readonly ownMasks?: tf.Tensor4D | null;
}

export interface StepOutput {
  /** [B, H, W, S] mask logits at the input frame size, one channel per slot. */
  logits: tf.Tensor4D;
  /** [B, S] objectness logits, null when config.objectness is false. */
  objectness: tf.Tensor2D | null;
  /**
   * Training only: [B, H, W, 1] foreground logits at the input frame size (the foreground input's
   * head, for its loss); null at inference or without that input.
   */
  foreground: tf.Tensor4D | null;
  /** Next state; the caller disposes it with disposeState when done. */
  state: DecoderState;
}

export interface StepOptions {
  /** Training mode (BatchNorm batch statistics + moving-average updates). Default false. */
  training?: boolean;
}

/** Options of `create` beyond the config. */
export interface CreateOptions {
  /** Skip drawing initial values and loading pretrained weights (load() assigns saved ones). */
  skipInit?: boolean;
}

/** Checks a config (the same checks as the YAML schema, src/models/model_checks.ts); throws ConfigError naming the key. */
export function validateModelConfig(config: RVOSModelConfig): void {
  const fail = (key: string, msg: string): never => {
    throw new ConfigError(`model.${key}: ${msg}`);
  };
  const check = (key: keyof typeof MODEL_CHECKS, value: unknown): void => {
    const problem = MODEL_CHECKS[key](value);
    if (problem !== null) fail(key, problem);
  };
  if (!ENCODER_NAMES.includes(config.encoder?.name)) fail('encoder.name', `unknown encoder '${config.encoder?.name}'; use one of ${ENCODER_NAMES.join(' | ')}`);
  const freeze = config.encoder.freeze;
  if (freeze !== undefined && !(ENCODER_FREEZE_WORDS as readonly unknown[]).includes(freeze) && !(Number.isInteger(freeze) && (freeze as number) >= 0))
    fail('encoder.freeze', `must be ${ENCODER_FREEZE_WORDS.join(' | ')} or a number of trainable last units (an integer >= 0), got ${String(freeze)}`);
  const outputStride = config.encoder.outputStride;
  if (outputStride !== undefined && !OUTPUT_STRIDES.includes(outputStride))
    fail('encoder.output_stride', `must be ${OUTPUT_STRIDES.join(' | ')}, got ${String(outputStride)}`);
  check('hidden', config.hidden);
  check('slots', config.slots);
  if (!RECURRENCES.includes(config.recurrence)) fail('recurrence', `must be ${RECURRENCES.join(' | ')}, got '${config.recurrence}'`);
  if (!SEGMENTATION_MODES.includes(config.mode)) fail('mode', `must be ${SEGMENTATION_MODES.join(' | ')}, got '${config.mode}'`);
  if (typeof config.objectness !== 'boolean') fail('objectness', `must be true or false, got ${String(config.objectness)}`);
  if (config.motionInput !== undefined && typeof config.motionInput !== 'boolean')
    fail('motion_input', `must be true or false, got ${String(config.motionInput)}`);
  if (config.firstFrameMotion !== undefined && !FIRST_FRAME_MOTIONS.includes(config.firstFrameMotion))
    fail('first_frame_motion', `must be ${FIRST_FRAME_MOTIONS.join(' | ')}, got '${String(config.firstFrameMotion)}'`);
  if (config.motionAlignment !== undefined && !MOTION_ALIGNMENTS.includes(config.motionAlignment))
    fail('motion_alignment', `must be ${MOTION_ALIGNMENTS.join(' | ')}, got '${String(config.motionAlignment)}'`);
  if (!Number.isInteger(config.seed)) fail('seed', `must be an integer, got ${config.seed}`);
  check('inputs', decoderInputs(config));
  for (const input of ['motion_proposal', 'lead_motion_proposal'] as const)
    if (config.mode === 'zero_shot' && decoderInputs(config).includes(input) && config.motionInput !== true)
      fail('inputs', `${input} needs the motion input (its reference frame): set model.motion_input=true`);
  if (decoderInputs(config).includes('motion_proposal') && decoderInputs(config).includes('lead_motion_proposal'))
    fail('inputs', 'motion_proposal (every slot) and lead_motion_proposal (the first slot) are two ways to show one blob; keep one');
  const m = { ...FEELVOS_MATCHING, ...config.matching };
  check('matching.embedding_dim', m.embeddingDim);
  check('matching.local_radius', m.localRadius);
  check('matching.max_reference', m.maxReference);
}

/**
 * Whether a zero-shot-only decoder input is in use: slot_canvas and foreground. One-shot slots are
 * told their objects by the given masks, so one-shot models ignore these inputs (measured for the
 * foreground head: it cost one-shot J&F; docs/zero_shot.md).
 */
function usesZeroShotInput(config: RVOSModelConfig, input: 'slot_canvas' | 'foreground' | 'motion_proposal' | 'lead_motion_proposal'): boolean {
  return config.mode === 'zero_shot' && decoderInputs(config).includes(input);
}

/** Whether the decoder has the motion-proposal channel (for every slot, or the first only). */
function usesMotionProposal(config: RVOSModelConfig): boolean {
  return usesZeroShotInput(config, 'motion_proposal') || usesZeroShotInput(config, 'lead_motion_proposal');
}

/**
 * A slot's extra decoder inputs per level: its matching maps, its canvas channel, the foreground
 * channel (any may be absent), as a list per level. They are not concatenated here: the gate
 * convolution's input is concatenated once, with the states (src/layers/conv_lstm_cell.ts).
 */
function slotExtraChannels(...parts: (tf.Tensor4D[] | null)[]): tf.Tensor4D[][] | null {
  const present = parts.filter((p): p is tf.Tensor4D[] => p !== null);
  if (present.length === 0) return null;
  return present[0]!.map((_, k) => present.map((p) => p[k]!));
}

export class RVOSModel {
  /** What pretrained loading did (null when the encoder started from random weights). */
  pretrainedReport: PretrainedReport | null = null;

  private constructor(
    readonly config: RVOSModelConfig,
    private readonly store: ParamStore,
    readonly encoder: Encoder,
    private readonly skips: SkipReductions,
    readonly decoder: RVOSDecoder,
    private readonly objectnessHead: ObjectnessHead | null,
    private readonly matching: MatchingInputs | null,
    private readonly foreground: ForegroundHead | null,
  ) {}

  /** Builds a model; same config + seed → identical initial weights. */
  static async create(config: RVOSModelConfig, options: CreateOptions = {}): Promise<RVOSModel> {
    validateModelConfig(config);
    const cfg: RVOSModelConfig = JSON.parse(JSON.stringify(config));
    const store = new ParamStore(cfg.seed, !options.skipInit);
    try {
      const encoder = createEncoder(store, cfg.encoder.name, cfg.encoder.freezeBatchNorm ?? false, cfg.motionInput ?? false, cfg.encoder.widthMultiplier ?? 1, {
        ...(cfg.encoder.freeze === undefined ? {} : { freeze: cfg.encoder.freeze }),
        ...(cfg.encoder.outputStride === undefined ? {} : { outputStride: cfg.encoder.outputStride }),
      });
      const skips = new SkipReductions(store, encoder.channels, cfg.hidden);
      const hidden = cfg.hidden;
      const inputs = decoderInputs(cfg);
      const oneShot = cfg.mode === 'one_shot';
      const usesMatching = inputs.includes('global_matching') || inputs.includes('local_matching');
      const matching = usesMatching
        ? new MatchingInputs(store, encoder.channels[0], inputs, oneShot, cfg.slots, { ...FEELVOS_MATCHING, ...cfg.matching })
        : null;
      const skipChannels = [hidden, hidden, hidden / 2, hidden / 4];
      const decoder = new RVOSDecoder(store, {
        hidden,
        skipChannels,
        recurrence: cfg.recurrence,
        prevMaskChannel: oneShot ? inputs.includes('prev_mask') : inputs.includes('own_prev_mask'),
        extraChannels:
          (matching?.channelsPerSlot ?? 0) +
          (usesZeroShotInput(cfg, 'slot_canvas') ? 1 : 0) +
          (usesZeroShotInput(cfg, 'foreground') ? 1 : 0) +
          (usesMotionProposal(cfg) ? 1 : 0),
      });
      const head = cfg.objectness ? new ObjectnessHead(store, levelChannels(hidden)) : null;
      // Created last, so that the other parts' initial weights do not depend on it.
      const foreground = usesZeroShotInput(cfg, 'foreground') ? new ForegroundHead(store, skipChannels) : null;
      const model = new RVOSModel(cfg, store, encoder, skips, decoder, head, matching, foreground);
      if (cfg.encoder.pretrained !== null && cfg.encoder.pretrained !== undefined && !options.skipInit) {
        const artifacts = await readPretrained(cfg.encoder.pretrained);
        model.pretrainedReport = assignPretrained(store, encoder, artifacts, cfg.encoder.pretrained);
      }
      return model;
    } catch (err) {
      store.dispose();
      throw err;
    }
  }

  /** Whether `initialState` reads the video's second frame (model.first_frame_motion=next with the motion input). */
  get firstFrameLookahead(): boolean {
    return this.config.motionInput === true && this.config.firstFrameMotion === 'next';
  }

  /**
   * "No previous frame". `nextFrame` (the video's second frame, [B,H,W,3]; the caller keeps it) is
   * the first frame's motion reference when {@link firstFrameLookahead}; otherwise unused.
   */
  initialState(nextFrame?: tf.Tensor4D | null): DecoderState {
    const lookahead = this.firstFrameLookahead && nextFrame != null;
    return { kind: 'rvos-decoder-state', frame: 0, temporal: null, matching: null, previousFrame: lookahead ? tf.clone(nextFrame) : null };
  }

  disposeState(state: DecoderState): void {
    if (state.temporal !== null) tf.dispose(state.temporal.flat());
    disposeReferences(state.matching);
    state.previousFrame?.dispose();
    state.ownMasks?.dispose();
  }

  /** Stage 1: frame [B,H,W,3] in [0,1] → reduced skips (strides 32, 16, 8, 4). */
  encodeFrame(frame: tf.Tensor4D, ctx: ForwardContext): DecoderSkips {
    return this.skips.apply(this.encoder.forward(frame, ctx), ctx);
  }

  /**
   * One frame: encoder once, then the decoder once per slot (sequential: slot i sees slot i−1).
   * @param frame [B, H, W, 3] RGB in [0, 1]
   * @param prevMasks [B, H, W, S] in [0, 1]; required iff mode is one_shot
   */
  step(frame: tf.Tensor4D, prevMasks: tf.Tensor4D | null, state: DecoderState, opts: StepOptions = {}): StepOutput {
    this.checkInputs(frame, prevMasks, state);
    const ctx = forwardContext(opts.training ?? false);
    const { slots } = this.config;
    const [, height, width] = frame.shape;
    // tf.tidy keeps every tensor reachable from the returned object (logits, objectness, state).
    return tf.tidy(() => {
      const previous = state.previousFrame ?? null;
      const reference = previous !== null && this.config.motionAlignment === 'translation' ? alignPrevious(previous, frame) : previous;
      const features = this.encoder.forward(frame, ctx, reference);
      const skips = this.skips.apply(features, ctx);
      const prepared = this.decoder.prepareFrame(skips);
      const sizes = skips.map((s) => [s.shape[1], s.shape[2]] as [number, number]);
      const pyramid = this.maskInputs(frame, prevMasks, state, sizes);
      const matched = this.matching === null ? null : this.matching.frame(features[0], prevMasks, state.matching ?? null, sizes, ctx.training);
      const canvas = usesZeroShotInput(this.config, 'slot_canvas') ? new SlotCanvas(frame.shape[0], sizes) : null;
      const foregroundLogit = this.foreground === null ? null : this.foreground.apply(skips);
      const foregroundLevels = foregroundLogit === null ? null : maskPyramid(detach(tf.sigmoid(foregroundLogit)), sizes);
      // The motion blob against the motion input's reference (frame 0: the next frame, or none).
      const proposalLevels = !usesMotionProposal(this.config)
        ? null
        : maskPyramid(previous === null ? tf.zeros([frame.shape[0], height, width, 1]) : motionBlobMap(frame, previous), sizes);
      // lead_motion_proposal: the slots after the first see a zero channel in its place.
      const noProposal = usesZeroShotInput(this.config, 'lead_motion_proposal') ? proposalLevels!.map((p) => tf.zerosLike(p)) : null;
      const frameIndex = state.frame ?? 0;
      const passesSpatial = this.decoder.passesSpatial(frameIndex);
      let spatial: LevelState[] | null = null;
      const logits: tf.Tensor4D[] = [];
      const slotH: tf.Tensor4D[][] = [];
      const temporal: tf.Tensor4D[][] = [];
      for (let s = 0; s < slots; s++) {
        const masks = pyramid === null ? null : pyramid.map((p) => tf.slice(p, [0, 0, 0, s], [-1, -1, -1, 1]));
        const extra = slotExtraChannels(
          matched === null ? null : this.matching!.slotChannels(matched.levels, s),
          canvas?.levels() ?? null,
          foregroundLevels,
          s > 0 && noProposal !== null ? noProposal : proposalLevels,
        );
        const out = this.decoder.decodeSlot(prepared, masks, passesSpatial ? spatial : null, state.temporal?.[s] ?? null, extra);
        spatial = out.states;
        if (canvas !== null && s + 1 < slots) canvas.claim(out.logit);
        logits.push(out.logit);
        if (this.decoder.usesTemporal) temporal.push(out.states.map((st) => st.h));
        slotH.push(out.states.map((st) => st.h));
      }
      const stacked = slots === 1 ? logits[0]! : tf.concat(logits, 3);
      const full = tf.image.resizeBilinear(stacked, [height, width], true);
      for (const update of ctx.updates) update();
      const next: DecoderState = {
        kind: 'rvos-decoder-state',
        frame: frameIndex + 1,
        temporal: this.decoder.usesTemporal ? temporal : null,
        matching: matched === null ? null : this.matching!.next(state.matching ?? null, matched, stacked),
        previousFrame: this.config.motionInput ? tf.clone(frame) : null,
        ownMasks: this.feedsOwnMasks ? detach(tf.sigmoid(stacked)) : null,
      };
      const result: StepOutput = {
        logits: full,
        objectness: this.objectnessHead === null ? null : this.objectnessHead.applySlots(slotH),
        foreground: foregroundLogit !== null && ctx.training ? tf.image.resizeBilinear(foregroundLogit, [height, width], true) : null,
        state: next,
      };
      return result as unknown as tf.TensorContainer;
    }) as unknown as StepOutput;
  }

  /** Zero-shot with own_prev_mask: the decoder's mask channel is the slot's own previous prediction. */
  private get feedsOwnMasks(): boolean {
    return this.config.mode === 'zero_shot' && this.decoder.opts.prevMaskChannel;
  }

  /** The mask channel's input at every level ([B, h_k, w_k, S] each), or null when the decoder has none. */
  private maskInputs(frame: tf.Tensor4D, prevMasks: tf.Tensor4D | null, state: DecoderState, sizes: [number, number][]): tf.Tensor4D[] | null {
    if (!this.decoder.opts.prevMaskChannel) return null;
    if (!this.feedsOwnMasks) return prevMasks === null ? null : maskPyramid(prevMasks, sizes);
    const own = state.ownMasks ?? null;
    if (own === null) return sizes.map(([h, w]) => tf.zeros([frame.shape[0], h, w, this.config.slots]) as tf.Tensor4D);
    return maskPyramid(own, sizes);
  }

  private checkInputs(frame: tf.Tensor4D, prevMasks: tf.Tensor4D | null, state: DecoderState): void {
    if (frame.rank !== 4 || frame.shape[3] !== 3) throw new RvosError(`RVOSModel.step: frame must be [B, H, W, 3], got [${frame.shape}]`);
    const oneShot = this.config.mode === 'one_shot';
    if (oneShot && prevMasks === null) throw new RvosError('RVOSModel.step: one_shot mode needs prevMasks [B, H, W, S]');
    if (!oneShot && prevMasks !== null) throw new RvosError('RVOSModel.step: zero_shot mode takes no prevMasks (pass null)');
    if (prevMasks !== null) {
      const [b, h, w] = frame.shape;
      const want = [b, h, w, this.config.slots];
      if (!tf.util.arraysEqual(prevMasks.shape, want)) throw new RvosError(`RVOSModel.step: prevMasks must be [${want}], got [${prevMasks.shape}]`);
    }
    const previousFrame = state.previousFrame ?? null;
    if (previousFrame !== null && !tf.util.arraysEqual(previousFrame.shape, frame.shape)) {
      throw new RvosError(
        `RVOSModel.step: state holds a previous frame of shape [${previousFrame.shape}], this frame is [${frame.shape}]; start from initialState()`,
      );
    }
    const own = state.ownMasks ?? null;
    if (
      own !== null &&
      (own.shape[0] !== frame.shape[0] || own.shape[1] !== 2 * Math.ceil(frame.shape[1] / 4) || own.shape[2] !== 2 * Math.ceil(frame.shape[2] / 4))
    ) {
      throw new RvosError(
        `RVOSModel.step: state holds masks [${own.shape}] from frames of another batch or size than [${frame.shape}]; start from initialState()`,
      );
    }
    if (state.temporal !== null) {
      if (state.temporal.length !== this.config.slots)
        throw new RvosError(`RVOSModel.step: state has ${state.temporal.length} slots, model has ${this.config.slots}`);
      const [b, h, w] = frame.shape;
      const prev = state.temporal[0]![3]!;
      if (prev.shape[0] !== b || prev.shape[1] !== Math.ceil(h / 4) || prev.shape[2] !== Math.ceil(w / 4)) {
        throw new RvosError(
          `RVOSModel.step: state comes from frames of another batch or size (level 3 is [${prev.shape}], frame [${frame.shape}]); start from initialState()`,
        );
      }
    }
  }

  /** Backbone variables (trainable; its own learning rate in RVOS). */
  encoderVariables(): tf.Variable[] {
    return this.store.trainable('encoder');
  }

  /** Stable names of the frozen backbone weights (encoder.freeze; saved and loaded, never trained or updated). */
  frozenNames(): string[] {
    return this.store.frozenNames();
  }

  /** Skip reductions, ConvLSTMs, heads (trainable). */
  decoderVariables(): tf.Variable[] {
    return this.store.trainable('decoder');
  }

  /**
   * Every variable by stable name ('encoder/conv1_conv/kernel', 'decoder/level0/kernel', …),
   * including the non-trainable BatchNorm moving statistics (variable.trainable === false).
   */
  namedVariables(): Map<string, tf.Variable> {
    return this.store.named();
  }

  /** Parameter sizes by stable name, for summaries. */
  describeVariables(): ReturnType<ParamStore['describe']> {
    return this.store.describe();
  }

  dispose(): void {
    this.store.dispose();
    this.encoder.dispose();
  }
}
