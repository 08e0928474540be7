/** Builds the backbone an EncoderConfig names. */
import { ConfigError } from '../../utils/errors.js';
import type { ParamStore } from '../params.js';
import { ENCODER_NAMES, type Encoder, type EncoderFreeze, type EncoderName, type OutputStride } from './encoder.js';
import { FrozenEncoder } from './frozen.js';
import { LightEncoder } from './light.js';
import { MobileNetV2Encoder } from './mobilenet_v2.js';
import { ResNetEncoder } from './resnet.js';

export * from './encoder.js';

/** Options of `createEncoder` that only some backbones take. */
export interface EncoderOptions {
  /** Default 'none'; a number (trainable last units) for mobilenetv2 only. */
  freeze?: EncoderFreeze;
  /** Default 32; 16 or 8 truncate mobilenetv2 (src/models/encoders/mobilenet_v2.ts). */
  outputStride?: OutputStride;
}

export function createEncoder(
  store: ParamStore,
  name: EncoderName,
  freezeBatchNorm = false,
  motionInput = false,
  widthMultiplier = 1,
  options: EncoderOptions = {},
): Encoder {
  if (widthMultiplier !== 1 && name !== 'light') {
    throw new ConfigError(
      `encoder.width_multiplier: only encoder=light can be widened (got encoder '${name}', whose widths are fixed by its pretrained weights); use encoder=light or encoder.width_multiplier=1`,
    );
  }
  if (motionInput && name !== 'light') {
    throw new ConfigError(
      `model.motion_input: only encoder=light takes the frame difference as input (got encoder '${name}', whose stem has pretrained RGB weights); use encoder=light or model.motion_input=false`,
    );
  }
  const freeze = options.freeze ?? 'none';
  const outputStride = options.outputStride ?? 32;
  if (name !== 'mobilenetv2') {
    if (outputStride !== 32)
      throw new ConfigError(`encoder.output_stride: only encoder=mobilenetv2 can be truncated (got encoder '${name}'); use encoder.output_stride=32`);
    if (typeof freeze === 'number') {
      throw new ConfigError(
        `encoder.freeze: a number of trainable last units needs encoder=mobilenetv2 (got encoder '${name}'); use encoder.freeze=all or none`,
      );
    }
  }
  let encoder: Encoder;
  switch (name) {
    case 'resnet18':
    case 'resnet34':
    case 'resnet50':
    case 'resnet101':
      encoder = new ResNetEncoder(store, name, freezeBatchNorm);
      break;
    case 'light':
      encoder = new LightEncoder(store, freezeBatchNorm, motionInput, widthMultiplier);
      break;
    case 'mobilenetv2':
      return new MobileNetV2Encoder(store, { freezeBatchNorm, freeze, outputStride });
    default:
      throw new ConfigError(`model.encoder.name: unknown encoder '${String(name)}'; use one of ${ENCODER_NAMES.join(' | ')}`);
  }
  return freeze === 'all' ? new FrozenEncoder(encoder, store) : encoder;
}
