/**
 * ResNet-18/34/50/101 backbones (He et al. 2016), "v1.5" as in torchvision: the stride of a
 * downsampling bottleneck sits on its 3x3 conv. Features are the outputs of stages conv2..conv5
 * (torchvision layer1..layer4) at strides 4/8/16/32; conv1 alone is unused (RVOS `vision.py`).
 *
 * Layer names follow Keras applications (conv1_conv, conv2_block1_1_conv, conv2_block1_0_conv for
 * the projection shortcut, …_bn), so a converted Keras ResNet50 loads by name. Keras convs carry a
 * bias that torchvision's do not; the loader folds it into the following BatchNorm.
 *
 * Porting notes: every stride-2 op uses PyTorch's symmetric padding (7x7 pad 3, 3x3 pad 1,
 * max-pool 3x3 pad 1; TF 'same' would pad only the bottom/right on even sizes), so each stage
 * is ceil(n / 2) of the previous one for any n (240x427 → 60x107, 30x54, 15x27, 8x14). Max-pool
 * padding is -inf in both frameworks. BatchNorm epsilon 1e-5 (PyTorch).
 */
import * as tf from '@tensorflow/tfjs-core';
import { normalizeInput } from '../../layers/normalize_input.js';
import { ConvBn, type ForwardContext } from '../nn.js';
import type { ParamStore } from '../params.js';
import { ENCODER_PREFIX, IMAGENET_MEAN, IMAGENET_STD, type Encoder, type EncoderName, type FeaturePyramid } from './encoder.js';

type ResNetName = Extract<EncoderName, 'resnet18' | 'resnet34' | 'resnet50' | 'resnet101'>;

/** Blocks per stage and block type, from the ResNet paper (Table 1). */
const ARCHS: Record<ResNetName, { blocks: [number, number, number, number]; bottleneck: boolean }> = {
  resnet18: { blocks: [2, 2, 2, 2], bottleneck: false },
  resnet34: { blocks: [3, 4, 6, 3], bottleneck: false },
  resnet50: { blocks: [3, 4, 6, 3], bottleneck: true },
  resnet101: { blocks: [3, 4, 23, 3], bottleneck: true },
};
const STAGE_WIDTHS = [64, 128, 256, 512] as const;
const BOTTLENECK_EXPANSION = 4;

interface Block {
  convs: ConvBn[];
  shortcut: ConvBn | null;
}

export class ResNetEncoder implements Encoder {
  readonly channels: [number, number, number, number];
  readonly convBnPairs = new Map<string, string>();
  private readonly stem: ConvBn;
  private readonly stages: Block[][] = [];
  private readonly mean: tf.Tensor1D;
  private readonly std: tf.Tensor1D;

  constructor(
    store: ParamStore,
    readonly name: ResNetName,
    freezeBatchNorm = false,
  ) {
    const arch = ARCHS[name];
    const p = ENCODER_PREFIX;
    const convBn = (layer: string, inC: number, outC: number, kernel: number, stride: number): ConvBn => {
      this.convBnPairs.set(`${layer}_conv`, `${layer}_bn`);
      return new ConvBn(store, `${p}${layer}_conv`, `${p}${layer}_bn`, inC, outC, { kernel, stride, padding: 'symmetric' }, 'encoder', 1e-5, freezeBatchNorm);
    };
    this.stem = convBn('conv1', 3, 64, 7, 2);
    let inC = 64;
    const expansion = arch.bottleneck ? BOTTLENECK_EXPANSION : 1;
    for (let s = 0; s < 4; s++) {
      const width = STAGE_WIDTHS[s]!;
      const outC = width * expansion;
      const blocks: Block[] = [];
      for (let b = 0; b < arch.blocks[s]!; b++) {
        const stride = s > 0 && b === 0 ? 2 : 1;
        const id = `conv${s + 2}_block${b + 1}`;
        const convs = arch.bottleneck
          ? [convBn(`${id}_1`, inC, width, 1, 1), convBn(`${id}_2`, width, width, 3, stride), convBn(`${id}_3`, width, outC, 1, 1)]
          : [convBn(`${id}_1`, inC, width, 3, stride), convBn(`${id}_2`, width, width, 3, 1)];
        const shortcut = stride !== 1 || inC !== outC ? convBn(`${id}_0`, inC, outC, 1, stride) : null;
        blocks.push({ convs, shortcut });
        inC = outC;
      }
      this.stages.push(blocks);
    }
    this.channels = STAGE_WIDTHS.map((w) => w * expansion) as [number, number, number, number];
    this.mean = tf.keep(tf.tensor1d([...IMAGENET_MEAN]));
    this.std = tf.keep(tf.tensor1d([...IMAGENET_STD]));
  }

  forward(frame: tf.Tensor4D, ctx: ForwardContext): FeaturePyramid {
    let x = normalizeInput(frame, this.mean, this.std, null);
    x = this.stem.apply(x, ctx, 'relu');
    // TF.js pads max-pools with -inf, like PyTorch.
    x = tf.maxPool(x, 3, 2, 1);
    const feats: tf.Tensor4D[] = [];
    for (const blocks of this.stages) {
      for (const block of blocks) x = this.block(x, block, ctx);
      feats.push(x);
    }
    return feats as FeaturePyramid;
  }

  private block(x: tf.Tensor4D, block: Block, ctx: ForwardContext): tf.Tensor4D {
    const identity = block.shortcut === null ? x : block.shortcut.apply(x, ctx);
    let y = x;
    block.convs.forEach((unit, i) => {
      y = unit.apply(y, ctx, i < block.convs.length - 1 ? 'relu' : undefined);
    });
    return tf.relu(tf.add(y, identity)) as tf.Tensor4D;
  }

  /** The normalisation constants live outside the ParamStore; release them with the model. */
  dispose(): void {
    this.mean.dispose();
    this.std.dispose();
  }
}
