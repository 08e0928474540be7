/** Builds the backbone an EncoderConfig names. */
import { ConfigError } from '../../utils/errors.js';
import type { ParamStore } from '../params.js';
import { ENCODER_NAMES, type Encoder, type EncoderName } from './encoder.js';
import { LightEncoder } from './light.js';
import { MobileNetV2Encoder } from './mobilenet_v2.js';
import { ResNetEncoder } from './resnet.js';

export * from './encoder.js';

export function createEncoder(store: ParamStore, name: EncoderName, freezeBatchNorm = false, motionInput = false, widthMultiplier = 1): Encoder {
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
  switch (name) {
    case 'resnet18':
    case 'resnet34':
    case 'resnet50':
    case 'resnet101':
      return new ResNetEncoder(store, name, freezeBatchNorm);
    case 'light':
      return new LightEncoder(store, freezeBatchNorm, motionInput, widthMultiplier);
    case 'mobilenetv2':
      return new MobileNetV2Encoder(store, freezeBatchNorm);
    default:
      throw new ConfigError(`model.encoder.name: unknown encoder '${String(name)}'; use one of ${ENCODER_NAMES.join(' | ')}`);
  }
}
