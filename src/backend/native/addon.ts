/**
 * Loads the oneDNN addon (native/, built by node-gyp at install when oneDNN's headers are present:
 * scripts/setup-native.sh) and says why not when it cannot. Loading never throws: the wasm
 * kernels stay the fallback, and `nativeAddon()` reports the reason in words for `rvos backend`.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The functions native/src/addon.cc exports. */
export interface NativeAddon {
  /** Runs one convolution on the heap; `params` has the layout of PARAM below. Throws on a oneDNN error. */
  conv(heap: Uint8Array, params: Float64Array): void;
  /** The oneDNN implementation chosen for a geometry (e.g. `jit:avx512_core`). */
  implementation(params: Float64Array): string;
  /** OpenMP threads for the calling JS thread's convolutions. */
  setThreads(n: number): void;
  threads(): number;
  /** Cache entries alive, bytes they hold, entries ever made, convolutions run. */
  stats(): { entries: number; bytes: number; created: number; calls: number; cacheCapacity: number };
  clearCache(): void;
  /** oneDNN version and CPU runtime, e.g. `2.6.3 OpenMP`. */
  version(): string;
}

/** Slots of the params array (native/src/addon.cc, enum Slot). */
export const PARAM = {
  kind: 0,
  batch: 1,
  inH: 2,
  inW: 3,
  inC: 4,
  outH: 5,
  outW: 6,
  outC: 7,
  kH: 8,
  kW: 9,
  sH: 10,
  sW: 11,
  dH: 12,
  dW: 13,
  padT: 14,
  padL: 15,
  padB: 16,
  padR: 17,
  groups: 18,
  act: 19,
  alpha: 20,
  hasBias: 21,
  srcOff: 22,
  weiOff: 23,
  biasOff: 24,
  dstOff: 25,
  length: 26,
} as const;

export const CONV_KIND = { forward: 0, backwardData: 1, backwardWeights: 2 } as const;
/** Activations the addon fuses (FusedConv2D's `activation`), by addon code. */
export const ACTIVATION_CODE: Readonly<Record<string, number>> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 3, sigmoid: 4, elu: 5 };

export type AddonState = { addon: NativeAddon; file: string } | { addon: undefined; reason: string };

const here = path.dirname(fileURLToPath(import.meta.url));
/** native/build/Release from src/backend/native (and from a compiled dist/ layout alike). */
const CANDIDATES = [path.resolve(here, '../../../native/build/Release/rvos_native.node')];
/** Written by scripts/setup-native.sh when the build was skipped or failed: the reason, one line. */
const STATUS_FILE = path.resolve(here, '../../../native/build/status.txt');

let state: AddonState | undefined;

function buildProblem(): string {
  try {
    const line = fs.readFileSync(STATUS_FILE, 'utf8').trim().split('\n')[0];
    if (line) return line;
  } catch {
    // No status file: the install hook never ran (or ran before this file existed).
  }
  return 'addon not built (run `npm run setup:native`)';
}

/** The addon, loaded once per thread, or why it is not available. */
export function nativeAddon(): AddonState {
  if (state !== undefined) return state;
  const file = CANDIDATES.find((f) => fs.existsSync(f));
  if (file === undefined) {
    state = { addon: undefined, reason: buildProblem() };
    return state;
  }
  // OpenMP threads sleep between parallel regions instead of spinning (libgomp spins ~100 ms by
  // default): a spinning thread takes CPU from the JS thread that runs everything else between
  // convolutions, which made a training step ~10x slower on a shared 2-core machine. Read by
  // libgomp when it loads with the addon; an explicit setting wins.
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  try {
    const addon = createRequire(import.meta.url)(file) as NativeAddon;
    state = { addon, file };
  } catch (err) {
    state = { addon: undefined, reason: `addon failed to load (${(err as Error).message.split('\n')[0]}); rebuild with \`npm run setup:native\`` };
  }
  return state;
}
