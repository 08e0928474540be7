/** Pieces the baseline families share: input normalisation, slot handling, save/load glue. */
import * as tf from '@tensorflow/tfjs-core';
import { IMAGENET_MEAN, IMAGENET_STD } from '../encoders/encoder.js';
import { assignSavedWeights, saveModel } from '../model_io.js';
import type { ParamStore } from '../params.js';
import type { BaselineModelConfig, GivenObjects } from './types.js';

/** RGB in [0, 1] → ImageNet-normalised, like the project's encoders. */
export function normalizeRgb(frame: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.div(tf.sub(frame, tf.tensor1d([...IMAGENET_MEAN])), tf.tensor1d([...IMAGENET_STD])) as tf.Tensor4D);
}

/** [1, 1, 1, S] with 1 in the listed slots. */
export function slotSelector(slots: number[], numSlots: number): tf.Tensor4D {
  return tf.tensor4d(
    Array.from({ length: numSlots }, (_, s) => (slots.includes(s) ? 1 : 0)),
    [1, 1, 1, numSlots],
  );
}

/** `base` with the given objects' slots replaced by their masks ([1, H, W, S] each). */
export function withGiven(base: tf.Tensor4D, given: GivenObjects | null): tf.Tensor4D {
  if (given === null || given.slots.length === 0) return tf.clone(base);
  return tf.tidy(() => {
    const sel = slotSelector(given.slots, base.shape[3]);
    return tf.add(tf.mul(base, tf.sub(1, sel)), tf.mul(given.masks, sel)) as tf.Tensor4D;
  });
}

/** Checks a tracker's inputs; throws naming the mismatch. */
export function checkTrackerInputs(name: string, slots: number, frame: tf.Tensor4D, given: GivenObjects | null): void {
  if (frame.rank !== 4 || frame.shape[0] !== 1 || frame.shape[3] !== 3) throw new Error(`${name}: frame must be [1, H, W, 3], got [${frame.shape}]`);
  if (given === null) return;
  const want = [1, frame.shape[1], frame.shape[2], slots];
  if (!tf.util.arraysEqual(given.masks.shape, want)) throw new Error(`${name}: given masks must be [${want}], got [${given.masks.shape}]`);
  if (given.slots.some((s) => !Number.isInteger(s) || s < 0 || s >= slots)) throw new Error(`${name}: given slots [${given.slots}] outside 0..${slots - 1}`);
}

/** Writes config.json (with the family) + weights like an RVOS model folder. */
export async function saveBaseline(model: { config: BaselineModelConfig; namedVariables(): Map<string, tf.Variable> }, dir: string): Promise<void> {
  await saveModel(model, dir);
}

/** What every baseline whose weights live in one ParamStore shares: its variables, save and dispose. */
export abstract class StoredBaseline<C extends BaselineModelConfig> {
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
