/**
 * Size and speed columns of a sweep report (runs that recorded them: results.json `params`,
 * `cpuMsPerFrame`, `modelCpuMsPerFrame`): trainable parameters, prediction CPU ms per frame
 * (frame decoding, annotation reading and label maps included; process CPU time, which
 * neighbours on a shared machine disturb least), the model's steps alone per frame (what differs
 * between families), and the frames per second one core would give at the model's cost, mean ±
 * std over seeds.
 */
import { meanStd, type Variant } from './sweep_results.js';

export const SPEED_HEADER = ['params', 'CPU ms/frame', 'model CPU ms/frame', 'model fps (1 core)'];

export function hasSpeed(variants: Variant[]): boolean {
  return variants.some((v) => v.jobs.some((j) => j.results?.params !== undefined));
}

export function speedCells(v: Variant): string[] {
  const done = v.jobs.filter((j) => j.results !== undefined).map((j) => j.results!);
  const params = done.find((r) => r.params !== undefined)?.params;
  const ms = meanStd(done.map((r) => r.cpuMsPerFrame ?? NaN));
  const modelMs = meanStd(done.map((r) => r.modelCpuMsPerFrame ?? NaN));
  const fps = meanStd(done.map((r) => 1000 / (r.modelCpuMsPerFrame ?? NaN)));
  const fmt = (s: ReturnType<typeof meanStd>, digits: number) =>
    s.n === 0 ? '–' : s.n > 1 ? `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}` : s.mean.toFixed(digits);
  return [params === undefined ? '–' : String(params), fmt(ms, 1), fmt(modelMs, 1), fmt(fps, 0)];
}
