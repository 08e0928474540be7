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

  it('read a dataset saved as videos + val_videos (the last ones held out) as the splits it had', () => {
    const config = structuredClone(composeConfig({ configDir: CONFIG_DIR, overrides: ['data=synthetic_varied'] }).config) as unknown as Record<
      string,
      Record<string, unknown>
    >;
    const synth = config.data!.synth as Record<string, unknown>;
    const variety = synth.variety as Record<string, unknown>;
    const older = { ...synth, videos: 130, val_videos: 30, variety: { train: variety.train, val: variety.held_out } };
    delete (older as Record<string, unknown>).train_videos;
    delete (older as Record<string, unknown>).test_videos;
    delete config.data!.test_split;
    const parsed = RvosConfigSchema.parse({ ...config, data: { ...config.data, synth: older } });
    expect(parsed.data.synth).toMatchObject({ train_videos: 100, val_videos: 30, test_videos: 30, variety: { held_out: variety.held_out } });
    // Such runs chose and reported on the same held-out videos: their val list.
    expect(parsed.data.test_split).toBe('val');
  });
});
