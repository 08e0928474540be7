/**
 * The RVOS spatio-temporal decoder: four ConvLSTM levels (hidden, hidden/2, hidden/4, hidden/8
 * channels at strides 32, 16, 8, 4), run once per object slot.
 *
 * Level 0 sees the stride-32 skip; level k > 0 sees concat[skip_k, bilinear-upsample(h_{k−1}) to
 * skip_k's exact size] (align corners). After level 3: x2 bilinear upsample (align corners),
 * 3x3 conv hidden/8 → 1 = the slot's mask logit at stride 2.
 *
 * Recurrence (the RVOS ablation): S passes the previous slot's (h, c) of the same frame; T passes
 * the same slot's h of the previous frame, and the previous slot's state on the first frame only
 * (RVOS's code); ST passes both; T_no_spatial passes only the temporal h, on every frame. The
 * cells are built with only the state inputs their mode uses (see the porting note in
 * src/layers/conv_lstm_cell.ts).
 *
 * Porting note: the cell input is ordered [skip, upsampled h] (RVOS concatenates [upsampled h,
 * skip]); with skips first, their gate contribution is computed once per frame and shared by all
 * slots (ConvLSTMCell.prepareShared) — the same function, about a third less decoder work.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ConvLSTMCell, type SharedGateInput } from '../layers/conv_lstm_cell.js';
import { Conv2D } from './nn.js';
import { TorchDefaultUniform } from '../layers/initializers.js';
import type { ParamStore } from './params.js';
import type { DecoderSkips } from './skip_reductions.js';

import type { Recurrence } from './names.js';

export type { Recurrence } from './names.js';

export interface DecoderOptions {
  hidden: number;
  /** Channels of the reduced skips, strides 32, 16, 8, 4. */
  skipChannels: readonly number[];
  recurrence: Recurrence;
  /** Every gate convolution gets the slot's previous mask as one extra channel (one-shot with the prev_mask input). */
  prevMaskChannel: boolean;
  /** Extra per-slot input channels at every level (matching maps); default 0. */
  extraChannels?: number;
}

/** State of one level for one slot. */
export interface LevelState {
  h: tf.Tensor4D;
  c: tf.Tensor4D;
}

/** A frame's skips and their precomputed gate contributions, shared by every slot. */
export interface PreparedFrame {
  skips: DecoderSkips;
  shared: SharedGateInput[];
}

export interface SlotOutput {
  /** (h, c) of levels 0..3 (strides 32, 16, 8, 4). */
  states: LevelState[];
  /** [B, 2·h_4, 2·w_4, 1]: the slot's logit at stride 2. */
  logit: tf.Tensor4D;
}

/** Hidden channels of the four levels. */
export function levelChannels(hidden: number): [number, number, number, number] {
  return [hidden, hidden / 2, hidden / 4, hidden / 8];
}

export class RVOSDecoder {
  readonly cells: ConvLSTMCell[] = [];
  private readonly head: Conv2D;
  readonly usesSpatial: boolean;
  readonly usesTemporal: boolean;

  constructor(
    store: ParamStore,
    readonly opts: DecoderOptions,
  ) {
    const hs = levelChannels(opts.hidden);
    this.usesSpatial = opts.recurrence !== 'T_no_spatial';
    this.usesTemporal = opts.recurrence !== 'S';
    hs.forEach((filters, k) => {
      // Cell input: [skip (shared by the frame's slots), upsampled h of level k−1, extra maps].
      const inputChannels = opts.skipChannels[k]! + (k === 0 ? 0 : hs[k - 1]!) + (opts.extraChannels ?? 0);
      const shape = { filters, maskChannel: opts.prevMaskChannel, spatialState: this.usesSpatial, temporalState: this.usesTemporal };
      const kernelName = `decoder/level${k}/kernel`;
      const biasName = `decoder/level${k}/bias`;
      // PyTorch's default Conv2d init, as RVOS's ConvLSTM gates use, seeded per variable like every
      // other weight of the model (zeros when a saved model's values are about to be assigned).
      const fanIn = 3 * 3 * ConvLSTMCell.gateInputChannels(shape, inputChannels);
      const cell = new ConvLSTMCell({
        ...shape,
        kernelSize: 3,
        kernelInitializer: store.initialize ? new TorchDefaultUniform({ seed: store.seedFor(kernelName) }) : 'zeros',
        biasInitializer: store.initialize ? new TorchDefaultUniform({ seed: store.seedFor(biasName), fanIn }) : 'zeros',
      });
      cell.build([null, null, null, inputChannels]);
      store.register(kernelName, cell.kernel!.read() as tf.Variable, 'decoder');
      store.register(biasName, cell.bias!.read() as tf.Variable, 'decoder');
      this.cells.push(cell);
    });
    this.head = new Conv2D(store, 'decoder/head', hs[3], 1, { kernel: 3, padding: 'symmetric', bias: true, init: 'torchDefault' }, 'decoder');
  }

  /** Whether slot→slot state passes on a video's frame `frame` (0-based): T keeps it on frame 0 only. */
  passesSpatial(frame: number): boolean {
    return this.usesSpatial && (this.opts.recurrence !== 'T' || frame === 0);
  }

  /** Once per frame: the skips' gate contributions for every level. */
  prepareFrame(skips: DecoderSkips): PreparedFrame {
    return { skips, shared: this.cells.map((cell, k) => cell.prepareShared(skips[k]!)) };
  }

  /**
   * Decodes one slot of one frame.
   * @param masks previous mask of this slot at each level ([B, h_k, w_k, 1]), one-shot only
   * @param spatial previous slot's states of this frame (null: first slot, or T mode)
   * @param temporal this slot's h at each level from the previous frame (null: first frame, or S mode)
   * @param extra this slot's extra input channels at each level (matching maps, canvas, foreground), as parts per level, when configured
   */
  decodeSlot(
    frame: PreparedFrame,
    masks: tf.Tensor4D[] | null,
    spatial: LevelState[] | null,
    temporal: tf.Tensor4D[] | null,
    extra: readonly (readonly tf.Tensor4D[])[] | null = null,
  ): SlotOutput {
    const states: LevelState[] = [];
    let prevH: tf.Tensor4D | null = null;
    this.cells.forEach((cell, k) => {
      const skip = frame.skips[k]!;
      // The per-slot input channels as parts, concatenated once with the states by the cell; the
      // level above's h is upsampled to the skip's size by the cell's step (one op with it).
      const input = [...(prevH === null ? [] : [prevH]), ...(extra?.[k] ?? [])];
      const state = cell.step(
        input.length === 0 ? null : input,
        {
          mask: masks?.[k] ?? null,
          spatial: this.usesSpatial ? (spatial?.[k] ?? null) : null,
          temporal: this.usesTemporal ? (temporal?.[k] ?? null) : null,
          resizeFirst: prevH === null ? null : [skip.shape[1], skip.shape[2]],
        },
        frame.shared[k],
      );
      states.push(state);
      prevH = state.h;
    });
    const last = states[3]!.h;
    // ×2 upsampling, then the head; one op (src/layers/conv2d.ts).
    return { states, logit: this.head.apply(last, undefined, [2 * last.shape[1], 2 * last.shape[2]]) };
  }
}
