/**
 * The value checks of the model's config keys, defined once: the YAML schema
 * (src/config/schema.ts, errors with file:line) and `validateModelConfig` (a saved model's
 * config.json, a config built in code) both run these. Keys are the YAML names under `model.`.
 * Each check returns null when the value is fine, else what is wrong.
 */
import { DECODER_INPUTS } from './names.js';

export type ValueCheck = (value: unknown) => string | null;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const intAtLeast =
  (min: number, what: string): ValueCheck =>
  (v) =>
    isInt(v) && v >= min ? null : `must be ${what}, got ${JSON.stringify(v)}`;

export const MODEL_CHECKS = {
  hidden: (v: unknown) => (isInt(v) && v >= 8 && v % 8 === 0 ? null : `must be a positive multiple of 8 (levels use hidden/8), got ${JSON.stringify(v)}`),
  slots: intAtLeast(1, 'a positive integer'),
  inputs: (v: unknown) => {
    if (!Array.isArray(v) || v.some((i) => !(DECODER_INPUTS as readonly unknown[]).includes(i)))
      return `must be a subset of ${DECODER_INPUTS.join(', ')}, got ${JSON.stringify(v)}`;
    return new Set(v).size === v.length ? null : `must not repeat an entry, got ${JSON.stringify(v)}`;
  },
  'matching.embedding_dim': intAtLeast(1, 'a positive integer'),
  'matching.local_radius': (v: unknown) => (v === 'auto' ? null : intAtLeast(0, "'auto' or a non-negative integer")(v)),
  'matching.max_reference': intAtLeast(1, 'a positive integer'),
} satisfies Record<string, ValueCheck>;
