/**
 * MobileNetV2 (Sandler et al. 2018, alpha 1.0) with the layer names of Keras applications, so the
 * pretrained TF.js layers model inside the nsfwjs package (ImageNet weights up to block_11, see
 * docs/rvos.md) or any converted Keras MobileNetV2 loads by layer name.
 *
 * Feature taps: block_3_expand_relu (stride 4, 144 ch), block_6_expand_relu (8, 192),
 * block_13_expand_relu (16, 576), out_relu (32, 1280). Input is scaled to [-1, 1] (Keras).
 *
 * Porting note: Keras pads stride-2 layers by ((0, 1), (0, 1)) computed for a 224 input; TF
 * 'same' padding used here is identical on even sizes and symmetric (1, 1) on odd ones, keeping
 * every stage at ceil(n / 2). BatchNorm epsilon 1e-3 as in Keras.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm, Conv2D, DepthwiseConv2D, type ForwardContext } from '../nn.js';
import type { ParamStore } from '../params.js';
import { ENCODER_PREFIX, type Encoder, type FeaturePyramid } from './encoder.js';

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

interface InvertedResidual {
  index: number;
  expand: { conv: Conv2D; bn: BatchNorm } | null;
  depthwise: DepthwiseConv2D;
  depthwiseBn: BatchNorm;
  project: Conv2D;
  projectBn: BatchNorm;
  residual: boolean;
}

export class MobileNetV2Encoder implements Encoder {
  readonly name = 'mobilenetv2' as const;
  readonly channels: [number, number, number, number] = [144, 192, 576, 1280];
  readonly convBnPairs = new Map<string, string>();
  private readonly conv1: Conv2D;
  private readonly bnConv1: BatchNorm;
  private readonly blocks: InvertedResidual[] = [];
  private readonly conv1x1: Conv2D;
  private readonly conv1x1Bn: BatchNorm;

  constructor(store: ParamStore, freezeBatchNorm = false) {
    const p = ENCODER_PREFIX;
    const conv = (name: string, inC: number, outC: number, kernel: number, stride: number, bnName: string): Conv2D => {
      this.convBnPairs.set(name, bnName);
      return new Conv2D(store, `${p}${name}`, inC, outC, { kernel, stride, padding: 'same' }, 'encoder');
    };
    const bn = (name: string, c: number): BatchNorm => new BatchNorm(store, `${p}${name}`, c, 'encoder', KERAS_BN_EPSILON, freezeBatchNorm);
    const dw = (name: string, c: number, stride: number): DepthwiseConv2D => {
      this.convBnPairs.set(name, `${name}_BN`);
      return new DepthwiseConv2D(store, `${p}${name}`, c, { kernel: 3, stride, padding: 'same' }, 'encoder');
    };
    this.conv1 = conv('Conv1', 3, 32, 3, 2, 'bn_Conv1');
    this.bnConv1 = bn('bn_Conv1', 32);
    // The first block ("expanded_conv") has expansion 1 and no expand layer.
    this.blocks.push({
      index: 0,
      expand: null,
      depthwise: dw('expanded_conv_depthwise', 32, 1),
      depthwiseBn: bn('expanded_conv_depthwise_BN', 32),
      project: conv('expanded_conv_project', 32, 16, 1, 1, 'expanded_conv_project_BN'),
      projectBn: bn('expanded_conv_project_BN', 16),
      residual: false,
    });
    let inC = 16;
    BLOCKS.forEach(([outC, stride], i) => {
      const id = `block_${i + 1}`;
      const mid = inC * EXPANSION;
      this.blocks.push({
        index: i + 1,
        expand: { conv: conv(`${id}_expand`, inC, mid, 1, 1, `${id}_expand_BN`), bn: bn(`${id}_expand_BN`, mid) },
        depthwise: dw(`${id}_depthwise`, mid, stride),
        depthwiseBn: bn(`${id}_depthwise_BN`, mid),
        project: conv(`${id}_project`, mid, outC, 1, 1, `${id}_project_BN`),
        projectBn: bn(`${id}_project_BN`, outC),
        residual: stride === 1 && inC === outC,
      });
      inC = outC;
    });
    this.conv1x1 = conv('Conv_1', inC, 1280, 1, 1, 'Conv_1_bn');
    this.conv1x1Bn = bn('Conv_1_bn', 1280);
  }

  forward(frame: tf.Tensor4D, ctx: ForwardContext): FeaturePyramid {
    let x: tf.Tensor4D = tf.sub(tf.mul(frame, 2), 1);
    x = tf.relu6(this.bnConv1.apply(this.conv1.apply(x), ctx));
    const feats: tf.Tensor4D[] = [];
    for (const b of this.blocks) {
      let y = x;
      if (b.expand !== null) {
        y = tf.relu6(b.expand.bn.apply(b.expand.conv.apply(y), ctx));
        if (TAP_BLOCKS.includes(b.index)) feats.push(y);
      }
      y = tf.relu6(b.depthwiseBn.apply(b.depthwise.apply(y), ctx));
      y = b.projectBn.apply(b.project.apply(y), ctx);
      x = b.residual ? tf.add(x, y) : y;
    }
    feats.push(tf.relu6(this.conv1x1Bn.apply(this.conv1x1.apply(x), ctx)));
    return feats as FeaturePyramid;
  }

  dispose(): void {}
}
