/**
 * Tensors saved for back-propagation without a kernel call (a training-speed measure). tfjs-core saves every input
 * or output that a gradient needs (and what a customGrad op saves) by cloning it: an Identity
 * kernel call plus a tape node for the clone. A main-job training step made 3,750 of them, 40% of
 * its kernel calls. tfjs data is immutable, so on the wasm and cpu backends a saved tensor can
 * instead share the dataId with one more reference. That is what this project's wasm Identity already did inside the kernel
 * (./wasm_kernels/shared_identity.ts); here the engine's call around it and the tape node go too.
 * The clone's tape node matters only when the gradient computation is itself differentiated
 * (higher-order gradients), so nested gradient scopes keep tfjs-core's clone. Values are
 * unchanged, so training is bit for bit the same.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The parts of tfjs-core's Engine this relies on (engine.ts, 4.22). */
interface EngineInternals {
  backendName: string;
  backend: tf.KernelBackend;
  state: { gradientDepth: number };
  nextTensorId(): number;
  incRef(a: tf.Tensor, backend: tf.KernelBackend): void;
  /** Used by saveTensorsForBackwardMode (kernels' gradients) and by customGrad ops' save function. */
  clone(x: tf.Tensor): tf.Tensor;
}

const SHARING_BACKENDS = new Set(['wasm', 'cpu']);
let installed = false;
let enabled = true;

/** Installs the shared saves on tfjs-core's engine (once per process); touches no backend. */
export function installTapeSaves(): void {
  const engine = tf.engine() as unknown as EngineInternals;
  if (installed) return;
  installed = true;
  const clone = engine.clone;
  engine.clone = function (this: EngineInternals, x: tf.Tensor): tf.Tensor {
    if (!enabled || this.state.gradientDepth !== 1 || !SHARING_BACKENDS.has(this.backendName)) return clone.call(this, x);
    // A new tensor on the same data: one more engine and backend reference (engine.incRef).
    const shared = new tf.Tensor(x.shape, x.dtype, x.dataId, this.nextTensorId());
    this.incRef(shared, this.backend);
    return shared;
  };
}

/** Switches the shared saves on or off (tests compare both); returns the previous setting. */
export function setTapeSavesShared(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}
