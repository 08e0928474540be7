/**
 * A gradient worker thread: its own tfjs backend (its own wasm instance) and a replica of the
 * model. Each step it loads the weights the main thread broadcast (when they changed), computes
 * the gradient of its shard exactly as the main thread would, and writes gradients and BatchNorm
 * statistics into its shared result buffer. Started through gradient_worker_boot.mjs.
 */
import { parentPort } from 'node:worker_threads';
import { initBackend, type BackendPreference } from '../../backend/index.js';
import { RVOSModel } from '../../models/rvos_model.js';
import { assignVariables } from './layout.js';
import { gradientsInThread } from './gradients.js';
import type { WorkerInit, WorkerReply, WorkerRequest, WorkerStep } from './protocol.js';
import { shardToBatch } from './shards.js';

let init: WorkerInit | null = null;
let model: RVOSModel | null = null;
let loadedVersion = -1;

function reply(message: WorkerReply): void {
  parentPort!.postMessage(message);
}

async function start(message: WorkerInit): Promise<void> {
  init = message;
  const backend = (['tensorflow', 'wasm', 'cpu'].includes(message.backend) ? message.backend : 'auto') as BackendPreference;
  await initBackend(backend, { quiet: true });
  model = await RVOSModel.create(message.modelConfig, { skipInit: true });
  reply({ type: 'ready' });
}

function step(message: WorkerStep): void {
  const { weights, weightLayout, result, gradLayout, stateLayout } = init!;
  const variables = model!.namedVariables();
  if (message.version !== loadedVersion) {
    assignVariables(weightLayout, variables, new Float32Array(weights));
    loadedVersion = message.version;
  }
  const batch = shardToBatch(message.shard);
  try {
    const g = gradientsInThread(model!, batch, message.loss);
    const out = new Float32Array(result);
    const present = gradLayout.slots.map((s) => {
      const t = g.gradients.get(s.name);
      if (t === undefined) return false;
      out.set(t.dataSync() as Float32Array, s.offset);
      t.dispose();
      return true;
    });
    for (const s of stateLayout.slots) out.set(variables.get(s.name)!.dataSync() as Float32Array, s.offset);
    reply({ type: 'done', id: message.id, loss: g.loss, parts: g.parts, present });
  } finally {
    batch.frames.dispose();
    batch.masks.dispose();
    batch.present.dispose();
    batch.priorMasks?.dispose();
  }
}

parentPort?.on('message', (message: WorkerRequest) => {
  if (message.type === 'init') {
    start(message).catch((err: Error) => reply({ type: 'error', id: -1, name: err.name, message: err.message }));
    return;
  }
  try {
    step(message);
  } catch (err) {
    const e = err as Error;
    reply({ type: 'error', id: message.id, name: e.name, message: e.message });
  }
});
