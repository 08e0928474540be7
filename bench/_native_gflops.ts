/**
 * GFLOP/s of each convolution kind, the oneDNN kernels against the wasm ones, in one process on
 * shapes from the benchmarked models (bench/speed.ts), plus the oneDNN implementation each uses.
 * A multiply-add counts 2 FLOPs; every kind of a geometry does the same multiply-adds
 * (batch · out pixels · kernel taps · in channels per group · out channels). Not a bench by
 * itself (bench/index.ts skips files starting with "_").
 */
import * as tf from '@tensorflow/tfjs-core';
import { nativeAddon, setNativeKernelsEnabled } from '../src/backend/native/index.js';
import { convParams } from '../src/backend/native/kernels.js';

interface Geometry {
  label: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number;
  depthwise: boolean;
}

const GEOMETRIES: Geometry[] = [
  { label: 'resnet18 stem 7x7/2 3→64, 2x128x224', x: [2, 128, 224, 3], filter: [7, 7, 3, 64], strides: 2, depthwise: false },
  { label: 'issue shape 3x3 128→128, 2x64x112', x: [2, 64, 112, 128], filter: [3, 3, 128, 128], strides: 1, depthwise: false },
  { label: 'resnet18 layer3 3x3 256→256, 2x8x14', x: [2, 8, 14, 256], filter: [3, 3, 256, 256], strides: 1, depthwise: false },
  { label: 'ConvLSTM 3x3 384→512, 2x16x28', x: [2, 16, 28, 384], filter: [3, 3, 384, 512], strides: 1, depthwise: false },
  { label: 'light 3x3 32→32, 4x32x32', x: [4, 32, 32, 32], filter: [3, 3, 32, 32], strides: 1, depthwise: false },
  { label: 'depthwise 3x3 x96, 2x56x56', x: [2, 56, 56, 96], filter: [3, 3, 96, 1], strides: 1, depthwise: true },
  { label: 'depthwise 3x3/2 x144, 2x56x56', x: [2, 56, 56, 144], filter: [3, 3, 144, 1], strides: 2, depthwise: true },
];

type Kind = 'forward' | 'backwardData' | 'backwardWeights';

function runKind(g: Geometry, kind: Kind, t: { x: tf.Tensor; filter: tf.Tensor; dy: tf.Tensor }): tf.Tensor {
  const attrs = { strides: g.strides, pad: 'same', dilations: 1, dataFormat: 'NHWC' } as unknown as tf.NamedAttrMap;
  const names = g.depthwise
    ? { forward: tf.DepthwiseConv2dNative, backwardData: tf.DepthwiseConv2dNativeBackpropInput, backwardWeights: tf.DepthwiseConv2dNativeBackpropFilter }
    : { forward: tf.Conv2D, backwardData: tf.Conv2DBackpropInput, backwardWeights: tf.Conv2DBackpropFilter };
  if (kind === 'forward') return tf.engine().runKernel(names.forward, { x: t.x, filter: t.filter }, attrs) as tf.Tensor;
  if (kind === 'backwardData') return tf.engine().runKernel(names.backwardData, { dy: t.dy, filter: t.filter }, { ...attrs, inputShape: g.x }) as tf.Tensor;
  return tf.engine().runKernel(names.backwardWeights, { x: t.x, dy: t.dy }, { ...attrs, filterShape: g.filter }) as tf.Tensor;
}

/** Best ms per call over `repeats` rounds of a few calls. */
function bestMs(fn: () => void, repeats: number): number {
  fn();
  let best = Infinity;
  for (let r = 0; r < Math.max(3, repeats); r++) {
    const calls = 3;
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    best = Math.min(best, (performance.now() - t0) / calls);
  }
  return best;
}

export function convThroughput(repeats: number): string {
  const addon = nativeAddon().addon;
  const lines = [
    `GFLOP/s per convolution kind (best of ${Math.max(3, repeats)}x3 calls; native = oneDNN with ${addon?.threads() ?? '–'} threads, wasm = XNNPACK-based kernels, 1 thread)`,
  ];
  const head = (a: string, b: string, c: string, d: string, e: string) => `  ${a.padEnd(40)}${b.padEnd(16)}${c.padStart(9)}${d.padStart(9)}${e.padStart(8)}  `;
  lines.push(head('geometry', 'kind', 'native', 'wasm', 'x') + 'oneDNN implementation');
  for (const g of GEOMETRIES) {
    const info = tf.backend_util.computeConv2DInfo(g.x, g.filter, g.strides, 1, 'same', undefined, g.depthwise);
    const flops =
      2 * info.batchSize * info.outHeight * info.outWidth * info.filterHeight * info.filterWidth * (g.depthwise ? 1 : info.inChannels) * info.outChannels;
    const t = { x: tf.randomUniform(g.x), filter: tf.randomUniform(g.filter, -0.1, 0.1), dy: tf.randomUniform(info.outShape) };
    for (const kind of ['forward', 'backwardData', 'backwardWeights'] as const) {
      const gflops = (native: boolean): number => {
        const previous = setNativeKernelsEnabled(native);
        const ms = bestMs(() => runKind(g, kind, t).dispose(), repeats);
        setNativeKernelsEnabled(previous);
        return flops / ms / 1e6;
      };
      const n = addon === undefined ? NaN : gflops(true);
      const w = gflops(false);
      const params = convParams(kind, info, g.depthwise);
      const impl = addon !== undefined && params !== undefined ? addon.implementation(params) : '–';
      lines.push(head(g.label, kind, n.toFixed(1), w.toFixed(1), `${(n / w).toFixed(2)}x`) + impl);
    }
    tf.dispose([t.x, t.filter, t.dy]);
  }
  return lines.join('\n');
}
