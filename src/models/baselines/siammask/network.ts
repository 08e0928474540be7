/**
 * SiamMask's network (Wang et al., CVPR 2019; docs/baselines.md) scaled to CPU sizes: one
 * backbone shared by the template and the search crop, adjust convolutions, a depthwise
 * cross-correlation, three 1x1 heads on every response position (score; box; a mask encoded as
 * a maskSize² vector), and a SharpMask-style refine module that turns the chosen position's mask
 * vector into a sharper mask with the backbone's stride-2 features and the crop's pixels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Conv2D, ConvBn, type ForwardContext } from '../../nn.js';
import type { ParamGroup, ParamStore } from '../../params.js';
import { normalizeRgb } from '../common.js';
import { RESPONSE_STRIDE } from './geometry.js';

const PREFIX = 'siammask/';

/** SiamMask scaled to CPU sizes (docs/baselines.md). */
export interface SiamMaskOptions {
  /** Backbone width (the paper: 256 after its adjust layer). */
  channels: number;
  /** Template crop side in pixels (paper: 127); the search crop is twice as large (paper: 255). */
  templateSize: number;
  /** Side of the per-position mask vector (paper: 63). */
  maskSize: number;
  /** Cosine-window weight on the score map at inference (SiamFC/SiamMask's window influence). */
  windowInfluence: number;
  /** Loss weights of the three heads. */
  scoreWeight: number;
  boxWeight: number;
  maskWeight: number;
}

/**
 * Depthwise cross-correlation: each item's kernel [n, hk, wk, C] slides over its own search map
 * [n, hs, ws, C], channel by channel ('valid'), giving [n, hs − hk + 1, ws − wk + 1, C]. Items
 * become channels of one depthwise convolution.
 */
export function depthwiseXCorr(search: tf.Tensor4D, kernel: tf.Tensor4D): tf.Tensor4D {
  const [n, hs, ws, c] = search.shape;
  const [nk, hk, wk, ck] = kernel.shape;
  if (n !== nk || c !== ck) throw new Error(`depthwiseXCorr: search [${search.shape}] and kernel [${kernel.shape}] must agree on items and channels`);
  return tf.tidy(() => {
    const x = tf.reshape(tf.transpose(search, [1, 2, 0, 3]), [1, hs, ws, n * c]) as tf.Tensor4D;
    const f = tf.reshape(tf.transpose(kernel, [1, 2, 0, 3]), [hk, wk, n * c, 1]) as tf.Tensor4D;
    const y = tf.depthwiseConv2d(x, f, 1, 'valid');
    const [ho, wo] = [hs - hk + 1, ws - wk + 1];
    return tf.transpose(tf.reshape(y, [ho, wo, n, c]), [2, 0, 1, 3]) as tf.Tensor4D;
  });
}

/** BatchNorm moving-statistic updates must run inside the tidy that made the batch statistics. */
function runUpdates(ctx: ForwardContext): void {
  for (const update of ctx.updates.splice(0)) update();
}

export interface SearchOutput {
  /** [N, R, R, 1] score logits. */
  score: tf.Tensor4D;
  /** [N, R, R, 4] box offsets (dx, dy relative to the window centre / window size; log w, log h relative to the window size). */
  box: tf.Tensor4D;
  /** [N, R, R, m²] per-position mask logits. */
  mask: tf.Tensor4D;
  /** [N, 2T/2, 2T/2, C/2] stride-2 backbone features of the search crop (for the refine module). */
  features2: tf.Tensor4D;
  /** [N, 2T, 2T, 3] the normalised search crop. */
  pixels: tf.Tensor4D;
}

class Head {
  private readonly hidden: ConvBn;
  private readonly out: Conv2D;

  constructor(store: ParamStore, name: string, channels: number, outChannels: number) {
    this.hidden = new ConvBn(store, `${PREFIX}${name}_hidden_conv`, `${PREFIX}${name}_hidden_bn`, channels, channels, { kernel: 1 }, 'decoder');
    this.out = new Conv2D(store, `${PREFIX}${name}_out`, channels, outChannels, { kernel: 1, bias: true, init: 'torchDefault' }, 'decoder');
  }

  apply(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    return this.out.apply(this.hidden.apply(x, ctx, 'relu'));
  }
}

export class SiamMaskNet {
  private readonly conv1: ConvBn;
  private readonly conv2: ConvBn;
  private readonly conv3: ConvBn;
  private readonly conv4: ConvBn;
  private readonly kernelAdjust: ConvBn;
  private readonly searchAdjust: ConvBn;
  private readonly scoreHead: Head;
  private readonly boxHead: Head;
  private readonly maskHead: Head;
  private readonly refine1: ConvBn;
  private readonly refine2: ConvBn;
  private readonly refineOut: Conv2D;

