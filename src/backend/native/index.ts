/**
 * The bridge to the native (oneDNN) convolution kernels for the wasm backend: loads the addon,
 * registers the kernel overrides (./kernels.ts), sets the OpenMP threads, and reports what runs
 * or why not (`rvos backend`). docs/native.md has the whole picture.
 */
import os from 'node:os';
import { NATIVE_FLOAT_OP_NAMES, setNativeFloatOps, type NativeFloatOps } from '../fused_kernels/native_ops.js';
import { nativeAddon } from './addon.js';
import { registerNativeKernels, setNativeKernelsEnabled } from './kernels.js';
import { nativeSettingsFromEnv, threadShareFromEnv } from './settings.js';

export { nativeAddon } from './addon.js';
export { NATIVE_KERNEL_NAMES, nativeFallback, nativeKernelCounts, nativeKernelsEnabled, setNativeKernelsEnabled } from './kernels.js';
export { nativeSettingsFromEnv } from './settings.js';

export interface NativeStatus {
  /** Whether the convolutions now run on oneDNN. */
  active: boolean;
  /** OpenMP threads of this JS thread's convolutions (when active). */
  threads?: number;
  /** oneDNN version and runtime (when loaded). */
  version?: string;
  /** Why not, in words (when not active). */
  reason?: string;
}

let status: NativeStatus = { active: false, reason: 'not initialised (the wasm backend was not chosen)' };

/** OpenMP threads for one gradient thread: the cores divided among `share` threads. */
export function threadsFor(share: number, cores = os.availableParallelism()): number {
  return Math.max(1, Math.floor(cores / Math.max(1, share)));
}

/**
 * Turns the native kernels on for the wasm backend when the addon is built and RVOS_NATIVE is not
 * 0; returns what runs. Safe to call again (re-reads the environment).
 */
export function enableNativeKernels(): NativeStatus {
  const settings = nativeSettingsFromEnv();
  const loaded = nativeAddon();
  if (loaded.addon === undefined) {
    setNativeKernelsEnabled(false);
    status = { active: false, reason: loaded.reason };
    return status;
  }
  registerNativeKernels(loaded.addon);
  if (!settings.enabled) {
    setNativeKernelsEnabled(false);
    status = { active: false, version: loaded.addon.version(), reason: 'switched off by RVOS_NATIVE=0' };
    return status;
  }
  const threads = settings.threads ?? threadsFor(threadShareFromEnv());
  loaded.addon.setThreads(threads);
  setNativeKernelsEnabled(true);
  status = { active: true, threads: loaded.addon.threads(), version: loaded.addon.version() };
  return status;
}

/**
 * Installs the addon's elementwise kernels for the fused kernels and the wasm copies (any backend:
 * they work on Float32Arrays) when the addon is built with them and RVOS_NATIVE is not 0, else
 * removes them; returns whether they run.
 */
export function installNativeFloatOps(): boolean {
  let ops: NativeFloatOps | undefined;
  if (nativeSettingsFromEnv().enabled) {
    const loaded = nativeAddon();
    const addon = loaded.addon as unknown as Partial<NativeFloatOps> | undefined;
    if (addon !== undefined && NATIVE_FLOAT_OP_NAMES.every((name) => typeof addon[name] === 'function')) ops = addon as NativeFloatOps;
  }
  setNativeFloatOps(ops);
  return ops !== undefined;
}

/** Switches the native kernels off (e.g. when another backend takes over). */
export function disableNativeKernels(reason: string): void {
  setNativeKernelsEnabled(false);
  status = { active: false, reason };
}

export function nativeStatus(): NativeStatus {
  return status;
}

/** One line for reports: `+ oneDNN convolutions (2 threads)` or `oneDNN convolutions off: why`. */
export function describeNative(s: NativeStatus = status): string {
  return s.active ? `oneDNN ${s.version} convolutions (${s.threads} thread${s.threads === 1 ? '' : 's'})` : `oneDNN convolutions off: ${s.reason}`;
}

/** How many gradient threads of this machine share the cores (RVOS_NATIVE_SHARE, default 1). */
export function nativeThreadShare(): number {
  return threadShareFromEnv();
}

/**
 * Splits the cores among `share` gradient threads (train.workers): sets this thread's OpenMP
 * threads and RVOS_NATIVE_SHARE, which worker threads and processes started afterwards inherit
 * (the sweep launcher multiplies it by its concurrent jobs). An explicit
 * RVOS_NATIVE_THREADS wins. Returns the previous share, to restore.
 */
export function setNativeThreadShare(share: number): number {
  const previous = threadShareFromEnv();
  process.env.RVOS_NATIVE_SHARE = String(share);
  if (status.active) {
    const loaded = nativeAddon();
    const settings = nativeSettingsFromEnv();
    if (loaded.addon !== undefined) {
      loaded.addon.setThreads(settings.threads ?? threadsFor(share));
      status = { ...status, threads: loaded.addon.threads() };
    }
  }
  return previous;
}
