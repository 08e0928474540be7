/**
 * Putting shard results together: loss, parts and gradients averaged with weights
 * shard size / batch size; the BatchNorm moving statistics each shard's forward pass produced,
 * averaged the same way and assigned to the model (a moving average of the shard means is the
 * moving average of the batch mean when shards are equal; variances miss the between-shard part).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BatchGradients } from './gradients.js';
import { weightedSum } from './shards.js';

/** One shard's result on the host. */
export interface ShardResult {
  size: number;
  loss: number;
  parts: Record<string, number>;
  /** Per trainable variable name: its gradient, or null when the loss does not reach it. */
  gradients: Map<string, Float32Array | null>;
  /** Non-trainable variable values after the shard's forward pass. */
  state: Map<string, Float32Array>;
}

export function combineShards(
  results: ShardResult[],
  variables: Map<string, tf.Variable>,
  trainable: readonly string[],
  stateNames: readonly string[],
): BatchGradients {
  const total = results.reduce((n, r) => n + r.size, 0);
  const weights = results.map((r) => r.size / total);
  const loss = results.reduce((sum, r, i) => sum + weights[i]! * r.loss, 0);
  const parts: Record<string, number> = {};
  for (const key of Object.keys(results[0]!.parts)) parts[key] = results.reduce((sum, r, i) => sum + weights[i]! * (r.parts[key] ?? 0), 0);
  const gradients = new Map<string, tf.Tensor>();
  for (const name of trainable) {
    const sum = weightedSum(
      results.map((r) => r.gradients.get(name) ?? null),
      weights,
    );
    if (sum !== null) gradients.set(name, tf.tensor(sum, variables.get(name)!.shape));
  }
  for (const name of stateNames) {
    const sum = weightedSum(
      results.map((r) => r.state.get(name) ?? null),
      weights,
    );
    if (sum === null) continue;
    const value = tf.tensor(sum, variables.get(name)!.shape);
    variables.get(name)!.assign(value);
    value.dispose();
  }
  return { loss, parts, gradients };
}

/** Moves in-thread gradients to the host (disposing the tensors). */
export function gradientsToHost(g: BatchGradients, trainable: readonly string[]): Map<string, Float32Array | null> {
  const out = new Map<string, Float32Array | null>();
  for (const name of trainable) {
    const t = g.gradients.get(name);
    out.set(name, t === undefined ? null : (t.dataSync() as Float32Array).slice());
    t?.dispose();
  }
  return out;
}

/** Current values of the named variables, copied to the host. */
export function snapshot(variables: Map<string, tf.Variable>, names: readonly string[]): Map<string, Float32Array> {
  return new Map(names.map((name) => [name, (variables.get(name)!.dataSync() as Float32Array).slice()] as const));
}

/** Assigns host values to the named variables. */
export function restore(variables: Map<string, tf.Variable>, values: Map<string, Float32Array>): void {
  for (const [name, v] of values) {
    const t = tf.tensor(v.slice(), variables.get(name)!.shape);
    variables.get(name)!.assign(t);
    t.dispose();
  }
}
