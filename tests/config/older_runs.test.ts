import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { composeConfig, HYDRA_SUBDIR, loadRunConfig, RvosConfigSchema } from '../../src/config/index.js';

const CONFIG_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../configs');

describe('run configs saved before the zero-shot keys existed', () => {
  it('still validate, with the defaults the YAML files give', () => {
    const config = structuredClone(composeConfig({ configDir: CONFIG_DIR, overrides: [] }).config) as unknown as Record<string, Record<string, unknown>>;
    const fresh = structuredClone(config);
    delete config.model!.first_frame_motion;
    delete config.data!.scales;
    delete (config.data!.synth as Record<string, unknown>).variety;
    for (const k of ['objectness_pos_weight', 'slot_balance', 'slot_order', 'lr_schedule']) delete config.train![k];
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

/** A run folder whose saved config is `edit` applied to today's default config, with these overrides. */
function oldRunFolder(edit: (config: Record<string, Record<string, unknown>>) => void, overrides: string[], extra: string[] = []): string {
  const config = structuredClone(composeConfig({ configDir: CONFIG_DIR, overrides: extra }).config) as unknown as Record<string, Record<string, unknown>>;
  edit(config);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-old-run-'));
  fs.mkdirSync(path.join(dir, HYDRA_SUBDIR));
  fs.writeFileSync(path.join(dir, HYDRA_SUBDIR, 'config.yaml'), stringify(config));
  fs.writeFileSync(path.join(dir, HYDRA_SUBDIR, 'overrides.yaml'), stringify(overrides));
  return dir;
}

describe('run configs saved under older key names', () => {
  it('read train.matching as train.slot_assignment, in the config and in the saved overrides', () => {
    const dir = oldRunFolder(
      (c) => {
        const { slot_assignment: _, ...train } = c.train!;
        c.train = { ...train, matching: 'every_frame' };
      },
      ['train.matching=every_frame', 'model.matching.local_radius=7'],
    );
    const loaded = loadRunConfig(dir);
    expect(loaded.config.train.slot_assignment).toBe('every_frame');
    // model.matching (the FEELVOS maps) is another idea and keeps its name.
    expect(loaded.overrides).toEqual(['train.slot_assignment=every_frame', 'model.matching.local_radius=7']);
    expect(composeConfig({ configDir: CONFIG_DIR, overrides: loaded.overrides }).config.train.slot_assignment).toBe('every_frame');
  });

  it('refuse the old names in a fresh config, pointing at the new one', () => {
    expect(() => composeConfig({ configDir: CONFIG_DIR, overrides: ['+train.matching=every_frame'] })).toThrow(/train\.matching.*unknown key.*slot_assignment/);
  });

  it('read a loss switch beside its weight as the weight alone: off is weight 0, on keeps the weight', () => {
    const dir = oldRunFolder(
      (c) => {
        const { objectness_weight: _, empty_slot_weight: __, ...train } = c.train!;
        // empty_slot_weight did not exist yet: the loss ran at weight 1.
        c.train = { ...train, objectness_loss: false, objectness_weight: 0.5, empty_slot_loss: true };
      },
      ['train.objectness_weight=0.7', 'seed=4', 'train.objectness_loss=false', 'train.empty_slot_loss=true'],
    );
    const loaded = loadRunConfig(dir);
    expect(loaded.config.train.objectness_weight).toBe(0);
    expect(loaded.config.train.empty_slot_weight).toBe(1);
    expect(loaded.config.train).not.toHaveProperty('objectness_loss');
    // The overrides compose to the config the run trained with.
    expect(loaded.overrides).toEqual(['train.objectness_weight=0', 'seed=4', 'train.empty_slot_weight=1']);
    expect(composeConfig({ configDir: CONFIG_DIR, overrides: loaded.overrides }).config.train).toEqual(loaded.config.train);
  });

  it('keep a run folder saved with the switch on and its own weight at that weight', () => {
    const dir = oldRunFolder((c) => {
      c.train = { ...c.train, objectness_loss: true, objectness_weight: 0.25, empty_slot_loss: false, empty_slot_weight: 1 };
    }, []);
    const train = loadRunConfig(dir).config.train;
    expect([train.objectness_weight, train.empty_slot_weight]).toEqual([0.25, 0]);
  });

  it("drop the zero-shot inputs a one-shot run's model left out, so that its overrides compose again", () => {
    const dir = oldRunFolder(
      (c) => {
        c.model = { ...c.model, mode: 'one_shot', inputs: ['prev_mask', 'slot_canvas', 'foreground'] };
        c.sweep = { ...c.sweep, variants: [] };
      },
      ['experiment=main', 'model.mode=one_shot'],
      ['experiment=main'],
    );
    const loaded = loadRunConfig(dir);
    expect(loaded.config.model.inputs).toEqual(['prev_mask']);
    expect(loaded.overrides).toEqual(['experiment=main', 'model.mode=one_shot', 'model.inputs=[prev_mask]']);
    expect(composeConfig({ configDir: CONFIG_DIR, overrides: loaded.overrides }).config.model).toEqual(loaded.config.model);
  });

  it("read model.mobile_prior.prior_input as model.mobile_prior.previous_mask, eval.previous_mask's word", () => {
    const dir = oldRunFolder(
      (c) => {
        const { previous_mask: _, ...prior } = c.model!.mobile_prior as Record<string, unknown>;
        c.model = { ...c.model, mobile_prior: { ...prior, prior_input: 'soft' } };
      },
      ['model=mobile_prior', 'model.mobile_prior.prior_input=soft'],
      ['model=mobile_prior'],
    );
    const loaded = loadRunConfig(dir);
    expect(loaded.config.model.mobile_prior!.previous_mask).toBe('soft');
    expect(loaded.overrides).toEqual(['model=mobile_prior', 'model.mobile_prior.previous_mask=soft']);
    expect(composeConfig({ configDir: CONFIG_DIR, overrides: loaded.overrides }).config.model).toEqual(loaded.config.model);
  });

  it('read a baseline run that saved model.hidden and model.objectness (every model option set them then) without them', () => {
    for (const family of ['mobile_prior', 'siammask', 'copy_first']) {
      const dir = oldRunFolder(
        (c) => {
          c.model = { ...c.model, hidden: 8, objectness: false };
        },
        [`model=${family}`, 'model.hidden=16'],
        [`model=${family}`],
      );
      const loaded = loadRunConfig(dir);
      expect(loaded.config.model, family).not.toHaveProperty('hidden');
      expect(loaded.config.model).not.toHaveProperty('objectness');
      expect(loaded.overrides).toEqual([`model=${family}`]);
      expect(composeConfig({ configDir: CONFIG_DIR, overrides: loaded.overrides }).config.model).toEqual(loaded.config.model);
    }
    // An RVOS run keeps them: they are its settings.
    const rvos = loadRunConfig(oldRunFolder(() => undefined, ['model.hidden=16'], ['model.hidden=16']));
    expect(rvos.config.model).toMatchObject({ hidden: 16, objectness: true });
    expect(rvos.overrides).toEqual(['model.hidden=16']);
  });
});
