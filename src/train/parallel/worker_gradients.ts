/**
 * Data-parallel gradients over worker threads: with N workers the batch is split into N shards;
 * this thread computes shard 0 with the model itself while N − 1 worker threads (each with its
 * own tfjs backend — its own single-threaded wasm instance — and a model replica) compute the
 * others. Weights go out and gradients come back through SharedArrayBuffers; the result is the
 * shard-size-weighted average (./combine.ts), identical to ShardedInThreadGradients. The caller
 * (the trainer) applies the optimiser in this thread, so the weights broadcast next step are the
 * only copy that matters.
 */
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { RVOSModel } from '../../models/rvos_model.js';
import { nativeThreadShare, setNativeThreadShare } from '../../backend/native/index.js';
import { TrainingError } from '../../utils/errors.js';
import type { ClipLossOptions } from '../clip_loss.js';
import type { ClipBatch } from '../../data/batch.js';
import { combineShards, gradientsToHost, snapshot, type ShardResult } from './combine.js';
import { gradientsInThread, stateNames, trainableNames, type BatchGradients, type GradientProvider } from './gradients.js';
import { layoutOf, slotValues, writeVariables, type Layout } from './layout.js';
import type { WorkerInit, WorkerReply, WorkerStep } from './protocol.js';
import { shardToBatch, splitBatch, type HostShard } from './shards.js';

interface Replica {
  worker: Worker;
  result: Float32Array;
  /** Resolves with the next reply. */
  next: () => Promise<WorkerReply>;
}

function startReplica(init: Omit<WorkerInit, 'result'>, resultLength: number): { replica: Replica; ready: Promise<void> } {
  const worker = new Worker(new URL('./gradient_worker_boot.mjs', import.meta.url));
  const shared = new SharedArrayBuffer(resultLength * 4);
  const queue: WorkerReply[] = [];
  const waiting: ((r: WorkerReply) => void)[] = [];
  let failure: Error | null = null;
  const deliver = (r: WorkerReply): void => {
    const w = waiting.shift();
    if (w !== undefined) w(r);
    else queue.push(r);
  };
  worker.on('message', deliver);
  worker.on('error', (err) => {
    failure = err;
    deliver({ type: 'error', id: -1, name: err.name, message: err.message });
  });
  worker.on('exit', (code) => {
    if (failure === null && code !== 0) deliver({ type: 'error', id: -1, name: 'Error', message: `gradient worker exited with code ${code}` });
  });
  const next = (): Promise<WorkerReply> => {
    const r = queue.shift();
    return r !== undefined ? Promise.resolve(r) : new Promise((resolve) => waiting.push(resolve));
  };
  worker.postMessage({ ...init, result: shared } satisfies WorkerInit);
  const ready = next().then((r) => {
    if (r.type !== 'ready') throw new TrainingError(`gradient worker failed to start: ${r.type === 'error' ? r.message : r.type}`);
    // Idle workers must not keep the process alive; a step holds it (see send()).
    worker.unref();
  });
  return { replica: { worker, result: new Float32Array(shared), next }, ready };
}

export class WorkerGradients implements GradientProvider {
  private readonly trainable: string[];
  private readonly state: string[];
  private readonly weights: Float32Array;
  private readonly weightLayout: Layout;
  private readonly gradLayout: Layout;
  private readonly stateLayout: Layout;
  private readonly replicas: Replica[] = [];
  private readonly ready: Promise<void>;
  private version = 0;
  private nextId = 0;
  private disposed = false;
  /** The native kernels' thread share before this provider split the cores (restored at dispose). */
  private readonly previousShare: number;

  /**
   * @param workers total shards including this thread (≥ 2: this thread + workers − 1 threads)
   */
  constructor(
    private readonly model: RVOSModel,
    readonly workers: number,
  ) {
    if (!Number.isInteger(workers) || workers < 2)
      throw new TrainingError(`WorkerGradients needs at least 2 workers, got ${workers}; use in-thread gradients for 1`);
    const variables = model.namedVariables();
    this.trainable = trainableNames(model);
    this.state = stateNames(model);
    this.weightLayout = layoutOf([...this.trainable, ...this.state], variables);
    this.gradLayout = layoutOf(this.trainable, variables);
    this.stateLayout = layoutOf(this.state, variables, this.gradLayout.length);
    // The oneDNN convolutions' threads are split among the gradient threads (set before the
    // workers start: they inherit it), so the cores are not oversubscribed.
    this.previousShare = setNativeThreadShare(nativeThreadShare() * workers);
    const shared = new SharedArrayBuffer(this.weightLayout.length * 4);
    this.weights = new Float32Array(shared);
    const init = {
      type: 'init' as const,
      backend: tf.getBackend(),
      modelConfig: model.config,
      weights: shared,
      weightLayout: this.weightLayout,
      gradLayout: this.gradLayout,
      stateLayout: this.stateLayout,
    };
    const started = Array.from({ length: workers - 1 }, () => startReplica(init, this.gradLayout.length + this.stateLayout.length));
    for (const s of started) this.replicas.push(s.replica);
    this.ready = Promise.all(started.map((s) => s.ready)).then(() => undefined);
    // Until the first step, an unhandled failure would only surface there.
    this.ready.catch(() => undefined);
  }

  async compute(batch: ClipBatch, loss: ClipLossOptions): Promise<BatchGradients> {
    if (this.disposed) throw new TrainingError('WorkerGradients: used after dispose()');
    await this.ready;
    const variables = this.model.namedVariables();
    const shards = splitBatch(batch, this.workers);
    writeVariables(this.weightLayout, variables, this.weights);
    const version = ++this.version;
    const pending = shards.slice(1).map((shard, i) => this.send(this.replicas[i]!, shard, loss, version));
    // Shard 0 here while the workers run theirs.
    const own = shardToBatch(shards[0]!);
    let first: ShardResult;
    try {
      const g = gradientsInThread(this.model, own, loss);
      first = { size: shards[0]!.size, loss: g.loss, parts: g.parts, gradients: gradientsToHost(g, this.trainable), state: snapshot(variables, this.state) };
    } finally {
      own.frames.dispose();
      own.masks.dispose();
      own.present.dispose();
      own.priorMasks?.dispose();
    }
    const others = await Promise.all(pending);
    return combineShards([first, ...others], variables, this.trainable, this.state);
  }

  private async send(replica: Replica, shard: HostShard, loss: ClipLossOptions, version: number): Promise<ShardResult> {
    const id = this.nextId++;
    const transfer = [
      shard.frames.values.buffer,
      shard.masks.values.buffer,
      shard.present.values.buffer,
      ...(shard.priorMasks ? [shard.priorMasks.values.buffer] : []),
    ];
    replica.worker.ref();
    replica.worker.postMessage({ type: 'step', id, version, shard, loss } satisfies WorkerStep, transfer as ArrayBuffer[]);
    const r = await replica.next();
    replica.worker.unref();
    if (r.type !== 'done' || r.id !== id)
      throw new TrainingError(`gradient worker failed: ${r.type === 'error' ? `${r.name}: ${r.message}` : `unexpected reply ${r.type}`}`);
    const gradients = new Map<string, Float32Array | null>();
    this.gradLayout.slots.forEach((s, i) => gradients.set(s.name, r.present[i] ? slotValues(s, replica.result) : null));
    const state = new Map(this.stateLayout.slots.map((s) => [s.name, slotValues(s, replica.result)] as const));
    return { size: shard.size, loss: r.loss, parts: r.parts, gradients, state };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    setNativeThreadShare(this.previousShare);
    await Promise.all(this.replicas.map((r) => r.worker.terminate()));
  }
}
