/**
 * Which keys of two resolved configs differ, as dotted paths: the check behind resuming a run
 * (the saved config must match the composed one) and behind re-using a finished run in another
 * sweep (its config must match the job's).
 */
import type { RvosConfig } from './schema.js';

/** Dotted key → leaf value (arrays are leaves). */
export function flattenConfig(tree: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(tree)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flattenConfig(v as Record<string, unknown>, `${prefix}${k}.`, out);
    else out[`${prefix}${k}`] = v;
  }
  return out;
}

/**
 * The sorted dotted keys whose values differ between `a` and `b`, leaving out keys that match one
 * of `ignore`. A key one config lacks counts as null: a section a newer schema added as null
 * ("off") is what a config written before it existed meant.
 */
export function configDifferences(a: RvosConfig, b: RvosConfig, ignore: readonly RegExp[]): string[] {
  const fa = flattenConfig(a as unknown as Record<string, unknown>);
  const fb = flattenConfig(b as unknown as Record<string, unknown>);
  const keys = [...new Set([...Object.keys(fa), ...Object.keys(fb)])].sort();
  return keys.filter((k) => !ignore.some((r) => r.test(k)) && JSON.stringify(fa[k] ?? null) !== JSON.stringify(fb[k] ?? null));
}

/**
 * Config keys that may differ between a run folder's saved config and the job that resumes it:
 * they do not change what is computed (the backend's kernels aside, which change rounding only).
 */
export const RESUMABLE_CONFIG_CHANGES: readonly RegExp[] = [/^backend$/, /^run\./, /^data\.prefetch$/, /^launcher\./, /^sweep\./, /^report\./];
