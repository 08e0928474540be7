import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { ConvLSTMCell, convLstmCell } from '../../src/layers/conv_lstm_cell.js';
import { TorchDefaultUniform } from '../../src/layers/initializers.js';

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** Deterministic, non-uniform small values (no two alike, mixed signs). */
function wave(n: number, scale: number, phase = 0): number[] {
  return Array.from({ length: n }, (_, i) => scale * Math.sin(1.3 * i + phase + 0.4));
}

/**
 * Independent reference: plain loops over NHWC, 'same' zero padding, gate order i, f, o, g,
 * kernel rows in the order of `parts`.
 */
function referenceStep(
  parts: { data: number[]; channels: number }[],
  cS: number[] | null,
  kernel: number[],
  bias: number[],
  h: number,
  w: number,
  k: number,
  f: number,
): { h: number[]; c: number[] } {
  const cin = parts.reduce((a, p) => a + p.channels, 0);
  const input = (y: number, x: number, ch: number): number => {
    if (y < 0 || x < 0 || y >= h || x >= w) return 0;
    let c = ch;
    for (const p of parts) {
      if (c < p.channels) return p.data[(y * w + x) * p.channels + c]!;
      c -= p.channels;
    }
    throw new Error('channel out of range');
  };
  const outH: number[] = [];
  const outC: number[] = [];
  const r = (k - 1) / 2;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const z = new Array<number>(4 * f).fill(0).map((_, o) => bias[o]!);
      for (let ky = 0; ky < k; ky++) {
        for (let kx = 0; kx < k; kx++) {
          for (let ci = 0; ci < cin; ci++) {
            const v = input(y + ky - r, x + kx - r, ci);
            for (let o = 0; o < 4 * f; o++) z[o] += v * kernel[((ky * k + kx) * cin + ci) * 4 * f + o]!;
          }
        }
      }
      for (let j = 0; j < f; j++) {
        const i = sigmoid(z[j]!),
          fg = sigmoid(z[f + j]!),
          o = sigmoid(z[2 * f + j]!),
          g = Math.tanh(z[3 * f + j]!);
        const c = (cS === null ? 0 : fg * cS[(y * w + x) * f + j]!) + i * g;
        outC.push(c);
        outH.push(o * Math.tanh(c));
      }
    }
  }
  return { h: outH, c: outC };
}

/** A cell used through build/step (not apply) is not reference-counted by tfjs-layers: its weights are freed by whoever built it. */
function disposeWeights(cell: ConvLSTMCell): void {
  for (const w of cell.weights) w.dispose();
}

function setWeights(cell: ConvLSTMCell, kernel: number[], bias: number[]): void {
  cell.setWeights([tf.tensor(kernel, cell.kernel!.shape as number[]), tf.tensor1d(bias)]);
}

