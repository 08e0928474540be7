/**
 * The data-parallel computation done one shard after another in this thread: the reference the
 * worker-thread provider must reproduce (same shards, same per-shard math, same averaging), and a
 * way to try a shard count's effect on training without threads. Every shard starts from the same
 * BatchNorm moving statistics, as every replica does in the parallel provider.
 */
import type { RVOSModel } from '../../models/rvos_model.js';
import type { ClipLossOptions } from '../clip_loss.js';
import type { ClipBatch } from '../../data/batch.js';
import { combineShards, gradientsToHost, restore, snapshot, type ShardResult } from './combine.js';
import { gradientsInThread, stateNames, trainableNames, type BatchGradients, type GradientProvider } from './gradients.js';
import { shardToBatch, splitBatch } from './shards.js';

export class ShardedInThreadGradients implements GradientProvider {
  private readonly trainable: string[];
  private readonly state: string[];

  constructor(
    private readonly model: RVOSModel,
    private readonly shards: number,
  ) {
    this.trainable = trainableNames(model);
    this.state = stateNames(model);
  }

  compute(batch: ClipBatch, loss: ClipLossOptions): Promise<BatchGradients> {
    const variables = this.model.namedVariables();
    const start = snapshot(variables, this.state);
    const results: ShardResult[] = splitBatch(batch, this.shards).map((shard) => {
      restore(variables, start);
      const tensors = shardToBatch(shard);
      const g = gradientsInThread(this.model, tensors, loss);
      tensors.frames.dispose();
      tensors.masks.dispose();
      tensors.present.dispose();
      tensors.priorMasks?.dispose();
      return { size: shard.size, loss: g.loss, parts: g.parts, gradients: gradientsToHost(g, this.trainable), state: snapshot(variables, this.state) };
    });
    return Promise.resolve(combineShards(results, variables, this.trainable, this.state));
  }

  dispose(): Promise<void> {
    return Promise.resolve();
  }
}
