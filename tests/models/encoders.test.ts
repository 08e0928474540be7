import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { run as modelCommand } from '../../src/cli/commands/model.js';
import { parameterCounts, RVOSModel, type EncoderName } from '../../src/models/index.js';
import { forwardContext } from '../../src/models/nn.js';
import { pattern, smallConfig } from './helpers.js';

describe('encoders', () => {
  const channels: Record<EncoderName, number[]> = {
    light: [24, 32, 48, 64],
    resnet18: [64, 128, 256, 512],
    resnet34: [64, 128, 256, 512],
    resnet50: [256, 512, 1024, 2048],
    resnet101: [256, 512, 1024, 2048],
    mobilenetv2: [144, 192, 576, 1280],
  };
  for (const name of ['light', 'resnet18', 'resnet50', 'mobilenetv2'] as EncoderName[]) {
    it(`${name}: strides 4/8/16/32 with ceil sizes on odd inputs (61x95)`, async () => {
      const model = await RVOSModel.create(smallConfig({ encoder: { name, pretrained: null } }));
      const x = pattern([1, 61, 95, 3]) as tf.Tensor4D;
      const feats = model.encoder.forward(x, forwardContext(false));
      expect(feats.map((f) => f.shape)).toEqual([4, 8, 16, 32].map((s, i) => [1, Math.ceil(61 / s), Math.ceil(95 / s), channels[name][i]]));
      tf.dispose([x, ...feats]);
      model.dispose();
    });
  }

  it('light with encoder.width_multiplier=2: every width doubled (multiples of 8), more parameters, loads back from its saved config', async () => {
    const wide = await RVOSModel.create(smallConfig({ encoder: { name: 'light', pretrained: null, widthMultiplier: 2 } }));
    const x = pattern([1, 32, 32, 3]) as tf.Tensor4D;
    const feats = wide.encoder.forward(x, forwardContext(false));
    expect(feats.map((f) => f.shape[3])).toEqual([48, 64, 96, 128]);
    expect(wide.namedVariables().get('encoder/stem_conv/kernel')!.shape).toEqual([3, 3, 3, 32]);
    const narrow = await RVOSModel.create(smallConfig());
    const encoderParams = (m: RVOSModel) => parameterCounts(m).find((c) => c.part === 'encoder')!.params;
    expect(encoderParams(wide)).toBeGreaterThan(3 * encoderParams(narrow));
    // 1.5 rounds each width to the nearest multiple of 8: 24 → 40 (36), 32 → 48, 48 → 72, 64 → 96.
    const mid = await RVOSModel.create(smallConfig({ encoder: { name: 'light', pretrained: null, widthMultiplier: 1.5 } }));
    expect(mid.encoder.channels).toEqual([40, 48, 72, 96]);
    tf.dispose([x, ...feats]);
    [wide, narrow, mid].forEach((m) => m.dispose());
  });

  it('encoder.width_multiplier on a pretrained-width encoder, or not positive, is a config error naming the key', async () => {
    await expect(RVOSModel.create(smallConfig({ encoder: { name: 'resnet18', pretrained: null, widthMultiplier: 2 } }))).rejects.toThrow(
      /encoder\.width_multiplier: only encoder=light/,
    );
    await expect(RVOSModel.create(smallConfig({ encoder: { name: 'light', pretrained: null, widthMultiplier: 0 } }))).rejects.toThrow(
      /encoder\.width_multiplier: must be a positive number/,
    );
  });

  it("ResNet parameter counts equal torchvision's (without the classifier)", async () => {
    // torchvision resnet*.parameters() totals minus fc (512·1000 + 1000 or 2048·1000 + 1000).
    const torchvision: Partial<Record<EncoderName, number>> = {
      resnet18: 11_689_512 - 513_000,
      resnet34: 21_797_672 - 513_000,
      resnet50: 25_557_032 - 2_049_000,
    };
    for (const [name, want] of Object.entries(torchvision)) {
      const model = await RVOSModel.create(smallConfig({ encoder: { name: name as EncoderName, pretrained: null } }), { skipInit: true });
      expect(parameterCounts(model).find((c) => c.part === 'encoder')!.params, name).toBe(want);
      model.dispose();
    }
  });

  it('RVOS sizes for ResNet-101 / hidden 128: encoder 42.5 M, skip convs ≈ 3.9 M, decoder ≈ 2.9 M (rvos model summary)', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
    try {
      expect(await modelCommand(['summary', '--encoder', 'resnet101', '--hidden', '128', '--json'])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    const parts = JSON.parse(lines.join('\n')).parts as { part: string; params: number }[];
    const get = (p: string): number => parts.find((c) => c.part === p)!.params;
    expect(get('encoder')).toBe(44_549_160 - 2_049_000); // torchvision resnet101 minus fc
    expect(get('skip')).toBe(3_908_640);
    expect(get('decoder')).toBe(2_931_793);
    expect(Math.abs(get('skip') - 3.9e6)).toBeLessThan(0.05e6);
    expect(Math.abs(get('decoder') - 2.9e6)).toBeLessThan(0.05e6);
    expect(parts.some((c) => c.part === 'objectness')).toBe(false);
  });
});