describe('ConvLSTMCell', () => {
  it('matches a hand computation with non-uniform weights (1x1, one filter, all inputs)', () => {
    const cell = new ConvLSTMCell({ filters: 1, kernelSize: 1, maskChannel: true });
    cell.build([1, 1, 1, 1]);
    // Kernel rows in gate-input order [x, mask, h_spatial, h_temporal]; columns i, f, o, g.
    const kernel = [
      0.1,
      -0.2,
      0.3,
      0.4, // x
      0.5,
      0.1,
      -0.3,
      0.2, // mask
      -0.1,
      0.2,
      0.05,
      -0.4, // h_spatial
      0.3,
      -0.25,
      0.15,
      0.1, // h_temporal
    ];
    setWeights(cell, kernel, [0.01, 0.02, -0.03, 0.04]);
    const t = (v: number): tf.Tensor4D => tf.tensor4d([v], [1, 1, 1, 1]);
    const [h, c] = cell.call([t(0.7), t(1), t(-0.5), t(0.8), t(0.6)], {}) as tf.Tensor[];
    // x = 0.7, mask = 1, h_s = -0.5, c_s = 0.8, h_t = 0.6, summed by hand:
    const zi = 0.07 + 0.5 + 0.05 + 0.18 + 0.01; // 0.81
    const zf = -0.14 + 0.1 - 0.1 - 0.15 + 0.02; // -0.27
    const zo = 0.21 - 0.3 - 0.025 + 0.09 - 0.03; // -0.055
    const zg = 0.28 + 0.2 + 0.2 + 0.06 + 0.04; // 0.78
    const cExp = sigmoid(zf) * 0.8 + sigmoid(zi) * Math.tanh(zg); // 0.432907·0.8 + 0.692109·0.652705
    const hExp = sigmoid(zo) * Math.tanh(cExp); // 0.486253·tanh(0.798069)
    expect(c!.dataSync()[0]).toBeCloseTo(cExp, 5);
    expect(h!.dataSync()[0]).toBeCloseTo(hExp, 5);
    expect(cExp).toBeCloseTo(0.798069, 5);
    expect(hExp).toBeCloseTo(0.32236, 4);
    tf.dispose([h!, c!]);
    disposeWeights(cell);
  });

  it('matches a loop reference for a 3x3 kernel on a 3x4 map with batch 2', () => {
    const [b, h, w, cin, f] = [2, 3, 4, 2, 3];
    const cell = convLstmCell({ filters: f, maskChannel: true });
    cell.build([b, h, w, cin]);
    const ctot = cin + 1 + 2 * f;
    const kernel = wave(9 * ctot * 4 * f, 0.3);
    const bias = wave(4 * f, 0.1, 2);
    setWeights(cell, kernel, bias);
    const per = (ch: number, phase: number): number[] => wave(b * h * w * ch, 0.8, phase);
    const [x, m, hs, cs, ht] = [per(cin, 1), per(1, 2).map((v) => Math.abs(v)), per(f, 3), per(f, 4), per(f, 5)];
    const T = (d: number[], ch: number): tf.Tensor4D => tf.tensor4d(d, [b, h, w, ch]);
    const [hOut, cOut] = cell.call([T(x, cin), T(m, 1), T(hs, f), T(cs, f), T(ht, f)], {}) as tf.Tensor[];
    const hv = hOut!.dataSync();
    const cv = cOut!.dataSync();
    for (let n = 0; n < b; n++) {
      const sl = (d: number[], ch: number): number[] => d.slice(n * h * w * ch, (n + 1) * h * w * ch);
      const ref = referenceStep(
        [
          { data: sl(x, cin), channels: cin },
          { data: sl(m, 1), channels: 1 },
          { data: sl(hs, f), channels: f },
          { data: sl(ht, f), channels: f },
        ],
        sl(cs, f),
        kernel,
        bias,
        h,
        w,
        3,
        f,
      );
      ref.h.forEach((v, i) => expect(hv[n * h * w * f + i]).toBeCloseTo(v, 5));
      ref.c.forEach((v, i) => expect(cv[n * h * w * f + i]).toBeCloseTo(v, 5));
    }
    tf.dispose([hOut!, cOut!]);
    disposeWeights(cell);
  });

  it('treats missing states as zeros and splits shared input exactly', () => {
    const cell = new ConvLSTMCell({ filters: 4 });
    cell.build([1, 5, 6, 6]);
    setWeights(cell, wave(9 * (6 + 8) * 16, 0.2), wave(16, 0.1, 1));
    const x = tf.tensor4d(wave(5 * 6 * 6, 1), [1, 5, 6, 6]);
    const zeros = tf.zeros([1, 5, 6, 4]) as tf.Tensor4D;
    const hT = tf.tensor4d(wave(5 * 6 * 4, 0.5, 7), [1, 5, 6, 4]);
    const implicit = cell.step(x, { temporal: hT });
    const [hExplicit] = cell.call([x, zeros, zeros, hT], {}) as tf.Tensor[];
    expect(Array.from(implicit.h.dataSync())).toEqual(Array.from(hExplicit!.dataSync()));
    // The first 4 input channels shared (prepared once), the other 2 per call.
    const [sharedPart, rest] = tf.split(x, [4, 2], 3) as tf.Tensor4D[];
    const prepared = cell.prepareShared(sharedPart!);
    const split = cell.step(rest!, { temporal: hT }, prepared);
    const a = split.h.dataSync();
    implicit.h.dataSync().forEach((v, i) => expect(a[i]).toBeCloseTo(v, 5));
    expect(split.h.dataSync().some((v) => v !== 0)).toBe(true);
    tf.dispose([x, zeros, hT, implicit.h, implicit.c, hExplicit!, sharedPart!, rest!, prepared.gates, prepared.restKernel, split.h, split.c]);
    disposeWeights(cell);
  });

  it('leaves out missing trailing states: same outputs and weight gradients as convolving zeros', () => {
    const cell = new ConvLSTMCell({ filters: 3, maskChannel: true });
    cell.build([2, 4, 5, 4]);
    setWeights(cell, wave(9 * (4 + 1 + 6) * 12, 0.2), wave(12, 0.1, 2));
    const x = tf.tensor4d(wave(2 * 4 * 5 * 4, 1), [2, 4, 5, 4]);
    const mask = tf.tensor4d(wave(2 * 4 * 5, 0.5, 3), [2, 4, 5, 1]);
    const hS = tf.tensor4d(wave(2 * 4 * 5 * 3, 0.7, 4), [2, 4, 5, 3]);
    const cS = tf.tensor4d(wave(2 * 4 * 5 * 3, 0.6, 5), [2, 4, 5, 3]);
    const zeros = tf.zeros([2, 4, 5, 3]) as tf.Tensor4D;
    const weights = [cell.kernel!.read() as tf.Variable, cell.bias!.read() as tf.Variable];
    // Loss over h and c of one step; `shared` splits the first 2 input channels off as in the decoder.
    const lossOf = (inputs: Parameters<ConvLSTMCell['step']>[1], shared: boolean) => () => {
      if (!shared) {
        const { h, c } = cell.step(x, inputs);
        return tf.add(tf.sum(tf.mul(h, h)), tf.sum(c)) as tf.Scalar;
      }
      const [sharedPart, rest] = tf.split(x, [2, 2], 3) as tf.Tensor4D[];
      const { h, c } = cell.step(rest!, inputs, cell.prepareShared(sharedPart!));
      return tf.add(tf.sum(tf.mul(h, h)), tf.sum(c)) as tf.Scalar;
    };
    const before = tf.memory().numTensors;
    for (const shared of [false, true]) {
      // First slot of the first frame (no state at all), and a later slot of the first frame.
      for (const [implicit, explicit] of [
        [{ mask }, { mask, spatial: { h: zeros, c: zeros }, temporal: zeros }],
        [
          { mask, spatial: { h: hS, c: cS } },
          { mask, spatial: { h: hS, c: cS }, temporal: zeros },
        ],
      ] as const) {
        const a = tf.variableGrads(lossOf(implicit, shared), weights);
        const b = tf.variableGrads(lossOf(explicit, shared), weights);
        expect(a.value.dataSync()[0]).toBeCloseTo(b.value.dataSync()[0]!, 4);
        for (const w of weights) {
          const ga = a.grads[w.name]!.dataSync();
          const gb = b.grads[w.name]!.dataSync();
          gb.forEach((v, i) => expect(ga[i]).toBeCloseTo(v, 4));
        }
        tf.dispose([a.value, b.value, ...Object.values(a.grads), ...Object.values(b.grads)]);
      }
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, mask, hS, cS, zeros]);
    disposeWeights(cell);
  });

  it('builds only the kernel rows its recurrence uses', () => {
    const shapes = (args: { spatialState: boolean; temporalState: boolean; maskChannel: boolean }): number[] => {
      const cell = new ConvLSTMCell({ filters: 8, ...args });
      cell.build([null, null, null, 5]);
      const s = cell.kernel!.shape as number[];
      disposeWeights(cell);
      return s;
    };
    expect(shapes({ spatialState: true, temporalState: true, maskChannel: true })).toEqual([3, 3, 5 + 1 + 16, 32]);
    expect(shapes({ spatialState: true, temporalState: false, maskChannel: false })).toEqual([3, 3, 5 + 8, 32]);
    expect(shapes({ spatialState: false, temporalState: true, maskChannel: false })).toEqual([3, 3, 5 + 8, 32]);
  });

  it('validates its arguments and the number of inputs', () => {
    expect(() => new ConvLSTMCell({ filters: 0 })).toThrow(/filters/);
    expect(() => new ConvLSTMCell({ filters: 4, kernelSize: 2 })).toThrow(/odd/);
    const cell = new ConvLSTMCell({ filters: 2, spatialState: false });
    cell.build([1, 2, 2, 1]);
    const x = tf.zeros([1, 2, 2, 1]);
    expect(() => cell.call([x], {})).toThrow(/expected 2 inputs \[x, hTemporal\]/);
    x.dispose();
    disposeWeights(cell);
  });

  it('round-trips getConfig and computes output shapes', () => {
    const cell = new ConvLSTMCell({ filters: 6, kernelSize: [5, 3], maskChannel: true, temporalState: false, name: 'cell_a' });
    const config = cell.getConfig();
    expect(config).toMatchObject({
      filters: 6,
      kernelSize: [5, 3],
      maskChannel: true,
      spatialState: true,
      temporalState: false,
      biasInitializer: { className: 'Zeros' },
      name: 'cell_a',
    });
    expect((config.kernelInitializer as { className: string }).className).toBe('VarianceScaling'); // glorotUniform, as tfjs serialises it
    const again = ConvLSTMCell.fromConfig(ConvLSTMCell, config) as ConvLSTMCell;
    expect(again.getConfig()).toEqual(config);
    expect(ConvLSTMCell.className).toBe('RvosConvLSTMCell');
    expect(
      cell.computeOutputShape([
        [2, 7, 9, 3],
        [2, 7, 9, 1],
        [2, 7, 9, 6],
        [2, 7, 9, 6],
      ]),
    ).toEqual([
      [2, 7, 9, 6],
      [2, 7, 9, 6],
    ]);
  });

  it('survives a layers-model toJSON → modelFromJSON round trip with identical predictions', async () => {
    const x = tfl.input({ shape: [4, 5, 3] });
    const hs = tfl.input({ shape: [4, 5, 2] });
    const cs = tfl.input({ shape: [4, 5, 2] });
    const ht = tfl.input({ shape: [4, 5, 2] });
    const cell = new ConvLSTMCell({ filters: 2, kernelInitializer: 'glorotUniform', name: 'rvos_cell' });
    const outs = cell.apply([x, hs, cs, ht]) as tfl.SymbolicTensor[];
    const model = tfl.model({ inputs: [x, hs, cs, ht], outputs: outs });
    const json = model.toJSON(undefined, false) as tf.io.ModelJSON['modelTopology'];
    const copy = await tfl.models.modelFromJSON({ modelTopology: json as never });
    copy.setWeights(model.getWeights());
    const feeds = [
      [1, 4, 5, 3],
      [1, 4, 5, 2],
      [1, 4, 5, 2],
      [1, 4, 5, 2],
    ].map((s, i) =>
      tf.tensor(
        wave(
          s.reduce((a, b) => a * b),
          0.7,
          i,
        ),
        s,
      ),
    );
    const a = model.predict(feeds) as tf.Tensor[];
    const b = copy.predict(feeds) as tf.Tensor[];
    expect(copy.layers.some((l) => l instanceof ConvLSTMCell)).toBe(true);
    expect(Array.from(b[0]!.dataSync())).toEqual(Array.from(a[0]!.dataSync()));
    expect(Array.from(b[1]!.dataSync())).toEqual(Array.from(a[1]!.dataSync()));
    tf.dispose([...feeds, ...a, ...b]);
    model.dispose();
    copy.dispose();
  });

  it('getConfig names the seeded initialiser that made the weights: rebuilding from it gives the same weights', () => {
    const init = new TorchDefaultUniform({ seed: 1234 });
    const cell = new ConvLSTMCell({
      filters: 2,
      maskChannel: true,
      kernelInitializer: init,
      biasInitializer: new TorchDefaultUniform({ seed: 99, fanIn: 9 * 8 }),
      name: 'seeded',
    });
    cell.build([null, null, null, 3]);
    const config = cell.getConfig();
    expect(config.kernelInitializer).toEqual({ className: 'RvosTorchDefaultUniform', config: { seed: 1234 } });
    expect(config.biasInitializer).toEqual({ className: 'RvosTorchDefaultUniform', config: { seed: 99, fanIn: 72 } });
    const again = ConvLSTMCell.fromConfig(ConvLSTMCell, config) as ConvLSTMCell;
    again.build([null, null, null, 3]);
    const [k1, b1] = cell.getWeights();
    const [k2, b2] = again.getWeights();
    expect(Array.from(k2!.dataSync())).toEqual(Array.from(k1!.dataSync()));
    expect(Array.from(b2!.dataSync())).toEqual(Array.from(b1!.dataSync()));
    // U(±1/√fan_in): kernel fan-in 3·3·(3 + 1 + 2 + 2) = 72; values fill the range and stay inside it.
    const bound = 1 / Math.sqrt(72);
    const values = Array.from(k1!.dataSync());
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    // Another seed, other weights.
    const other = new ConvLSTMCell({ filters: 2, maskChannel: true, kernelInitializer: new TorchDefaultUniform({ seed: 1235 }) });
    other.build([null, null, null, 3]);
    expect(Array.from(other.getWeights()[0]!.dataSync())).not.toEqual(values);
    [cell, again, other].forEach(disposeWeights);
  });

  it('leaks no tensors per step', () => {
    const cell = new ConvLSTMCell({ filters: 3, maskChannel: true });
    cell.build([1, 4, 4, 2]);
    const x = tf.ones([1, 4, 4, 2]) as tf.Tensor4D;
    const m = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
    const first = cell.step(x, { mask: m });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const s = cell.step(x, { mask: m, spatial: first, temporal: first.h });
      tf.dispose([s.h, s.c]);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, m, first.h, first.c]);
    disposeWeights(cell);
  });
});
