/**
 * The prior-mask segmentation network of Google's mobile real-time video segmentation (research
 * blog, 2018-03-01; docs/baselines.md): a U-Net / hourglass over RGB + the previous frame's mask.
 * What the blog states and this follows: a large-kernel stem with stride 4; strong downsampling
 * with U-Net skip connections; ResNet bottlenecks squeezed to 16 channels; a few DenseNet layers
 * at the end to sharpen edges (here at stride 2). Widths and depths are ours (not published).
 *
 * Input [N, H, W, 4] (normalised RGB, prior in {0,1}); output logits [N, H, W, 1].
 */
import * as tf from '@tensorflow/tfjs-core';
import { Conv2D, ConvBn, type ForwardContext } from '../../nn.js';
import type { ParamGroup, ParamStore } from '../../params.js';
import type { PreviousMaskFeed } from '../../names.js';

const PREFIX = 'mobile_prior/';

/** Google's mobile prior-mask network (sizes in docs/baselines.md). */
export interface MobilePriorOptions {
  /** Channels of the large-kernel stride-4 stem. */
  stemChannels: number;
  /** Stem kernel size (large, per the blog). */
  stemKernel: number;
  /** Channels of the two downsampling stages (strides 8 and 16). */
  stageChannels: [number, number];
  /** Bottleneck width of every ResNet block (the blog: 16 instead of 64). */
  bottleneck: number;
  /** DenseNet layers at full resolution at the end, and their growth rate. */
  denseLayers: number;
  growth: number;
  /** Resolution of the DenseNet layers and the logits: 1 = the input's, 2 = half (absent = 2, the first version). */
  denseStride?: 1 | 2;
  /**
   * The prior fed back from the model's own output ('binary', absent: thresholded; 'soft': its
   * probabilities): in training stage pred_prev, and at inference as the core's previous-mask feed.
   */
  previousMask?: PreviousMaskFeed;
  /**
   * Training only: in stage gt_prev, each later frame's prior (the previous frame's ground truth)
   * is moved by a random shift of up to this fraction of the frame's short side, per object (0 or
   * absent = the exact previous mask).
   */
  priorShift?: number;
}

/** ResNet bottleneck: 1x1 squeeze to `width`, 3x3, 1x1 back, residual add. */
class Bottleneck {
  private readonly squeeze: ConvBn;
  private readonly conv: ConvBn;
  private readonly expand: ConvBn;

  constructor(store: ParamStore, name: string, channels: number, width: number, group: ParamGroup) {
    const cb = (layer: string, i: number, o: number, k: number) =>
      new ConvBn(store, `${PREFIX}${name}_${layer}_conv`, `${PREFIX}${name}_${layer}_bn`, i, o, { kernel: k }, group);
    this.squeeze = cb('squeeze', channels, width, 1);
    this.conv = cb('conv', width, width, 3);
    this.expand = cb('expand', width, channels, 1);
  }

  apply(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    const y = this.expand.apply(this.conv.apply(this.squeeze.apply(x, ctx, 'relu'), ctx, 'relu'), ctx);
    return tf.relu(tf.add(x, y)) as tf.Tensor4D;
  }
}

export class MobilePriorNet {
  private readonly stem: ConvBn;
  private readonly down1: ConvBn;
  private readonly block1: Bottleneck;
  private readonly down2: ConvBn;
  private readonly block2: Bottleneck[];
  private readonly lateral2: ConvBn;
  private readonly block3: Bottleneck;
  private readonly lateral1: ConvBn;
  private readonly smooth: ConvBn;
  private readonly dense: ConvBn[] = [];
  private readonly head: Conv2D;
  private readonly denseStride: number;

  constructor(store: ParamStore, o: MobilePriorOptions) {
    this.denseStride = o.denseStride ?? 2;
    const cb = (name: string, i: number, out: number, k: number, stride: number, group: ParamGroup) =>
      new ConvBn(store, `${PREFIX}${name}_conv`, `${PREFIX}${name}_bn`, i, out, { kernel: k, stride }, group);
    const [c1, c2] = o.stageChannels;
    // Encoder (hourglass down path).
    this.stem = cb('stem', 4, o.stemChannels, o.stemKernel, 4, 'encoder');
    this.down1 = cb('down1', o.stemChannels, c1, 3, 2, 'encoder');
    this.block1 = new Bottleneck(store, 'block1', c1, o.bottleneck, 'encoder');
    this.down2 = cb('down2', c1, c2, 3, 2, 'encoder');
    this.block2 = [new Bottleneck(store, 'block2a', c2, o.bottleneck, 'encoder'), new Bottleneck(store, 'block2b', c2, o.bottleneck, 'encoder')];
    // Decoder (up path with U-Net skips, added after a 1x1 projection).
    this.lateral2 = cb('up2', c2, c1, 1, 1, 'decoder');
    this.block3 = new Bottleneck(store, 'block3', c1, o.bottleneck, 'decoder');
    this.lateral1 = cb('up1', c1, o.stemChannels, 1, 1, 'decoder');
    this.smooth = cb('smooth', o.stemChannels, o.stemChannels, 3, 1, 'decoder');
    // DenseNet layers: each sees the input and every earlier layer's output.
    let channels = o.stemChannels + 4;
    for (let i = 0; i < o.denseLayers; i++) {
      this.dense.push(cb(`dense${i + 1}`, channels, o.growth, 3, 1, 'decoder'));
      channels += o.growth;
    }
    this.head = new Conv2D(store, `${PREFIX}head`, channels, 1, { kernel: 1, bias: true, init: 'torchDefault' }, 'decoder');
  }

  apply(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    const [, h, w] = x.shape;
    const size = (t: tf.Tensor4D): [number, number] => [t.shape[1], t.shape[2]];
    const s4 = this.stem.apply(x, ctx, 'relu');
    const s8 = this.block1.apply(this.down1.apply(s4, ctx, 'relu'), ctx);
    let s16 = this.down2.apply(s8, ctx, 'relu');
    for (const b of this.block2) s16 = b.apply(s16, ctx);
    const u8 = this.block3.apply(tf.add(tf.image.resizeBilinear(this.lateral2.apply(s16, ctx, 'relu'), size(s8)), s8), ctx);
    const u4 = this.smooth.apply(tf.add(tf.image.resizeBilinear(this.lateral1.apply(u8, ctx, 'relu'), size(s4)), s4), ctx, 'relu');
    // The dense layers run at stride `denseStride` (2 is a CPU saving; at full resolution they cost
    // more than the rest of the network); the logits are upsampled to the input size.
    const stride = this.denseStride;
    const at: [number, number] = [Math.ceil(h / stride), Math.ceil(w / stride)];
    let features: tf.Tensor4D = tf.concat([tf.image.resizeBilinear(u4, at), stride === 1 ? x : tf.image.resizeBilinear(x, at)], 3);
    for (const layer of this.dense) features = tf.concat([features, layer.apply(features, ctx, 'relu')], 3);
    const logits = this.head.apply(features);
    return stride === 1 ? logits : tf.image.resizeBilinear(logits, [h, w]);
  }
}
