/**
 * Seeded weight initialisers for this project's tfjs-layers layers, registered for serialisation
 * so that a layer's getConfig names the initialiser that really made its weights.
 *
 * TorchDefaultUniform is PyTorch's default Conv2d init (kaiming_uniform with a = √5, which gives
 * U(±1/√fan_in) for the weight and the same bound for the bias; RVOS's ConvLSTM gates use it),
 * drawn from the project's Rng: the same seed gives the same values in any process, unlike the
 * tfjs initialisers, which draw from Math.random unless seeded per call.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Initializer } from '@tensorflow/tfjs-layers/dist/initializers.js';
import { Rng } from '../utils/rng.js';

export interface TorchDefaultUniformArgs {
  /** Seed of the generator (32-bit unsigned). */
  seed: number;
  /** Fan-in of the weight the bound comes from; default: from the shape ([kh, kw, in, out] → kh·kw·in). A bias passes its kernel's. */
  fanIn?: number;
}

export class TorchDefaultUniform extends Initializer {
  /** @nocollapse */
  static className = 'RvosTorchDefaultUniform';
  readonly seed: number;
  readonly fanIn: number | undefined;

  constructor(args: TorchDefaultUniformArgs) {
    super();
    if (!Number.isInteger(args.seed)) throw new Error(`TorchDefaultUniform: seed must be an integer, got ${args.seed}`);
    this.seed = args.seed >>> 0;
    this.fanIn = args.fanIn;
  }

  apply(shape: number[], dtype?: tf.DataType): tf.Tensor {
    if (dtype !== undefined && dtype !== 'float32') throw new Error(`TorchDefaultUniform: only float32, got ${dtype}`);
    const fanIn = this.fanIn ?? shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const bound = 1 / Math.sqrt(fanIn);
    const rng = new Rng(this.seed);
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = rng.uniform(-bound, bound);
    return tf.tensor(values, shape, 'float32');
  }

  override getConfig(): tf.serialization.ConfigDict {
    return this.fanIn === undefined ? { seed: this.seed } : { seed: this.seed, fanIn: this.fanIn };
  }
}
tf.serialization.registerClass(TorchDefaultUniform);
