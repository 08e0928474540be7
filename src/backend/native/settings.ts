/**
 * Settings of the native kernels, from the environment (read when the kernels are enabled):
 * - RVOS_NATIVE=0 switches them off (the wasm kernels run, exactly as without the addon); 1 or
 *   unset uses them when the addon is built.
 * - RVOS_NATIVE_THREADS=N: OpenMP threads per JS thread that runs convolutions. Unset: the
 *   cores divided by the number of gradient threads sharing them (train.workers, which sets
 *   RVOS_NATIVE_SHARE for its worker threads: ./threads.ts), at least 1.
 */
import { ConfigError } from '../../utils/errors.js';

export interface NativeSettings {
  enabled: boolean;
  /** Explicit thread count, or undefined for the cores' share. */
  threads: number | undefined;
}

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${name}=${value}: expected a positive integer (e.g. ${name}=2), or unset it`);
  return n;
}

export function nativeSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): NativeSettings {
  const flag = env.RVOS_NATIVE;
  if (flag !== undefined && flag !== '' && flag !== '0' && flag !== '1') {
    throw new ConfigError(`RVOS_NATIVE=${flag}: use 0 (native kernels off) or 1 (on when built)`);
  }
  const threads = env.RVOS_NATIVE_THREADS;
  return { enabled: flag !== '0', threads: threads === undefined || threads === '' ? undefined : positiveInt('RVOS_NATIVE_THREADS', threads) };
}

/** How many gradient threads share the cores in this process (1 unless train.workers > 1). */
export function threadShareFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const share = env.RVOS_NATIVE_SHARE;
  if (share === undefined || share === '') return 1;
  const n = Number(share);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}
