import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { composeConfig, RvosConfigSchema } from '../../src/config/index.js';

const CONFIG_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../configs');

describe('run configs saved before the zero-shot keys existed', () => {
  it('still validate, with the defaults the YAML files give', () => {
    const config = structuredClone(composeConfig({ configDir: CONFIG_DIR, overrides: [] }).config) as unknown as Record<string, Record<string, unknown>>;
    const fresh = structuredClone(config);
    delete config.model!.first_frame_motion;
    delete config.data!.scales;
    delete (config.data!.synth as Record<string, unknown>).variety;
    for (const k of ['empty_slot_weight', 'objectness_pos_weight', 'slot_balance', 'slot_order', 'lr_schedule']) delete config.train![k];
    const parsed = RvosConfigSchema.parse(config);
    expect(parsed).toEqual(fresh);
  });
});