  constructor(
    store: ParamStore,
    readonly o: SiamMaskOptions,
  ) {
    const c = o.channels;
    const half = c / 2;
    const cb = (name: string, i: number, out: number, k: number, stride: number, group: ParamGroup, padding: 'symmetric' | 'valid' = 'symmetric') =>
      new ConvBn(store, `${PREFIX}${name}_conv`, `${PREFIX}${name}_bn`, i, out, { kernel: k, stride, padding }, group);
    this.conv1 = cb('conv1', 3, half, 3, 2, 'encoder');
    this.conv2 = cb('conv2', half, c, 3, 2, 'encoder');
    this.conv3 = cb('conv3', c, c, 3, 1, 'encoder');
    this.conv4 = cb('conv4', c, c, 3, 1, 'encoder');
    this.kernelAdjust = cb('kernel_adjust', c, c, 3, 1, 'decoder', 'valid');
    this.searchAdjust = cb('search_adjust', c, c, 3, 1, 'decoder', 'valid');
    this.scoreHead = new Head(store, 'score', c, 1);
    this.boxHead = new Head(store, 'box', c, 4);
    this.maskHead = new Head(store, 'mask', c, o.maskSize * o.maskSize);
    this.refine1 = cb('refine1', 1 + half, 16, 3, 1, 'decoder');
    this.refine2 = cb('refine2', 16 + 3, 8, 3, 1, 'decoder');
    this.refineOut = new Conv2D(store, `${PREFIX}refine_out`, 8, 1, { kernel: 3, bias: true, init: 'torchDefault' }, 'decoder');
  }

  private backbone(pixels: tf.Tensor4D, ctx: ForwardContext): { f2: tf.Tensor4D; f4: tf.Tensor4D } {
    const f2 = this.conv1.apply(pixels, ctx, 'relu');
    const f4 = this.conv4.apply(this.conv3.apply(this.conv2.apply(f2, ctx, 'relu'), ctx, 'relu'), ctx, 'relu');
    return { f2, f4 };
  }

  /** Template crops [N, T, T, 3] RGB in [0, 1] → correlation kernels [N, T/4 − 2, T/4 − 2, C]. */
  templateKernel(template: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    return tf.tidy(() => {
      const kernel = this.kernelAdjust.apply(this.backbone(normalizeRgb(template), ctx).f4, ctx, 'relu');
      runUpdates(ctx);
      return kernel;
    });
  }

  /** Search crops [N, 2T, 2T, 3] RGB in [0, 1] with their items' kernels → heads on the response map. */
  search(crop: tf.Tensor4D, kernel: tf.Tensor4D, ctx: ForwardContext): SearchOutput {
    return tf.tidy(() => {
      const pixels = normalizeRgb(crop);
      const { f2, f4 } = this.backbone(pixels, ctx);
      const response = depthwiseXCorr(this.searchAdjust.apply(f4, ctx, 'relu'), kernel);
      const out: SearchOutput = {
        score: this.scoreHead.apply(response, ctx),
        box: this.boxHead.apply(response, ctx),
        mask: this.maskHead.apply(response, ctx),
        features2: f2,
        pixels,
      };
      runUpdates(ctx);
      return out as unknown as tf.TensorContainer;
    }) as unknown as SearchOutput;
  }

  /**
   * The refine module at one response position per item: the position's mask vector, the
   * stride-2 features and the pixels of its window → [N, T, T, 1] mask logits over the window.
   */
  refine(out: SearchOutput, positions: [number, number][], ctx: ForwardContext): tf.Tensor4D {
    const t = this.o.templateSize;
    const m = this.o.maskSize;
    const r = out.score.shape[1];
    return tf.tidy(() => {
      const vectors: tf.Tensor4D[] = [];
      const feats: tf.Tensor4D[] = [];
      const pix: tf.Tensor4D[] = [];
      positions.forEach(([i, j], n) => {
        if (i < 0 || i >= r || j < 0 || j >= r) throw new Error(`SiamMaskNet.refine: position (${i}, ${j}) outside the ${r}x${r} response`);
        vectors.push(tf.reshape(tf.slice(out.mask, [n, i, j, 0], [1, 1, 1, m * m]), [1, m, m, 1]));
        const s2 = RESPONSE_STRIDE / 2;
        feats.push(tf.slice(out.features2, [n, i * s2, j * s2, 0], [1, t / 2, t / 2, -1]));
        pix.push(tf.slice(out.pixels, [n, i * RESPONSE_STRIDE, j * RESPONSE_STRIDE, 0], [1, t, t, 3]));
      });
      const coarse = tf.concat(vectors, 0);
      const coarseHalf = m === t / 2 ? coarse : tf.image.resizeBilinear(coarse, [t / 2, t / 2]);
      const a = this.refine1.apply(tf.concat([coarseHalf, tf.concat(feats, 0)], 3), ctx, 'relu');
      const b = this.refine2.apply(tf.concat([tf.image.resizeBilinear(a, [t, t]), tf.concat(pix, 0)], 3), ctx, 'relu');
      runUpdates(ctx);
      // Residual on the upsampled coarse mask: the refine module sharpens the mask branch's guess.
      return tf.add(this.refineOut.apply(b), tf.image.resizeBilinear(coarse, [t, t])) as tf.Tensor4D;
    });
  }
}
