/**
 * The spatio-temporal ConvLSTM cell of RVOS (Ventura et al., CVPR 2019), as a TF.js layer.
 *
 * One step of one decoder level for one object slot. The gate convolution sees
 *   concat[input, previous-mask channel?, h_spatial?, h_temporal?]  →  4·filters channels,
 * split in the order i, f, o, g (RVOS `clstm.py`), and
 *   c = σ(f)·c_spatial + σ(i)·tanh(g),   h = σ(o)·tanh(c).
 * h_spatial/c_spatial come from the previous slot of the same frame; h_temporal from the same slot
 * of the previous frame. The cell state flows only along the slot chain; only h crosses frames.
 * Which of the optional inputs exist is fixed by the config (`maskChannel`, `spatialState`,
 * `temporalState`); a configured state that is missing at run time is zeros (first slot, first
 * frame), computed without convolving those zeros where they are the last gate inputs. Nothing is
 * learned for initial states. The gate nonlinearity is one fused op (./lstm_gates.ts).
 *
 * The cell keeps no per-call state: callers (src/models/decoder.ts) carry h and c explicitly. It
 * owns its weights (made by its initialisers at build; getConfig serialises those initialisers).
 * Used through `step` rather than `apply`, it is never reference-counted by tfjs-layers: whoever
 * built it disposes its weights (the RVOS model's ParamStore does).
 *
 * Porting notes (vs the PyTorch reference):
 * - NHWC; kernel [kh, kw, Cin_total, 4·filters] (TF layout) over the concatenated gate input.
 * - Gate order i, f, o, g as in RVOS (Keras' ConvLSTM2D uses i, f, c, o).
 * - Padding is 'same' with odd kernels, equal to PyTorch's symmetric padding = k // 2 at stride 1.
 * - A recurrence mode that never passes a state (S never passes h_temporal, T_no_spatial never
 *   passes the spatial state) builds the cell without those kernel rows instead of convolving zeros: the
 *   outputs are identical and every weight the cell owns receives gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LayerArgs } from '@tensorflow/tfjs-layers/dist/engine/topology.js';
import { getInitializer, Initializer, serializeInitializer, type InitializerIdentifier } from '@tensorflow/tfjs-layers/dist/initializers.js';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types.js';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { conv2d } from './conv2d.js';
import { convLstmStep } from './conv_lstm_step.js';
import { lstmGates } from './lstm_gates.js';

type Shape = (number | null)[];

/**
 * An initialiser: a tfjs-layers name ('zeros', 'glorotUniform', …; those draw from Math.random),
 * a serialised config, or an instance such as TorchDefaultUniform (./initializers.ts, seeded; what
 * the RVOS decoder uses).
 */
export type CellInitializer = InitializerIdentifier | Initializer | tf.serialization.ConfigDict;

export declare interface ConvLSTMCellArgs extends LayerArgs {
  /** Hidden channels F (the gate convolution has 4·F output channels). */
  filters: number;
  /** Odd kernel size of the gate convolution; a number means square. Default 3 (RVOS). */
  kernelSize?: number | [number, number];
  /** Whether the gates see one extra channel: the slot's previous mask (RVOS one-shot). Default false. */
  maskChannel?: boolean;
  /** Whether the gates see h_spatial and the cell carries c_spatial (previous slot). Default true. */
  spatialState?: boolean;
  /** Whether the gates see h_temporal (same slot, previous frame). Default true. */
  temporalState?: boolean;
  /** Initializer of the gate kernel. Default 'glorotUniform'. */
  kernelInitializer?: CellInitializer;
  /** Initializer of the gate bias. Default 'zeros'. */
  biasInitializer?: CellInitializer;
}

/** States one step consumes; null (or absent) means zeros. */
export interface CellStepInputs {
  /** [B, h, w, 1] previous mask of this slot at this level; required iff maskChannel. */
  mask?: tf.Tensor4D | null;
  /** Spatial state (previous slot, same frame); only read when spatialState. */
  spatial?: { h: tf.Tensor4D; c: tf.Tensor4D } | null;
  /** h of the same slot at the previous frame; only read when temporalState. */
  temporal?: tf.Tensor4D | null;
  /**
   * [h, w]: the first input part is first resized to this size, bilinearly with aligned corners
   * (tf.image.resizeBilinear(x, size, true); the decoder's upsampling of the level above's h). With
   * a shared gate input it runs inside the step's one op (src/layers/conv_lstm_step.ts).
   */
  resizeFirst?: [number, number] | null;
}

/**
 * Gate pre-activations of the input channels that are the same for every slot of a frame,
 * computed once per frame (see {@link ConvLSTMCell.prepareShared}).
 */
export interface SharedGateInput {
  /** [B, h, w, 4F]: conv(shared input, its kernel rows) + bias. */
  gates: tf.Tensor4D;
  /** Kernel rows for the per-slot part of the gate input. */
  restKernel: tf.Tensor4D;
}

