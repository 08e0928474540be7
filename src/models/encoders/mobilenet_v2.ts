/**
 * MobileNetV2 (Sandler et al. 2018, alpha 1.0) with the layer names of Keras applications, so the
 * pretrained TF.js layers model inside the nsfwjs package (ImageNet weights up to block_11, see
 * docs/rvos.md) or any converted Keras MobileNetV2 loads by layer name.
 *
 * Feature taps: block_3_expand_relu (stride 4, 144 ch), block_6_expand_relu (8, 192),
 * block_13_expand_relu (16, 576), out_relu (32, 1280). Input is scaled to [-1, 1] (Keras).
 *
 * Truncation (`outputStride` 16 or 8): the network stops at the stride-16 tap (block_13's expand,
 * skipping blocks 13-16 and Conv_1) or the stride-8 tap (block_6's expand), and the deeper pyramid
 * levels repeat that tap, as DeepLab's output stride keeps the deepest features at a finer stride:
 * on 96-160 px frames a stride-32 map is 3x3 to 5x5. The taps it keeps are the full network's.
 *
 * Freezing (`freeze`): the first units (Conv1, expanded_conv, block_1 … block_16, Conv_1, in
 * order) are frozen: their weights are not trainable, their BatchNorms run in inference mode, and
 * they run off the gradient tape (nn.ts `untaped`), so training does no backward pass and keeps no
 * activations for them. 'all' freezes every unit the network computes, a number N leaves the last N
 * computed units trainable.
 *
 * Porting note: Keras pads stride-2 layers by ((0, 1), (0, 1)) computed for a 224 input; TF
 * 'same' padding used here is identical on even sizes and symmetric (1, 1) on odd ones, keeping
 * every stage at ceil(n / 2). BatchNorm epsilon 1e-3 as in Keras.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError } from '../../utils/errors.js';
import { BatchNorm, Conv2D, DepthwiseConv2D, forwardContext, untaped, type ForwardContext } from '../nn.js';
import type { ParamStore } from '../params.js';
import { ENCODER_PREFIX, type Encoder, type EncoderFreeze, type FeaturePyramid, type OutputStride } from './encoder.js';

/** Keras MobileNetV2 BatchNorm epsilon. */
const KERAS_BN_EPSILON = 1e-3;
/** (output channels, stride) of block_1 … block_16; expansion 6 (MobileNetV2 paper, Table 2). */
const BLOCKS: [number, number][] = [
  [24, 2],
  [24, 1],
  [32, 2],
  [32, 1],
  [32, 1],
  [64, 2],
  [64, 1],
  [64, 1],
  [64, 1],
  [96, 1],
  [96, 1],
  [96, 1],
  [160, 2],
  [160, 1],
  [160, 1],
  [320, 1],
];
const EXPANSION = 6;
/** Blocks whose expand_relu output is a feature tap (strides 4, 8, 16). */
const TAP_BLOCKS = [3, 6, 13];

interface Unit {
  /** Keras layer-name prefix of the unit ('Conv1', 'expanded_conv', 'block_3', 'Conv_1'). */
  name: string;
  /** Stable names of the unit's variables. */
  variables: string[];
  run(x: tf.Tensor4D, ctx: ForwardContext, taps: tf.Tensor4D[]): tf.Tensor4D;
}

/** The stride-16 and stride-8 stops: the block whose expand output is the last tap computed. */
const STOP_BLOCK: Record<16 | 8, number> = { 16: 13, 8: 6 };

export interface MobileNetV2Options {
  freezeBatchNorm?: boolean;
  /** Default 'none' (everything trains). */
  freeze?: EncoderFreeze;
  /** Default 32 (the whole network). */
  outputStride?: OutputStride;
}

export class MobileNetV2Encoder implements Encoder {
  readonly name = 'mobilenetv2' as const;
  readonly channels: [number, number, number, number];
  readonly convBnPairs = new Map<string, string>();
  /** The units the network computes, input first. */
  private readonly units: Unit[] = [];
  /** How many leading units are frozen. */
  readonly frozenUnits: number;
  private readonly outputStride: OutputStride;

