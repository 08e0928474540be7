/** Pieces the baseline families share: input normalisation, slot handling, save/load glue. */
import * as tf from '@tensorflow/tfjs-core';
import { IMAGENET_MEAN, IMAGENET_STD } from '../encoders/encoder.js';
import { assignSavedWeights, saveModel } from '../model_io.js';
import type { ParamStore } from '../params.js';
import type { FrameStepOptions } from '../inference_core.js';
import type { BaselineCommonConfig } from './types.js';

/** RGB in [0, 1] → ImageNet-normalised, like the project's encoders. */
export function normalizeRgb(frame: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.div(tf.sub(frame, tf.tensor1d([...IMAGENET_MEAN])), tf.tensor1d([...IMAGENET_STD])) as tf.Tensor4D);
}

/**
 * Checks a family's step inputs (frame [B, H, W, 3], prevMasks [B, H, W, S]: the baselines are
 * one-shot); throws naming the mismatch.
 */
export function checkFrameInputs(name: string, slots: number, frame: tf.Tensor4D, prevMasks: tf.Tensor4D | null): void {
  if (frame.rank !== 4 || frame.shape[3] !== 3) throw new Error(`${name}: frame must be [B, H, W, 3], got [${frame.shape}]`);
  const want = [frame.shape[0], frame.shape[1], frame.shape[2], slots];
  if (prevMasks === null) throw new Error(`${name}: a one-shot model needs prevMasks [${want}]`);
  if (!tf.util.arraysEqual(prevMasks.shape, want)) throw new Error(`${name}: prevMasks must be [${want}], got [${prevMasks.shape}]`);
}

/**
 * The slots whose `prevMasks` channel is a given mask at this step: the core's `entering`; when a
 * caller steps the model without it, every slot at the first frame and none later.
 */
export function enteringSlots(options: FrameStepOptions, firstFrame: boolean, slots: number): readonly number[] {
  return options.entering ?? (firstFrame ? Array.from({ length: slots }, (_, s) => s) : []);
}

/** Writes config.json (with the family) + weights like an RVOS model folder. */
export async function saveBaseline(model: { config: BaselineCommonConfig; namedVariables(): Map<string, tf.Variable> }, dir: string): Promise<void> {
  await saveModel(model, dir);
}

/** What every baseline whose weights live in one ParamStore shares: its variables, save and dispose. */
export abstract class StoredBaseline<C extends BaselineCommonConfig> {
  protected constructor(
    readonly config: C,
    protected readonly store: ParamStore,
  ) {}

  namedVariables(): Map<string, tf.Variable> {
    return this.store.named();
  }

  encoderVariables(): tf.Variable[] {
    return this.store.trainable('encoder');
  }

  async save(dir: string): Promise<void> {
    await saveBaseline(this, dir);
  }

  dispose(): void {
    this.store.dispose();
  }
}

/**
 * A saved model's weights into a freshly created (uninitialised) model; disposes it when the
 * folder does not fit. Every family's `load` is this around its own `create`.
 */
export function withSavedWeights<M extends { namedVariables(): Map<string, tf.Variable>; dispose(): void }>(dir: string, model: M): M {
  try {
    assignSavedWeights(dir, model.namedVariables());
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

/** A seed from the model seed and the batch's masks (so the jitter is a pure function of the batch). */
export function batchSeed(seed: number, masks: ArrayLike<number>): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < masks.length; i += 7) {
    if (masks[i]! > 0) h = Math.imul(h ^ i, 0x01000193) >>> 0;
  }
  return h;
}
