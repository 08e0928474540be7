/**
 * Chooses and initialises the TensorFlow.js backend.
 *
 * Preference `auto` uses the native TensorFlow binding when the user installed one
 * (@tensorflow/tfjs-node-gpu, then @tensorflow/tfjs-node: optional peer dependencies, so a missing
 * one is not an error), else the wasm backend with this project's training kernels, else the
 * pure-JS cpu backend. The preference comes from the argument (config key `backend`, flag
 * `--backend`), else the RVOS_BACKEND environment variable, else `auto`.
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// tfjs-core's Node bundle registers no gradient functions; tfjs-layers' bundle registers them all
// (into the shared global registry), without which no backend can train.
import '@tensorflow/tfjs-layers';
import { ConfigError } from '../utils/errors.js';
import { registerFusedKernels } from './fused_kernels/index.js';
import { installGradientSums } from './gradient_sums.js';
import { installTapeSaves } from './tape_saves.js';
import { describeNative, disableNativeKernels, enableNativeKernels, installNativeFloatOps, type NativeStatus } from './native/index.js';
import { registerWasmTrainingKernels } from './wasm_kernels/index.js';

import { BACKEND_PREFERENCES, type BackendPreference } from './preferences.js';

export { BACKEND_PREFERENCES, type BackendPreference } from './preferences.js';

export interface BackendReport {
  /** The tfjs backend name now active: 'tensorflow' | 'wasm' | 'cpu'. */
  backend: string;
  /** Why it was chosen, in words. */
  reason: string;
  /** Where the preference came from. */
  source: 'argument' | 'RVOS_BACKEND' | 'default';
  /** On wasm: whether the oneDNN convolutions run (src/backend/native), and why not. */
  native?: NativeStatus;
}

export interface InitBackendOptions {
  /** Don't print the one-line report. */
  quiet?: boolean;
  /** Where to print the report (default console.error, so stdout stays clean for data). */
  log?: (line: string) => void;
}

/** Native packages in the order `auto` tries them. */
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

let current: BackendReport | undefined;
let currentPreference: BackendPreference | undefined;

export function parseBackendPreference(value: string, key: string): BackendPreference {
  if ((BACKEND_PREFERENCES as readonly string[]).includes(value)) return value as BackendPreference;
  throw new ConfigError(`${key}: unknown backend '${value}'; use one of ${BACKEND_PREFERENCES.join(' | ')}`);
}

/** Tries to load a native binding; resolves to an explanation when it is not usable. */
async function tryNative(pkg: string): Promise<string | undefined> {
  // Resolve first: "not installed" then reads the same under every loader (Node, tsx, vitest).
  try {
    createRequire(import.meta.url).resolve(pkg);
  } catch {
    return `${pkg} is not installed`;
  }
  try {
    // A variable specifier keeps TypeScript and bundlers from requiring the optional package.
    const specifier: string = pkg;
    await import(specifier);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return `${pkg} is not installed`;
    return `${pkg} failed to load (${(err as Error).message.split('\n')[0]})`;
  }
  if (tf.findBackendFactory('tensorflow') === undefined) {
    return `${pkg} loaded but registered no 'tensorflow' backend with this copy of @tensorflow/tfjs-core (install version ${tf.version_core})`;
  }
  return undefined;
}

async function activate(name: string): Promise<boolean> {
  const before = processHandlers();
  try {
    return (await tf.setBackend(name)) && tf.getBackend() === name;
  } catch {
    return false;
  } finally {
    dropHandlersAddedSince(before);
  }
}

// The two events share a listener type for this bookkeeping; Node's typings overload them separately.
const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as unknown as readonly 'uncaughtException'[];
type Listener = NodeJS.UncaughtExceptionListener;

function processHandlers(): Map<string, Set<Listener>> {
  return new Map(PROCESS_EVENTS.map((e) => [e, new Set(process.listeners(e))]));
}

/**
 * Emscripten's Node glue in tfjs-backend-wasm registers 'uncaughtException' and
 * 'unhandledRejection' handlers that rethrow from inside its generated source, so Node dumps that
 * source and exits 7 on any later error. Errors are the caller's to report
 * (the CLI's boundary), so handlers a backend adds while initialising are removed.
 */
function dropHandlersAddedSince(before: Map<string, Set<Listener>>): void {
  for (const event of PROCESS_EVENTS) {
    for (const listener of process.listeners(event)) if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
  }
}

/**
 * Initialises TensorFlow.js once per process with the given preference and reports the choice.
 * Calling it again with a different preference switches backend.
 */
export async function initBackend(preference?: BackendPreference, options: InitBackendOptions = {}): Promise<BackendReport> {
  let source: BackendReport['source'] = 'argument';
  let pref = preference;
  if (pref === undefined) {
    const env = process.env.RVOS_BACKEND;
    if (env !== undefined && env !== '') {
      pref = parseBackendPreference(env, 'RVOS_BACKEND');
      source = 'RVOS_BACKEND';
    } else {
      pref = 'auto';
      source = 'default';
    }
  }
  // Same preference as last time and that backend still active: nothing to do.
  if (current !== undefined && currentPreference === pref && current.source === source && tf.getBackend() === current.backend) {
    return current;
  }
  // Kernel fixes for wasm and cpu; registering touches no backend, so it is safe whatever runs.
  registerWasmTrainingKernels();
  registerFusedKernels();
  installNativeFloatOps();
  installTapeSaves();
  installGradientSums();
  const notes: string[] = [];
  let report: BackendReport | undefined;
  if (pref === 'auto' || pref === 'tensorflow') {
    for (const pkg of NATIVE_PACKAGES) {
      const problem = await tryNative(pkg);
      if (problem === undefined && (await activate('tensorflow'))) {
        report = { backend: 'tensorflow', reason: `native TensorFlow via ${pkg}`, source };
        break;
      }
      notes.push(problem ?? `${pkg} did not initialise`);
    }
    if (report === undefined && pref === 'tensorflow') {
      throw new ConfigError(`backend=tensorflow: ${notes.join('; ')}. Install one with \`npm install @tensorflow/tfjs-node\` (or -gpu), or use backend=auto`);
    }
  }
  if (report === undefined && (pref === 'auto' || pref === 'wasm')) {
    if (await activate('wasm')) {
      report = { backend: 'wasm', reason: pref === 'wasm' ? 'requested' : `no TensorFlow native binding (${notes.join('; ')})`, source };
    } else {
      notes.push('wasm backend failed to initialise');
      if (pref === 'wasm') throw new ConfigError('backend=wasm: the wasm backend failed to initialise; try backend=cpu');
    }
  }
  if (report?.backend === 'wasm') {
    // Registered after the wasm training kernels, which become the fallbacks.
    report.native = enableNativeKernels();
  } else {
    disableNativeKernels(`the ${report?.backend ?? 'cpu'} backend runs`);
  }
  if (report === undefined) {
    if (!(await activate('cpu'))) throw new Error('the cpu backend failed to initialise');
    report = { backend: 'cpu', reason: pref === 'cpu' ? 'requested' : notes.join('; '), source };
  }
  current = report;
  currentPreference = pref;
  const native = report.native === undefined ? '' : `; ${describeNative(report.native)}`;
  if (!options.quiet) (options.log ?? console.error)(`[rvos] backend: ${report.backend} (${report.reason}; preference from ${report.source}${native})`);
  return report;
}
