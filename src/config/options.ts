/**
 * The options objects the code takes, derived from validated config sections: each key of a
 * section's schema becomes the camelCase option of the same name (`stem_channels` →
 * `stemChannels`), nested sections too. A new setting therefore needs its schema entry and the
 * code that reads it, and no mapping in between.
 */
import type { z } from 'zod';
import { camelKey, type CamelOptions } from '../utils/camel_case.js';

export { camelKey, type CamelKey, type CamelOptions } from '../utils/camel_case.js';

type Def = { type: string; innerType?: z.core.$ZodType; out?: z.core.$ZodType; defaultValue?: unknown; shape?: Record<string, z.core.$ZodType> };

function defOf(schema: z.core.$ZodType): Def {
  return schema._zod.def as unknown as Def;
}

/** The object schema under defaults, nullables, optionals and preprocessing, if the field is a section. */
function sectionSchema(field: z.core.$ZodType): Record<string, z.core.$ZodType> | undefined {
  const def = defOf(field);
  if (def.type === 'object') return def.shape;
  const inner = def.type === 'pipe' ? def.out : def.innerType;
  return inner === undefined ? undefined : sectionSchema(inner);
}

export interface OptionsOfSettings {
  /**
   * Leave out keys whose value is their schema default, for options whose absence means that
   * default (the encoder's: a saved model's config.json then names only what differs).
   */
  omitDefaults?: boolean;
}

/**
 * The options object of a validated config section: every key of `schema` (a zod object) that the
 * value holds, camelCased; nested sections are converted the same way, arrays are copied, records
 * (free-form maps such as data.synth.photo_effects) are passed as they are.
 */
export function optionsOf<S extends z.ZodObject>(schema: S, value: z.output<S>, settings: OptionsOfSettings = {}): CamelOptions<z.output<S>> {
  return convert(defOf(schema).shape ?? {}, value as Record<string, unknown>, settings) as CamelOptions<z.output<S>>;
}

function convert(shape: Record<string, z.core.$ZodType>, value: Record<string, unknown>, settings: OptionsOfSettings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(shape)) {
    const v = value[key];
    if (v === undefined) continue;
    const def = defOf(field);
    if (settings.omitDefaults === true && def.type === 'default' && JSON.stringify(def.defaultValue) === JSON.stringify(v)) continue;
    const section = sectionSchema(field);
    if (section !== undefined && v !== null && typeof v === 'object' && !Array.isArray(v))
      out[camelKey(key)] = convert(section, v as Record<string, unknown>, {});
    else out[camelKey(key)] = Array.isArray(v) ? [...(v as unknown[])] : v;
  }
  return out;
}
