/**
 * Switches for this project's wasm training kernels. The defaults are the fast paths; the others
 * stay available so that benchmarks can measure before/after in one run and tests can compare
 * the two formulations.
 */
export interface WasmKernelOptions {
  /**
   * Conv2DBackpropInput: 'phases' = one stride-1 convolution of dy with a filter holding every
   * stride phase, then an interleave (no zero-dilated dy); 'zero_dilated' = the textbook
   * transposed convolution over a zero-dilated dy (stride² more work at stride 2).
   */
  inputGradient: 'phases' | 'zero_dilated';
  /**
   * Keep the rearranged filters of the input gradient alive while their source lives: a filter
   * used by several backward convolutions (3 frames of a clip, 10 slots of a frame) is flipped
   * once, and XNNPACK keeps its packed weights for every later call.
   */
  cacheFilters: boolean;
  /** Tile by block copies on the heap instead of the built-in per-element kernel. */
  fastTile: boolean;
  /** Identity shares the input's data (one more reference) instead of copying it. */
  shareIdentity: boolean;
  /** Slice, SplitV, Unpack, Concat, Pack as memmove runs on the heap (no whole-input copy per slice). */
  fastCopies: boolean;
}

const options: WasmKernelOptions = { inputGradient: 'phases', cacheFilters: true, fastTile: true, shareIdentity: true, fastCopies: true };

export function wasmKernelOptions(): Readonly<WasmKernelOptions> {
  return options;
}

/** Changes some options; returns the previous ones (to restore them). */
export function setWasmKernelOptions(change: Partial<WasmKernelOptions>): WasmKernelOptions {
  const previous = { ...options };
  Object.assign(options, change);
  return previous;
}
