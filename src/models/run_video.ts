/**
 * Whole-video inference with an RVOS model, following RVOS's inference rules.
 *
 * Zero-shot: every frame is stepped with no mask input. One-shot: the previous-mask input of
 * frames 0 and 1 is the frame-0 masks; from frame 2 on it is the model's own soft output of the
 * previous frame (sigmoid, not thresholded). Objects that first appear at frame f (YouTube-VOS)
 * get their mask put into their slots' previous-mask input at frames f and f + 1, like frame-0
 * objects — the late-object support the official demo lacks (RVOS issue #26).
 *
 * Outputs are probabilities (sigmoid of the logits) per frame; thresholding at 0.5 gives RVOS's
 * binary masks. Frames and given masks belong to the caller and are never disposed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { RvosError } from '../utils/errors.js';
import type { RVOSModel } from './rvos_model.js';

/** Masks for objects that appear after frame 0. */
export interface LateMasks {
  /** Frame where the objects first appear. */
  frame: number;
  /** [B, H, W, S]; only the listed slots are read. */
  masks: tf.Tensor4D;
  /** Slots (0-based) these objects occupy. */
  slots: number[];
}

export interface RunVideoOptions {
  /** One-shot: [B, H, W, S] masks of frame 0 (required in one_shot mode, ignored in zero_shot). */
  firstMasks?: tf.Tensor4D;
  /** One-shot: objects that appear later. */
  lateMasks?: LateMasks[];
  /** Called after each frame (awaited), e.g. to write predictions while the video runs. */
  onFrame?: (t: number, frame: FrameResult) => void | Promise<void>;
  /** Keep every frame's result in the returned output (default true). With false, each is disposed after onFrame. */
  keep?: boolean;
}

export interface FrameResult {
  /** [B, H, W, S] mask probabilities. */
  probabilities: tf.Tensor4D;
  /** [B, S] objectness probabilities, or null without an objectness head. */
  objectness: tf.Tensor2D | null;
}

export interface VideoOutput {
  /** One result per frame when options.keep is not false; the caller disposes them (disposeVideoOutput). */
  frames: FrameResult[];
}

export function disposeVideoOutput(out: VideoOutput): void {
  for (const f of out.frames) tf.dispose([f.probabilities, ...(f.objectness === null ? [] : [f.objectness])]);
}

/** Replaces the listed slots of `base` by those of `masks` (both [B,H,W,S]). */
function overrideSlots(base: tf.Tensor4D, masks: tf.Tensor4D, slots: number[], numSlots: number): tf.Tensor4D {
  return tf.tidy(() => {
    const select = new Array<boolean>(numSlots).fill(false);
    for (const s of slots) select[s] = true;
    const cond = tf.tensor4d(select, [1, 1, 1, numSlots], 'bool');
    return tf.where(tf.broadcastTo(cond, base.shape), masks, base);
  });
}

/**
 * Runs the model over `frames` ([B, H, W, 3] each, RGB in [0, 1]) from its initial state.
 */
export async function runVideo(model: RVOSModel, frames: tf.Tensor4D[], options: RunVideoOptions = {}): Promise<VideoOutput> {
  const { slots, mode } = model.config;
  const oneShot = mode === 'one_shot';
  if (oneShot && options.firstMasks === undefined) throw new RvosError('runVideo: one_shot mode needs options.firstMasks ([B, H, W, S] masks of frame 0)');
  for (const late of options.lateMasks ?? []) {
    if (late.slots.some((s) => !Number.isInteger(s) || s < 0 || s >= slots)) throw new RvosError(`runVideo: lateMasks at frame ${late.frame} names slots [${late.slots}] outside 0..${slots - 1}`);
  }
  const keep = options.keep ?? true;
  const out: VideoOutput = { frames: [] };
  let state = model.initialState(frames[1] ?? null);
  let previous: tf.Tensor4D | null = null; // probabilities of frame t−1 (owned here when !keep)
  try {
    for (let t = 0; t < frames.length; t++) {
      let prevInput: tf.Tensor4D | null = null;
      if (oneShot) {
        const base = t <= 1 || previous === null ? options.firstMasks! : previous;
        prevInput = base;
        for (const late of options.lateMasks ?? []) {
          if (late.frame === t || late.frame === t - 1) {
            const next = overrideSlots(prevInput, late.masks, late.slots, slots);
            if (prevInput !== base) prevInput.dispose();
            prevInput = next;
          }
        }
      }
      const step = model.step(frames[t]!, prevInput, state);
      if (prevInput !== null && prevInput !== options.firstMasks && prevInput !== previous) prevInput.dispose();
      model.disposeState(state);
      state = step.state;
      const result: FrameResult = {
        probabilities: tf.sigmoid(step.logits),
        objectness: step.objectness === null ? null : tf.sigmoid(step.objectness),
      };
      tf.dispose([step.logits, ...(step.objectness === null ? [] : [step.objectness])]);
      if (options.onFrame) await options.onFrame(t, result);
      if (!keep && previous !== null) previous.dispose();
      previous = result.probabilities;
      if (keep) {
        out.frames.push(result);
      } else if (result.objectness !== null) {
        result.objectness.dispose();
      }
    }
  } catch (err) {
    disposeVideoOutput(out);
    if (!keep && previous !== null) previous.dispose();
    throw err;
  } finally {
    model.disposeState(state);
  }
  if (!keep && previous !== null) previous.dispose();
  return out;
}