  constructor(store: ParamStore, options: MobileNetV2Options = {}) {
    const freezeBatchNorm = options.freezeBatchNorm ?? false;
    this.outputStride = options.outputStride ?? 32;
    const p = ENCODER_PREFIX;
    const stopBlock = this.outputStride === 32 ? null : STOP_BLOCK[this.outputStride];
    let unitVars: string[] = [];
    const conv = (name: string, inC: number, outC: number, kernel: number, stride: number, bnName: string): Conv2D => {
      this.convBnPairs.set(name, bnName);
      unitVars.push(`${p}${name}/kernel`);
      return new Conv2D(store, `${p}${name}`, inC, outC, { kernel, stride, padding: 'same' }, 'encoder');
    };
    const bn = (name: string, c: number): BatchNorm => {
      unitVars.push(...['gamma', 'beta', 'moving_mean', 'moving_variance'].map((w) => `${p}${name}/${w}`));
      return new BatchNorm(store, `${p}${name}`, c, 'encoder', KERAS_BN_EPSILON, freezeBatchNorm);
    };
    const dw = (name: string, c: number, stride: number): DepthwiseConv2D => {
      this.convBnPairs.set(name, `${name}_BN`);
      unitVars.push(`${p}${name}/depthwise_kernel`);
      return new DepthwiseConv2D(store, `${p}${name}`, c, { kernel: 3, stride, padding: 'same' }, 'encoder');
    };
    const addUnit = (name: string, run: Unit['run']): void => {
      this.units.push({ name, variables: unitVars, run });
      unitVars = [];
    };

    const conv1 = conv('Conv1', 3, 32, 3, 2, 'bn_Conv1');
    const bnConv1 = bn('bn_Conv1', 32);
    addUnit('Conv1', (x, ctx) => tf.relu6(bnConv1.apply(conv1.apply(tf.sub(tf.mul(x, 2), 1)), ctx)));
    // The first block ("expanded_conv") has expansion 1 and no expand layer.
    const first = {
      depthwise: dw('expanded_conv_depthwise', 32, 1),
      depthwiseBn: bn('expanded_conv_depthwise_BN', 32),
      project: conv('expanded_conv_project', 32, 16, 1, 1, 'expanded_conv_project_BN'),
      projectBn: bn('expanded_conv_project_BN', 16),
    };
    addUnit('expanded_conv', (x, ctx) => first.projectBn.apply(first.project.apply(tf.relu6(first.depthwiseBn.apply(first.depthwise.apply(x), ctx))), ctx));
    let inC = 16;
    let tapChannels: number[] = [];
    for (let i = 0; i < BLOCKS.length; i++) {
      const [outC, stride] = BLOCKS[i]!;
      const index = i + 1;
      const id = `block_${index}`;
      const mid = inC * EXPANSION;
      const expand = conv(`${id}_expand`, inC, mid, 1, 1, `${id}_expand_BN`);
      const expandBn = bn(`${id}_expand_BN`, mid);
      const tap = TAP_BLOCKS.includes(index);
      if (tap) tapChannels.push(mid);
      if (index === stopBlock) {
        // The last unit: only the expand layer, whose output is the deepest tap.
        addUnit(id, (x, ctx, taps) => {
          const y = tf.relu6(expandBn.apply(expand.apply(x), ctx));
          taps.push(y);
          return y;
        });
        break;
      }
      const depthwise = dw(`${id}_depthwise`, mid, stride);
      const depthwiseBn = bn(`${id}_depthwise_BN`, mid);
      const project = conv(`${id}_project`, mid, outC, 1, 1, `${id}_project_BN`);
      const projectBn = bn(`${id}_project_BN`, outC);
      const residual = stride === 1 && inC === outC;
      addUnit(id, (x, ctx, taps) => {
        let y = tf.relu6(expandBn.apply(expand.apply(x), ctx));
        if (tap) taps.push(y);
        y = tf.relu6(depthwiseBn.apply(depthwise.apply(y), ctx));
        y = projectBn.apply(project.apply(y), ctx);
        return residual ? tf.add(x, y) : y;
      });
      inC = outC;
    }
    if (stopBlock === null) {
      const conv1x1 = conv('Conv_1', inC, 1280, 1, 1, 'Conv_1_bn');
      const conv1x1Bn = bn('Conv_1_bn', 1280);
      addUnit('Conv_1', (x, ctx, taps) => {
        const y = tf.relu6(conv1x1Bn.apply(conv1x1.apply(x), ctx));
        taps.push(y);
        return y;
      });
      tapChannels.push(1280);
    }
    // Levels deeper than the output stride repeat the deepest tap.
    while (tapChannels.length < 4) tapChannels = [...tapChannels, tapChannels[tapChannels.length - 1]!];
    this.channels = tapChannels as [number, number, number, number];

    const freeze = options.freeze ?? 'none';
    const n = this.units.length;
    if (typeof freeze === 'number' && (!Number.isInteger(freeze) || freeze < 0 || freeze > n)) {
      throw new ConfigError(
        `encoder.freeze: the number of trainable last units must be an integer from 0 to ${n} (this mobilenetv2 at output stride ${this.outputStride} computes ${n} units: ${this.units[0]!.name} … ${this.units[n - 1]!.name}), got ${freeze}`,
      );
    }
    this.frozenUnits = freeze === 'all' ? n : freeze === 'none' ? 0 : n - freeze;
    for (const unit of this.units.slice(0, this.frozenUnits)) for (const v of unit.variables) store.freeze(v);
  }

  /** Names of the units the network computes, input first (what `freeze: N` counts from the end). */
  unitNames(): string[] {
    return this.units.map((u) => u.name);
  }

  forward(frame: tf.Tensor4D, ctx: ForwardContext): FeaturePyramid {
    let x = frame;
    let taps: tf.Tensor4D[] = [];
    if (this.frozenUnits > 0) {
      // Frozen units: inference-mode BatchNorm, off the tape; their output and taps are constants.
      const frozen = this.units.slice(0, this.frozenUnits);
      // With every unit frozen the last output is the deepest tap already.
      const all = this.frozenUnits === this.units.length;
      const outs = untaped(
        (input) => {
          const inner: tf.Tensor4D[] = [];
          const inference = forwardContext(false);
          let y = input as tf.Tensor4D;
          for (const u of frozen) y = u.run(y, inference, inner);
          return all ? inner : [...inner, y];
        },
        [frame],
      ) as tf.Tensor4D[];
      x = all ? outs[outs.length - 1]! : outs.pop()!;
      taps = outs;
    }
    for (const u of this.units.slice(this.frozenUnits)) x = u.run(x, ctx, taps);
    while (taps.length < 4) taps.push(taps[taps.length - 1]!);
    return taps as FeaturePyramid;
  }

  dispose(): void {}
}
