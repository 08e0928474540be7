/**
 * How the trainer gets the gradient of one batch: a GradientProvider. The default computes it in
 * this thread (exactly the trainer's historical code path). Data-parallel providers split the
 * batch into shards, compute each shard's gradient separately and average them weighted by shard
 * size, like PyTorch DistributedDataParallel: what differs from one full-batch gradient is only
 * what depends on the batch as a whole — BatchNorm batch statistics (per shard) and the per-frame
 * normalisation of the clip loss (a mean over the shard's supervised pairs).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RVOSModel } from '../../models/rvos_model.js';
import { clipLoss, type ClipBatch, type ClipLossOptions, type LossParts } from '../clip_loss.js';

export interface BatchGradients {
  loss: number;
  /** Loss parts for logging (mask, empty, objectness). */
  parts: Record<string, number>;
  /** Gradient per stable variable name (trainable variables on a path to the loss); the caller disposes them. */
  gradients: Map<string, tf.Tensor>;
}

export interface GradientProvider {
  /** The gradient of the loss on `batch` with respect to the model's trainable variables. Does not dispose the batch. */
  compute(batch: ClipBatch, loss: ClipLossOptions): Promise<BatchGradients>;
  /** Releases threads and buffers (idempotent). */
  dispose(): Promise<void>;
}

/** Stable names of the model's trainable variables, in the model's order. */
export function trainableNames(model: RVOSModel): string[] {
  return [...model.namedVariables()].filter(([, v]) => v.trainable).map(([name]) => name);
}

/** Stable names of the model's non-trainable variables (BatchNorm moving statistics). */
export function stateNames(model: RVOSModel): string[] {
  return [...model.namedVariables()].filter(([, v]) => !v.trainable).map(([name]) => name);
}

/** The gradient of one batch in this thread (the trainer's single-worker path). */
export function gradientsInThread(model: RVOSModel, batch: ClipBatch, loss: ClipLossOptions): BatchGradients {
  const named = model.namedVariables();
  const varList = trainableNames(model).map((name) => named.get(name)!);
  const nameOf = new Map([...named].map(([name, v]) => [v.name, name] as const));
  const parts: Partial<LossParts> = {};
  const { value, grads } = tf.variableGrads(() => clipLoss(model, batch, loss, parts), varList);
  const lossValue = value.dataSync()[0]!;
  value.dispose();
  const partValues: Record<string, number> = {};
  for (const [k, t] of Object.entries(parts)) {
    partValues[k] = t!.dataSync()[0]!;
    t!.dispose();
  }
  const gradients = new Map<string, tf.Tensor>();
  for (const [tfName, g] of Object.entries(grads)) gradients.set(nameOf.get(tfName)!, g);
  return { loss: lossValue, parts: partValues, gradients };
}

export class InThreadGradients implements GradientProvider {
  constructor(private readonly model: RVOSModel) {}

  compute(batch: ClipBatch, loss: ClipLossOptions): Promise<BatchGradients> {
    return Promise.resolve(gradientsInThread(this.model, batch, loss));
  }

  dispose(): Promise<void> {
    return Promise.resolve();
  }
}
