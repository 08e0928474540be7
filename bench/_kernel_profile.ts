/** A tf.profile result summed by kernel name, as the table the benchmarks print. */
import type * as tf from '@tensorflow/tfjs-core';

type ProfileInfo = Awaited<ReturnType<typeof tf.profile>>;

export interface KernelTable {
  /** Kernel calls in the profile. */
  calls: number;
  /** Summed kernel time in ms (composed kernels include the kernels they call). */
  totalMs: number;
  peakMiB: number;
  /** Header + the `top` kernels by time: name, ms, share of total, calls. */
  lines: string[];
}

export async function kernelTable(info: ProfileInfo, top: number, nameWidth = 34): Promise<KernelTable> {
  const byKernel = new Map<string, { ms: number; calls: number }>();
  let totalMs = 0;
  for (const k of info.kernels) {
    const raw = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : Number(await k.kernelTimeMs);
    const ms = Number.isFinite(raw) ? raw : 0;
    const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += ms;
    e.calls++;
    byKernel.set(k.name, e);
    totalMs += ms;
  }
  const row = (name: string, ms: string, share: string, calls: string) => `${name.padEnd(nameWidth)}${ms.padStart(9)}${share.padStart(8)}${calls.padStart(8)}`;
  const lines = [
    row('kernel', 'ms', 'share', 'calls'),
    ...[...byKernel]
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, top)
      .map(([name, e]) => row(name, e.ms.toFixed(1), `${((100 * e.ms) / totalMs).toFixed(1)}%`, String(e.calls))),
  ];
  return { calls: info.kernels.length, totalMs, peakMiB: info.peakBytes / 2 ** 20, lines };
}
