// The model options of a run come from its config sections by the schema (src/config/options.ts):
// every key of a section reaches the options, the main job's options are the ones it always had.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { composeConfig, EncoderConfigSchema, optionsOf, RvosModelConfigSchema } from '../../src/config/index.js';
import { modelConfigOf } from '../../src/experiments/run/run.js';
import { baselineConfigOf, trainsOnPriorMasks } from '../../src/experiments/run/model_family.js';
import { BASELINES } from '../../src/models/baselines/index.js';
import { camelKey } from '../../src/utils/camel_case.js';

const compose = (overrides: string[]) => composeConfig({ configDir: 'configs', overrides }).config;

/** Every key of a nested record, dotted (`matching.embeddingDim`). */
function keysOf(value: object, prefix = ''): string[] {
  return Object.entries(value).flatMap(([k, v]) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? keysOf(v as object, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

/** The camelCased dotted keys a schema's sections hold (nested sections by their keys). */
function schemaKeys(shape: Record<string, z.ZodType>, prefix = ''): string[] {
  return Object.entries(shape).flatMap(([k, field]) => {
    let inner: z.ZodType = field;
    while (inner instanceof z.ZodDefault || inner instanceof z.ZodNullable) inner = inner.unwrap() as z.ZodType;
    return inner instanceof z.ZodObject ? schemaKeys(inner.shape, `${prefix}${camelKey(k)}.`) : [`${prefix}${camelKey(k)}`];
  });
}

describe('model options derived from the config', () => {
  it("the main job's model options, both modes, are the explicit objects its runs were trained with", () => {
    const shared = {
      encoder: { name: 'light', pretrained: null, freezeBatchNorm: false },
      hidden: 32,
      slots: 5,
      recurrence: 'ST',
      objectness: true,
      motionInput: true,
      firstFrameMotion: 'next',
      motionAlignment: 'none',
      seed: 123,
      matching: { embeddingDim: 100, localRadius: 'auto', maxReference: 1024 },
    };
    expect(modelConfigOf(compose(['experiment=main', 'model.mode=zero_shot']))).toStrictEqual({
      ...shared,
      recurrence: 'S',
      mode: 'zero_shot',
      inputs: ['prev_mask', 'foreground'],
    });
    expect(modelConfigOf(compose(['experiment=main', 'model.mode=one_shot', 'model.inputs=[prev_mask]', 'model.recurrence=ST']))).toStrictEqual({
      ...shared,
      mode: 'one_shot',
      inputs: ['prev_mask'],
    });
  });

  it('every RVOS key of the model section reaches the RVOS options, under its camelCase name', () => {
    const options = modelConfigOf(compose([]));
    const { encoder, seed, ...model } = options;
    expect(seed).toBe(123);
    expect(encoder.name).toBe('light');
    expect(keysOf(model).sort()).toEqual(schemaKeys(RvosModelConfigSchema.shape).sort());
    expect(schemaKeys(RvosModelConfigSchema.shape)).toContain('matching.embeddingDim');
  });

  it('encoder options name every key that differs from its default, and only those', () => {
    const changed = modelConfigOf(compose(['encoder=mobilenetv2', 'encoder.freeze=2', 'encoder.output_stride=16'])).encoder;
    expect(changed).toEqual({ name: 'mobilenetv2', pretrained: changed.pretrained, freezeBatchNorm: changed.freezeBatchNorm, freeze: 2, outputStride: 16 });
    const widened = modelConfigOf(compose(['encoder.width_multiplier=0.5'])).encoder;
    expect(widened.widthMultiplier).toBe(0.5);
    // With every key away from its default, every key of the section is there.
    const all = { name: 'light', pretrained: 'w.json', freeze_batch_norm: true, width_multiplier: 2, freeze: 'all', output_stride: 8 } as const;
    expect(Object.keys(optionsOf(EncoderConfigSchema, all, { omitDefaults: true })).sort()).toEqual(schemaKeys(EncoderConfigSchema.shape).sort());
  });

  it("every key of a baseline family's section reaches its options under camelCase(family)", () => {
    for (const family of BASELINES) {
      const config = baselineConfigOf(compose([`model=${family.name}`]));
      expect(config.family).toBe(family.name);
      expect(config.slots).toBe(10);
      if (family.settings === null) {
        expect(Object.keys(config).sort()).toEqual(['family', 'seed', 'slots']);
        continue;
      }
      const options = (config as unknown as Record<string, object>)[camelKey(family.name)]!;
      expect(keysOf(options).sort(), family.name).toEqual(schemaKeys(family.settings.shape).sort());
    }
    expect(baselineConfigOf(compose(['model=mobile_prior', 'model.mobile_prior.stage_channels=[8,24]']))).toMatchObject({
      mobilePrior: { stageChannels: [8, 24], previousMask: 'binary' },
    });
  });

  it('a key added to a schema reaches the options with no mapping written for it', () => {
    const schema = z.strictObject({
      new_setting: z.number(),
      nested_part: z.strictObject({ inner_key: z.string() }).default({ inner_key: 'x' }),
      free_map: z.record(z.string(), z.number()),
    });
    expect(optionsOf(schema, { new_setting: 3, nested_part: { inner_key: 'y' }, free_map: { some_name: 1 } })).toStrictEqual({
      newSetting: 3,
      nestedPart: { innerKey: 'y' },
      // A record's keys are data (names), not settings: kept as written.
      freeMap: { some_name: 1 },
    });
  });

  it("a family's own training choice comes from its definition: mobile_prior always trains on synthesised priors", () => {
    expect(trainsOnPriorMasks(compose(['model=mobile_prior']))).toBe(true);
    expect(trainsOnPriorMasks(compose(['model=siammask']))).toBe(false);
    expect(trainsOnPriorMasks(compose(['model.mode=one_shot']))).toBe(false);
    expect(trainsOnPriorMasks(compose(['model.mode=one_shot', 'data.prior_mask=true']))).toBe(true);
  });
});
