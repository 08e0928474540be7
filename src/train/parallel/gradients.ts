/**
 * How the trainer gets the gradient of one batch: a GradientProvider. The default computes it in
 * this thread (exactly the trainer's historical code path). Data-parallel providers split the
 * batch into shards, compute each shard's gradient separately and average them weighted by shard
 * size, like PyTorch DistributedDataParallel: what differs from one full-batch gradient is only
 * what depends on the batch as a whole — BatchNorm batch statistics (per shard) and the per-frame
 * normalisation of the clip loss (a mean over the shard's supervised pairs).
 */
import * as tf from '@tensorflow/tfjs-core';
import { clipLoss, type ClipLossOptions, type ClipModel } from '../clip_loss.js';
import type { ClipBatch } from '../../data/batch.js';

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

/** What gradients are taken of: a model's variables by stable name. */
export interface NamedVariables {
  namedVariables(): Map<string, tf.Variable>;
  /** Frozen weights (non-trainable, and not state a forward pass updates); none if absent. */
  frozenNames?(): string[];
}

/** The loss of one batch (inside tf.variableGrads), with its parts for logging put in `parts`. */
export type BatchLoss = (batch: ClipBatch, options: ClipLossOptions, parts: Record<string, tf.Scalar>) => tf.Scalar;

/** The loss a FrameModel trains on: the frame-by-frame clip loss. */
export function frameLoss(model: ClipModel): BatchLoss {
  return (batch, options, parts) => clipLoss(model, batch, options, parts);
}

/** Stable names of the model's trainable variables, in the model's order. */
export function trainableNames(model: NamedVariables): string[] {
  return [...model.namedVariables()].filter(([, v]) => v.trainable).map(([name]) => name);
}

/** Stable names of the model's non-trainable variables that a forward pass updates (BatchNorm moving statistics; not frozen weights). */
export function stateNames(model: NamedVariables): string[] {
  const frozen = new Set(model.frozenNames?.() ?? []);
  return [...model.namedVariables()].filter(([name, v]) => !v.trainable && !frozen.has(name)).map(([name]) => name);
}

/**
 * The gradient of one batch in this thread (the trainer's single-worker path). `objective`: the
 * family's own loss (siammask); default the clip loss of `model` as a FrameModel.
 */
export function gradientsInThread(
  model: NamedVariables & ClipModel,
  batch: ClipBatch,
  loss: ClipLossOptions,
  objective: BatchLoss = frameLoss(model),
): BatchGradients {
  const named = model.namedVariables();
  const varList = trainableNames(model).map((name) => named.get(name)!);
  const nameOf = new Map([...named].map(([name, v]) => [v.name, name] as const));
  const parts: Record<string, tf.Scalar> = {};
  const { value, grads } = tf.variableGrads(() => objective(batch, loss, parts), varList);
  const lossValue = value.dataSync()[0]!;
  value.dispose();
  const partValues: Record<string, number> = {};
  for (const [k, t] of Object.entries(parts)) {
    partValues[k] = t.dataSync()[0]!;
    t.dispose();
  }
  const gradients = new Map<string, tf.Tensor>();
  for (const [tfName, g] of Object.entries(grads)) gradients.set(nameOf.get(tfName)!, g);
  return { loss: lossValue, parts: partValues, gradients };
}

/** Any family's gradients in this thread: RVOS and mobile_prior by the clip loss, siammask by its own `objective`. */
export class InThreadGradients implements GradientProvider {
  constructor(
    private readonly model: NamedVariables & ClipModel,
    private readonly objective?: BatchLoss,
  ) {}

  compute(batch: ClipBatch, loss: ClipLossOptions): Promise<BatchGradients> {
    return Promise.resolve(gradientsInThread(this.model, batch, loss, this.objective));
  }

  dispose(): Promise<void> {
    return Promise.resolve();
  }
}
