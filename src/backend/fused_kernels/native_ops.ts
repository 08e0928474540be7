/**
 * The addon's elementwise kernels (native/src/elementwise.cc) as the fused kernels and the wasm
 * copies see them: the training step's batch norm forward and backward, the ReLU, Square, Mean
 * and Max gradients, the ConvLSTM gates' loops (σ stays the backend's; on wasm tanh is the addon's), Adam and the
 * input normalisation as C++ loops over float32 arrays, and the heap copies of Slice, SplitV,
 * Concat and Pack as one call each. The Node side installs them at backend start when the addon is
 * built and RVOS_NATIVE is not 0 (src/backend/native/index.ts: `installNativeFloatOps`); the
 * kernels (./batch_norm_train.ts, ./broadcast_grads.ts, ./lstm_gates.ts, ./adam_update.ts,
 * ./normalize_input.ts, ../wasm_kernels/fast_copies.ts) call them
 * on the wasm and the cpu backend alike (they take Float32Array views, wherever the data lives),
 * and run their own TypeScript loops when none are installed (the browser, no addon). The C++
 * performs the same operations in the same order and precision, so results are the same bit for
 * bit (docs/speed.md). This module imports nothing from Node: the browser build includes it.
 */

export interface NativeFloatOps {
  /** Training batch norm forward over channels-last x ([rows·C]): y, batch mean and biased variance. */
  bnForward(
    x: Float32Array,
    scale: Float32Array,
    offset: Float32Array,
    y: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    channels: number,
    epsilon: number,
  ): void;
  /** Its gradient through the batch statistics: dx, dScale, dOffset. */
  bnBackward(
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    scale: Float32Array,
    dy: Float32Array,
    dx: Float32Array,
    dScale: Float32Array,
    dOffset: Float32Array,
    channels: number,
    epsilon: number,
  ): void;
  /** dx = dy·step(x). */
  reluGrad(x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  /** dx = dy·(2x). */
  squareGrad(x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  /** dx = dy / n broadcast; geometry = [rank, x's shape, the reduced tensor's stride per axis of x (0 on reduced axes)]. */
  meanGrad(dy: Float32Array, dx: Float32Array, n: number, geometry: Float64Array): void;
  /** dx = dy·(x == y) broadcast; geometry as meanGrad's. */
  maxGrad(x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array, geometry: Float64Array): void;
  /** Byte copies on the heap: params = [count, then per block dst, src, bytes, rows, dstStride, srcStride]. */
  copyBlocks(heap: Uint8Array, params: Float64Array): void;
  /** The ConvLSTM gates' g block ([P, 4F] → [P, F]). */
  lstmPackG(z: Float32Array, g: Float32Array, filters: number): void;
  /** c = f·c_spatial + i·tanh(g) from σ(z) and tanh(g); cSpatial empty: c = i·tanh(g). */
  lstmCell(sig: Float32Array, tanhG: Float32Array, cSpatial: Float32Array, c: Float32Array, filters: number): void;
  /** h = o·tanh(c). */
  lstmHidden(sig: Float32Array, tanhC: Float32Array, h: Float32Array, filters: number): void;
  /**
   * The gates' forward after σ in one pass, with tanhHeap's tanh: tanh(g) from z's g block,
   * c = f·c_spatial + i·tanh(g) (cSpatial empty: i·tanh(g)), tanh(c) and h = o·tanh(c).
   */
  lstmStateTanh(
    sig: Float32Array,
    z: Float32Array,
    cSpatial: Float32Array,
    c: Float32Array,
    h: Float32Array,
    tanhG: Float32Array,
    tanhC: Float32Array,
    filters: number,
  ): void;
  /** The gates' backward loop; cSpatial and dcSpatial empty when there is no c_spatial. */
  lstmGatesGrad(
    sig: Float32Array,
    tanhG: Float32Array,
    tanhC: Float32Array,
    dh: Float32Array,
    dc: Float32Array,
    cSpatial: Float32Array,
    dz: Float32Array,
    dcSpatial: Float32Array,
    filters: number,
  ): void;
  /** One Adam update (m and v empty on the first step); hyperparameters as the float32 values the ops saw. */
  adamUpdate(
    x: Float32Array,
    grad: Float32Array,
    m: Float32Array,
    v: Float32Array,
    xNext: Float32Array,
    mNext: Float32Array,
    vNext: Float32Array,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    correction2: number,
    epsilon: number,
    stepSize: number,
    weightDecay: number,
  ): void;
  /** start + Σ x² in double, in order. */
  sumOfSquares(x: Float32Array, start: number): number;
  /** (frame − mean)/std per channel, and with `previous` (non-empty) (frame − previous)/std beside it. */
  normalizeInput(frame: Float32Array, mean: Float32Array, std: Float32Array, previous: Float32Array, y: Float32Array, channels: number): void;
  /** out = a op b on the wasm heap: params = [op (0 add, 1 sub, 2 mul), aOff, bOff, outOff, n, aScalar, bScalar]. */
  binaryHeap(heap: Uint8Array, params: Float64Array): void;
  /** Sum, mean or max over the middle axis of x viewed as [outer, r, inner] on the wasm heap: params = [op (0 sum, 1 mean, 2 max), xOff, outOff, outer, r, inner]. */
  reduceMiddle(heap: Uint8Array, params: Float64Array): void;
  /**
   * tanh on the wasm heap, computed in double and rounded once (not the wasm kernel's values:
   * docs/speed.md, "tanh and ResizeBilinearGrad in C++"): params = [xOff, outOff, n].
   */
  tanhHeap(heap: Uint8Array, params: Float64Array): void;
  /**
   * ResizeBilinearGrad (not the half-pixel case) on the wasm heap, summed in double (within float32
   * rounding of the wasm kernel): params = [dyOff, dxOff, batch, inH, inW, outH, outW, depth, alignCorners].
   */
  resizeBilinearGradHeap(heap: Uint8Array, params: Float64Array): void;
}

/** An empty array: an absent optional input of the native kernels. */
export const NO_ARRAY = new Float32Array(0);

/** The functions an addon must export to be used here (an addon built before them has only the convolutions). */
export const NATIVE_FLOAT_OP_NAMES: readonly (keyof NativeFloatOps)[] = [
  'bnForward',
  'bnBackward',
  'reluGrad',
  'squareGrad',
  'meanGrad',
  'maxGrad',
  'copyBlocks',
  'lstmStateTanh',
  'tanhHeap',
  'resizeBilinearGradHeap',
];

let installed: NativeFloatOps | undefined;
let enabled = true;

/** Installs the native kernels (undefined: none); called at backend start. */
export function setNativeFloatOps(ops: NativeFloatOps | undefined): void {
  installed = ops;
}

/** The native elementwise kernels, or undefined when the TypeScript loops are to run. */
export function nativeFloatOps(): NativeFloatOps | undefined {
  return enabled ? installed : undefined;
}

/** Uses the installed native kernels (true) or the TypeScript loops (false), e.g. to compare them; returns the previous setting. */
export function setNativeFloatOpsEnabled(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}
