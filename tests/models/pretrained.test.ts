import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, describe, expect, it } from 'vitest';
import { RVOSModel } from '../../src/models/index.js';
import { forwardContext } from '../../src/models/nn.js';
import { nsfwjsMobileNetV2 } from '../../src/models/pretrained.js';
import { maxAbsDiff, pattern, smallConfig } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Writes a TF.js layers model folder (model.json + one shard) holding `weights` by name. */
async function writeLayersModel(weights: tf.NamedTensorMap): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-pretrained-'));
  dirs.push(dir);
  const { data, specs } = await tf.io.encodeWeights(weights);
  const layers = [...new Set(Object.keys(weights).map((n) => n.slice(0, n.lastIndexOf('/'))))];
  const modelJson = {
    format: 'layers-model',
    modelTopology: { class_name: 'Model', config: { name: 'written_by_test', layers: layers.map((name) => ({ class_name: 'Layer', config: { name } })) } },
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: specs }],
  };
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(modelJson));
  fs.writeFileSync(path.join(dir, 'group1-shard1of1.bin'), new Uint8Array(data));
  return dir;
}

/** The encoder weights of `model` under their file (layer/weight) names. */
function encoderWeights(model: RVOSModel): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  for (const [name, v] of model.namedVariables()) if (name.startsWith('encoder/')) out[name.slice('encoder/'.length)] = v;
  return out;
}

describe('pretrained encoder weights from a TF.js layers model folder', () => {
  it('loads by layer name, ignores extra layers, folds conv biases into the next BatchNorm', async () => {
    const source = await RVOSModel.create(smallConfig({ seed: 1 }));
    const bias = tf.tensor1d(Array.from({ length: 16 }, (_, i) => 0.01 * (i - 8)));
    const extra = tf.ones([4, 2]);
    const dir = await writeLayersModel({ ...encoderWeights(source), 'stem_conv/bias': bias, 'classifier/kernel': extra });
    const model = await RVOSModel.create(smallConfig({ seed: 2, encoder: { name: 'light', pretrained: dir } }));
    const report = model.pretrainedReport!;
    expect(report.ignored).toEqual(['classifier/kernel']);
    expect(report.folded).toEqual(['stem_conv/bias']);
    expect(report.loaded.length).toBe(Object.keys(encoderWeights(source)).length);
    const ours = model.namedVariables();
    for (const [name, v] of source.namedVariables()) {
      if (name === 'encoder/stem_bn/moving_mean') {
        const want = tf.sub(v, bias);
        expect(maxAbsDiff(ours.get(name)!, want)).toBeLessThan(1e-7);
        want.dispose();
      } else if (name.startsWith('encoder/')) {
        expect(Array.from(ours.get(name)!.dataSync()), name).toEqual(Array.from(v.dataSync()));
      } else if (name.endsWith('/kernel')) {
        // The decoder keeps its own (seed 2) initialisation.
        expect(maxAbsDiff(ours.get(name)!, v), name).toBeGreaterThan(0);
      }
    }
    tf.dispose([bias, extra]);
    source.dispose();
    model.dispose();
  });

  it('names the weight and both shapes on a mismatch, and lists missing weights', async () => {
    const source = await RVOSModel.create(smallConfig());
    const weights = encoderWeights(source);
    const wrong = tf.zeros([3, 3, 3, 8]);
    const dir = await writeLayersModel({ ...weights, 'stem_conv/kernel': wrong });
    await expect(RVOSModel.create(smallConfig({ encoder: { name: 'light', pretrained: dir } }))).rejects.toThrow(
      /'stem_conv\/kernel' has shape \[3,3,3,8\] but encoder 'light' needs \[3,3,3,16\]/,
    );
    const partial = { ...weights };
    delete partial['stage4_pointwise_conv/kernel'];
    const dir2 = await writeLayersModel(partial);
    await expect(RVOSModel.create(smallConfig({ encoder: { name: 'light', pretrained: dir2 } }))).rejects.toThrow(
      /1 of \d+ 'light' encoder weights are not in the file, e.g. stage4_pointwise_conv\/kernel/,
    );
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-pretrained-'));
    dirs.push(empty);
    await expect(RVOSModel.create(smallConfig({ encoder: { name: 'light', pretrained: empty } }))).rejects.toThrow(/no model.json/);
    fs.rmSync(path.join(dir, 'group1-shard1of1.bin'));
    await expect(RVOSModel.create(smallConfig({ encoder: { name: 'light', pretrained: dir } }))).rejects.toThrow(/group1-shard1of1.bin.*missing/);
    wrong.dispose();
    source.dispose();
  });
});

let hasNsfwjs = true;
try {
  const specifier: string = 'nsfwjs/models/mobilenet_v2';
  await import(specifier);
} catch {
  hasNsfwjs = false;
}

describe.skipIf(!hasNsfwjs)('built-in pretrained MobileNetV2 (nsfwjs)', () => {
  it('gives the same features as the Keras model it comes from', async () => {
    const artifacts = await nsfwjsMobileNetV2();
    const keras = await tfl.loadLayersModel(
      tf.io.fromMemory({ modelTopology: artifacts.modelTopology as never, weightSpecs: artifacts.weightSpecs, weightData: artifacts.weightData }),
    );
    const taps = ['block_3_expand_relu', 'block_6_expand_relu', 'block_13_expand_relu', 'out_relu'];
    const features = tfl.model({ inputs: keras.inputs, outputs: taps.map((n) => keras.getLayer(n).output as tfl.SymbolicTensor) });
    const model = await RVOSModel.create(smallConfig({ encoder: { name: 'mobilenetv2', pretrained: 'nsfwjs' } }));
    expect(model.pretrainedReport!.ignored.every((n) => n.startsWith('dense_'))).toBe(true);
    const x01 = pattern([1, 224, 224, 3]) as tf.Tensor4D;
    const theirs = tf.tidy(() => features.predict(tf.sub(tf.mul(x01, 2), 1)) as tf.Tensor[]);
    const ours = tf.tidy(() => model.encoder.forward(x01, forwardContext(false)));
    theirs.forEach((t, i) => {
      expect(ours[i]!.shape).toEqual(t.shape);
      const scale = tf.tidy(() => tf.max(tf.abs(t)).dataSync()[0]!);
      expect(scale).toBeGreaterThan(0);
      expect(maxAbsDiff(ours[i]!, t) / scale, taps[i]).toBeLessThan(1e-4);
    });
    tf.dispose([x01, ...theirs, ...ours]);
    keras.dispose();
    model.dispose();
  });
});
