/** Messages between the data-parallel provider (main thread) and its gradient workers. */
import type { RVOSModelConfig } from '../../models/rvos_model.js';
import type { ClipLossOptions } from '../clip_loss.js';
import type { Layout } from './layout.js';
import type { HostShard } from './shards.js';

export interface WorkerInit {
  type: 'init';
  /** tfjs backend the main thread runs ('wasm', 'cpu', 'tensorflow'). */
  backend: string;
  modelConfig: RVOSModelConfig;
  /** Every variable's value (trainable, then state), written by the main thread before each step. */
  weights: SharedArrayBuffer;
  weightLayout: Layout;
  /** This worker's output: gradients (gradLayout) then state values (stateLayout). */
  result: SharedArrayBuffer;
  gradLayout: Layout;
  stateLayout: Layout;
}

export interface WorkerStep {
  type: 'step';
  id: number;
  /** Weights version in the shared buffer; the worker reloads when it changed. */
  version: number;
  shard: HostShard;
  loss: ClipLossOptions;
}

export type WorkerRequest = WorkerInit | WorkerStep;

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'done'; id: number; loss: number; parts: Record<string, number>; /** Trainable slots that got a gradient. */ present: boolean[] }
  | { type: 'error'; id: number; name: string; message: string };