export class ConvLSTMCell extends tfl.layers.Layer {
  /** @nocollapse */
  static className = 'RvosConvLSTMCell';

  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly maskChannel: boolean;
  readonly spatialState: boolean;
  readonly temporalState: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;

  /** Channels of `input` (known after build). */
  inputChannels = 0;
  kernel: LayerVariable | null = null;
  bias: LayerVariable | null = null;

  constructor(args: ConvLSTMCellArgs) {
    super(args);
    if (!Number.isInteger(args.filters) || args.filters < 1) {
      throw new Error(`ConvLSTMCell: filters must be a positive integer, got ${args.filters}`);
    }
    const ks = args.kernelSize ?? 3;
    this.kernelSize = typeof ks === 'number' ? [ks, ks] : [ks[0], ks[1]];
    for (const k of this.kernelSize) {
      if (!Number.isInteger(k) || k < 1 || k % 2 === 0) {
        throw new Error(`ConvLSTMCell: kernelSize must be odd positive integers (symmetric 'same' padding), got ${JSON.stringify(ks)}`);
      }
    }
    this.filters = args.filters;
    this.maskChannel = args.maskChannel ?? false;
    this.spatialState = args.spatialState ?? true;
    this.temporalState = args.temporalState ?? true;
    this.kernelInitializer = toInitializer(args.kernelInitializer ?? 'glorotUniform');
    this.biasInitializer = toInitializer(args.biasInitializer ?? 'zeros');
  }

  /** Channels of the concatenated gate input for `inputChannels` input channels and these options (the kernel's fan-in is kh·kw times it). */
  static gateInputChannels(args: Pick<ConvLSTMCellArgs, 'filters' | 'maskChannel' | 'spatialState' | 'temporalState'>, inputChannels: number): number {
    const f = args.filters;
    return inputChannels + (args.maskChannel ? 1 : 0) + ((args.spatialState ?? true) ? f : 0) + ((args.temporalState ?? true) ? f : 0);
  }

  /** Number of tensors `call` takes: [x, mask?, hSpatial?, cSpatial?, hTemporal?]. */
  get numInputs(): number {
    return 1 + (this.maskChannel ? 1 : 0) + (this.spatialState ? 2 : 0) + (this.temporalState ? 1 : 0);
  }

  /** Channels of the concatenated gate input. */
  get gateInputChannels(): number {
    return ConvLSTMCell.gateInputChannels(this, this.inputChannels);
  }

  override build(inputShape: Shape | Shape[]): void {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as Shape[];
    const xShape = shapes[0]!;
    const cin = xShape[xShape.length - 1];
    if (xShape.length !== 4 || cin === null || cin === undefined) {
      throw new Error(`ConvLSTMCell: input must be [B, H, W, C] with known C, got ${JSON.stringify(xShape)}`);
    }
    this.inputChannels = cin;
    const [kh, kw] = this.kernelSize;
    this.kernel = this.addWeight('kernel', [kh, kw, this.gateInputChannels, 4 * this.filters], 'float32', this.kernelInitializer);
    this.bias = this.addWeight('bias', [4 * this.filters], 'float32', this.biasInitializer);
    this.built = true;
  }

  /** inputs = [x, mask?, hSpatial?, cSpatial?, hTemporal?] (per the config) → [h, c]. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (list.length !== this.numInputs) {
      throw new Error(
        `ConvLSTMCell ${this.name}: expected ${this.numInputs} inputs [x${this.maskChannel ? ', mask' : ''}${this.spatialState ? ', hSpatial, cSpatial' : ''}${this.temporalState ? ', hTemporal' : ''}], got ${list.length}`,
      );
    }
    const t = list as tf.Tensor4D[];
    let k = 1;
    const mask = this.maskChannel ? t[k++]! : null;
    const spatial = this.spatialState ? { h: t[k++]!, c: t[k++]! } : null;
    const temporal = this.temporalState ? t[k++]! : null;
    const { h, c } = this.step(t[0]!, { mask, spatial, temporal });
    return [h, c];
  }

  /**
   * One step with optional states (missing → zeros). Returns new tensors; inputs are not disposed.
   * With `shared` (from {@link prepareShared}) `x` holds only the per-slot input channels, or is
   * null when the shared channels are the whole input. `x` may be a list of parts (channels in
   * list order): they are concatenated once, with the states, for the gate convolution.
   */
  step(x: tf.Tensor4D | readonly tf.Tensor4D[] | null, inputs: CellStepInputs, shared?: SharedGateInput): { h: tf.Tensor4D; c: tf.Tensor4D } {
    const xParts: readonly tf.Tensor4D[] = x === null ? [] : Array.isArray(x) ? x : [x as tf.Tensor4D];
    if (xParts.length === 0 && shared === undefined) throw new Error(`ConvLSTMCell ${this.name}: step needs an input or a shared gate input`);
    if (!this.built) this.build([...xParts[0]!.shape.slice(0, 3), xParts.reduce((n, p) => n + p.shape[3], 0)]);
    const resize = inputs.resizeFirst ?? null;
    if (resize !== null && xParts.length === 0) throw new Error(`ConvLSTMCell ${this.name}: resizeFirst needs an input part`);
    return tf.tidy(() => {
      const [b, hh, ww] = shared?.gates.shape ?? [xParts[0]!.shape[0], ...(resize ?? [xParts[0]!.shape[1], xParts[0]!.shape[2]])];
      const inputParts = resize !== null && shared === undefined ? [tf.image.resizeBilinear(xParts[0]!, resize, true), ...xParts.slice(1)] : xParts;
      const parts = [...inputParts, ...this.stateParts([b, hh, ww], inputs)];
      const cSpatial = this.spatialState ? (inputs.spatial?.c ?? null) : null;
      const rows = parts.reduce((n, p) => n + p.shape[3], 0);
      if (shared === undefined) {
        const kernel = this.leadingRows(this.kernel!.read() as tf.Tensor4D, rows);
        const z = conv2d({ x: concatChannels(parts), filter: kernel, strides: 1, pad: 'same', bias: this.bias!.read() });
        return lstmGates(z, null, cSpatial);
      }
      if (parts.length === 0) return lstmGates(shared.gates, null, cSpatial);
      return convLstmStep(parts, this.leadingRows(shared.restKernel, rows), shared.gates, cSpatial, resize);
    });
  }

