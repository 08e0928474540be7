/**
 * Back-propagation that sums each tensor's gradients in one kernel call (a training-speed measure).
 *
 * tfjs-core's engine adds a tensor's gradients pairwise as they arrive on the backward walk: a
 * tensor used k times costs k − 1 `Add` calls, each with the engine's per-call work and a new
 * temporary for the running sum. A main-job training step made ~600 of them (every ConvLSTM h is
 * used 4–5 times, every encoder weight once per frame, the frame's shared gate input once per
 * slot). Here the gradients of a tensor are collected in arrival order and summed once, by one
 * `AddN`, when the walk reaches the op that produced the tensor (or at the end, for the xs).
 * AddN adds its inputs in list order, ((g₁ + g₂) + g₃) + …, the same float32 operations as the
 * pairwise Adds, so the gradients are the same bit for bit (tests/backend/gradient_sums.test.ts).
 *
 * The tape filter is the same as tfjs-core's (the nodes on a path from an x to y, their inputs
 * pruned to those that come from an x) with set look-ups, without tfjs-core's repeated scan per x.
 * Only the outermost gradient computation on the wasm and cpu backends takes this path; nested
 * (higher-order) gradients and other backends keep tfjs-core's. What it relies on of tfjs-core's
 * engine (4.22) is named in `EngineInternals`.
 */
import * as tf from '@tensorflow/tfjs-core';

interface TapeNode {
  id: number;
  kernelName: string;
  outputs: tf.Tensor[];
  inputs: tf.NamedTensorMap;
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

/** The parts of tfjs-core's Engine this relies on (engine.ts, 4.22). */
interface EngineInternals {
  backendName: string;
  state: { gradientDepth: number; activeTape: TapeNode[] | null };
  scopedRun<R>(start: () => void, end: () => void, f: () => R): R;
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(nameOrFn: string | (() => T), fn?: () => T): T;
  gradients<T extends tf.Tensor>(f: () => T, xs: tf.Tensor[], dy?: T, allowNoGradients?: boolean): { value: T; grads: (tf.Tensor | undefined)[] };
}

const SUMMING_BACKENDS = new Set(['wasm', 'cpu']);
let installed = false;
let enabled = true;

/** Installs the summing back-propagation on tfjs-core's engine (once per process); touches no backend. */
export function installGradientSums(): void {
  if (installed) return;
  installed = true;
  const engine = tf.engine() as unknown as EngineInternals;
  const original = engine.gradients;
  engine.gradients = function <T extends tf.Tensor>(this: EngineInternals, f: () => T, xs: tf.Tensor[], dy?: T, allowNoGradients = false) {
    if (!enabled || this.state.gradientDepth !== 0 || !SUMMING_BACKENDS.has(this.backendName)) {
      return original.call(this, f, xs, dy, allowNoGradients);
    }
    return summedGradients(this, f, xs, dy, allowNoGradients);
  } as EngineInternals['gradients'];
}

/** Switches the summing back-propagation on or off (tests and the bench compare both); returns the previous setting. */
export function setGradientSums(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

function summedGradients<T extends tf.Tensor>(
  engine: EngineInternals,
  f: () => T,
  xs: tf.Tensor[],
  dy: T | undefined,
  allowNoGradients: boolean,
): { value: T; grads: (tf.Tensor | undefined)[] } {
  if (xs.length === 0) throw new Error('gradients() received an empty list of xs.');
  if (dy != null && dy.dtype !== 'float32') throw new Error(`dy must have 'float32' dtype, but has '${dy.dtype}'`);
  const y = engine.scopedRun(
    () => engine.startTape(),
    () => engine.endTape(),
    () => engine.tidy('forward', f),
  );
  if (!(y instanceof tf.Tensor)) throw new Error('The result y returned by f() must be a tensor.');
  const tape = engine.state.activeTape ?? [];
  const filtered = nodesFromXsToY(tape, xs, y);
  if (!allowNoGradients && filtered.length === 0) {
    throw new Error('Cannot compute gradient of y=f(x) with respect to x. Make sure that the f you passed encloses all operations that lead from x to y.');
  }
  return engine.tidy('backward', () => {
    const pending = new Map<number, tf.Tensor[]>();
    pending.set(y.id, [dy ?? tf.ones(y.shape)]);
    backpropagate(engine, pending, filtered);
    const grads = xs.map((x) => summed(pending, x.id));
    // Outermost computation (the only one that comes here): the tape's saved tensors go with it.
    for (const node of tape) for (const t of node.saved ?? []) t.dispose();
    engine.state.activeTape = null;
    return { value: y, grads } as unknown as tf.TensorContainer;
  }) as unknown as { value: T; grads: (tf.Tensor | undefined)[] };
}

/**
 * The tape's nodes that lie on a path from an x to y, in tape order, each a copy with its inputs
 * pruned to those that come from an x (what tfjs-core's getFilteredNodesXToY returns).
 */
function nodesFromXsToY(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    for (const name in node.inputs) {
      if (fromX.has(node.inputs[name]!.id)) {
        for (const o of node.outputs) fromX.add(o.id);
        nodesFromX.add(node.id);
        break;
      }
    }
  }
  const leadToY = new Set<number>([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    if (!node.outputs.some((o) => leadToY.has(o.id))) continue;
    let any = false;
    for (const name in node.inputs) {
      leadToY.add(node.inputs[name]!.id);
      any = true;
    }
    if (any) nodesToY.add(node.id);
  }
  const out: TapeNode[] = [];
  for (const node of tape) {
    if (!nodesFromX.has(node.id) || !nodesToY.has(node.id)) continue;
    const inputs: tf.NamedTensorMap = {};
    for (const name in node.inputs) if (fromX.has(node.inputs[name]!.id)) inputs[name] = node.inputs[name]!;
    out.push({ ...node, inputs, outputs: node.outputs });
  }
  return out;
}

/**
 * A tensor's gradient: its one part, or the sum of its parts in arrival order (one AddN), which
 * then replaces them. The first part is released as tfjs-core releases the running sum it adds
 * into; the later parts stay in the backward scope, as tfjs-core leaves them.
 */
function summed(pending: Map<number, tf.Tensor[]>, id: number): tf.Tensor | undefined {
  const parts = pending.get(id);
  if (parts === undefined) return undefined;
  if (parts.length === 1) return parts[0];
  const sum = tf.addN(parts);
  parts[0]!.dispose();
  pending.set(id, [sum]);
  return sum;
}

function backpropagate(engine: EngineInternals, pending: Map<number, tf.Tensor[]>, filtered: TapeNode[]): void {
  for (let i = filtered.length - 1; i >= 0; i--) {
    const node = filtered[i]!;
    const dys = node.outputs.map((o) => summed(pending, o.id) ?? null);
    if (node.gradient == null) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
    const inputGradients = node.gradient(dys);
    for (const name in node.inputs) {
      if (!(name in inputGradients)) {
        throw new Error(`Cannot backprop through input ${name}. Available gradients found: ${Object.keys(inputGradients)}.`);
      }
      const dx = engine.tidy(() => inputGradients[name]!());
      const x = node.inputs[name]!;
      if (dx.dtype !== 'float32') {
        throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input ${name} must have 'float32' dtype, but has '${dx.dtype}'`);
      }
      if (!tf.util.arraysEqual(dx.shape, x.shape)) {
        throw new Error(
          `Error in gradient for op ${node.kernelName}. The gradient of input '${name}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`,
        );
      }
      const parts = pending.get(x.id);
      if (parts === undefined) pending.set(x.id, [dx]);
      else parts.push(dx);
    }
  }
}