  /** The first `rows` input rows of a gate kernel (the kernel itself when it has no more). */
  private leadingRows(kernel: tf.Tensor4D, rows: number): tf.Tensor4D {
    const [kh, kw, all] = kernel.shape;
    return rows === all ? kernel : tf.slice(kernel, [0, 0, 0, 0], [kh, kw, rows, -1]);
  }

  /**
   * Splits the gate convolution for inputs whose first `sharedInput` channels are the same for
   * every slot of a frame (the decoder's skip features): their contribution (plus the bias) is
   * computed once here, and `step(rest, …, shared)` convolves only the per-slot channels. Exactly
   * the same function as `step(concat[shared, rest])`, by linearity of the convolution.
   */
  prepareShared(sharedInput: tf.Tensor4D): SharedGateInput {
    if (!this.built) throw new Error(`ConvLSTMCell ${this.name}: build before prepareShared`);
    return tf.tidy(() => {
      const cs = sharedInput.shape[3];
      const [kh, kw] = this.kernelSize;
      const kernel = this.kernel!.read() as tf.Tensor4D;
      const total = this.gateInputChannels;
      const sharedKernel = tf.slice(kernel, [0, 0, 0, 0], [kh, kw, cs, -1]);
      const restKernel = tf.slice(kernel, [0, 0, cs, 0], [kh, kw, total - cs, -1]);
      const gates = conv2d({ x: sharedInput, filter: sharedKernel, strides: 1, pad: 'same', bias: this.bias!.read() });
      return { gates, restKernel };
    });
  }

  /**
   * The configured mask/state channels in gate order. Missing states at the end are left out (the
   * caller convolves with only the leading kernel rows: same output, and the dropped rows' gradient
   * is zero either way); a missing state before a present one (first slot, later frame) is zeros.
   */
  private stateParts([b, hh, ww]: [number, number, number], inputs: CellStepInputs): tf.Tensor4D[] {
    const parts: (tf.Tensor4D | null)[] = [];
    if (this.maskChannel) {
      if (inputs.mask == null) throw new Error(`ConvLSTMCell ${this.name}: maskChannel is on but no mask was given`);
      parts.push(inputs.mask);
    }
    if (this.spatialState) parts.push(inputs.spatial?.h ?? null);
    if (this.temporalState) parts.push(inputs.temporal ?? null);
    while (parts.length > 0 && parts[parts.length - 1] === null) parts.pop();
    return parts.map((p) => p ?? tf.zeros([b, hh, ww, this.filters]));
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape[] {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as Shape[];
    const [b, h, w] = shapes[0]!;
    const out: Shape = [b ?? null, h ?? null, w ?? null, this.filters];
    return [out, [...out]];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      maskChannel: this.maskChannel,
      spatialState: this.spatialState,
      temporalState: this.temporalState,
      kernelInitializer: serializeInitializer(this.kernelInitializer),
      biasInitializer: serializeInitializer(this.biasInitializer),
    };
  }
}
tf.serialization.registerClass(ConvLSTMCell);

/** Name, serialised config (copied: tfjs's deserialiser writes into it) or instance → an initialiser. */
function toInitializer(id: CellInitializer): Initializer {
  if (id instanceof Initializer) return id;
  return getInitializer((typeof id === 'string' ? id : JSON.parse(JSON.stringify(id))) as InitializerIdentifier);
}

function concatChannels(parts: tf.Tensor4D[]): tf.Tensor4D {
  return parts.length === 1 ? parts[0]! : tf.concat(parts, 3);
}

/** Factory in the tfjs-layers style: `convLstmCell({filters: 64, maskChannel: true})`. */
export function convLstmCell(args: ConvLSTMCellArgs): ConvLSTMCell {
  return new ConvLSTMCell(args);
}
