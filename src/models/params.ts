/**
 * The named variables of one model, with seeded initialisation.
 *
 * Stable names ('encoder/conv1_conv/kernel', 'decoder/level0/kernel', …) key checkpoints,
 * optimiser state and pretrained loading; they do not depend on how many models the process has
 * created. The tf.Variable behind each name gets a process-unique engine name
 * (`rvos<id>/<stable name>`) because TF.js keeps one global variable registry.
 *
 * Every variable draws its initial values from its own generator, seeded by (model seed, stable
 * name): the same seed gives the same weights, and adding or removing a part (say the objectness
 * head) leaves every other part's initial weights unchanged, which keeps ablations comparable.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../utils/rng.js';

/** Which learning-rate group a variable belongs to (RVOS: encoder 1e-6, the rest 1e-3). */
export type ParamGroup = 'encoder' | 'decoder';

export type Init = { kind: 'zeros' } | { kind: 'ones' } | { kind: 'normal'; std: number } | { kind: 'uniform'; bound: number };

interface Entry {
  variable: tf.Variable;
  group: ParamGroup;
  /** Frozen: a weight that is not trained (not a BatchNorm statistic, which is non-trainable but updated). */
  frozen?: boolean;
}

let storeCounter = 0;

/** FNV-1a hash of a string, for per-variable seeds. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Receptive-field fans of a weight in TF layout: conv [kh,kw,in,out], depthwise [kh,kw,in,mult], dense [in,out]. */
export function fans(shape: number[], depthwise = false): { fanIn: number; fanOut: number } {
  if (shape.length === 2) return { fanIn: shape[0]!, fanOut: shape[1]! };
  const field = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  if (depthwise) return { fanIn: field, fanOut: field * shape[shape.length - 1]! };
  return { fanIn: field * shape[shape.length - 2]!, fanOut: field * shape[shape.length - 1]! };
}

/** torchvision ResNet conv init: kaiming_normal_(mode='fan_out', nonlinearity='relu'). */
export function heNormalFanOut(shape: number[], depthwise = false): Init {
  return { kind: 'normal', std: Math.sqrt(2 / fans(shape, depthwise).fanOut) };
}

/** PyTorch's default Conv2d/Linear init for weight and bias: U(±1/√fan_in) (kaiming_uniform, a = √5). */
export function torchDefault(weightShape: number[], depthwise = false): Init {
  return { kind: 'uniform', bound: 1 / Math.sqrt(fans(weightShape, depthwise).fanIn) };
}

function draw(init: Init, size: number, rng: Rng): Float32Array {
  const out = new Float32Array(size);
  switch (init.kind) {
    case 'zeros':
      break;
    case 'ones':
      out.fill(1);
      break;
    case 'normal':
      for (let i = 0; i < size; i++) out[i] = rng.normal() * init.std;
      break;
    case 'uniform':
      for (let i = 0; i < size; i++) out[i] = rng.uniform(-init.bound, init.bound);
      break;
  }
  return out;
}

export class ParamStore {
  private readonly entries = new Map<string, Entry>();
  private readonly prefix = `rvos${++storeCounter}`;

  /**
   * @param seed model seed
   * @param initialize false: every variable starts at zeros (the caller will assign saved values)
   */
  constructor(
    readonly seed: number,
    readonly initialize = true,
  ) {}

  /** The seed of the generator that initialises `name` (a layer's seeded initialiser draws from it). */
  seedFor(name: string): number {
    return (this.seed ^ fnv1a(name)) >>> 0;
  }

  /** The generator that initialises `name` (also used for other seeded draws of a part). */
  rngFor(name: string): Rng {
    return new Rng(this.seedFor(name));
  }

  create(name: string, shape: number[], init: Init, group: ParamGroup, trainable = true): tf.Variable {
    if (this.entries.has(name)) throw new Error(`ParamStore: variable '${name}' defined twice`);
    const size = shape.reduce((a, b) => a * b, 1);
    const values = this.initialize ? draw(init, size, this.rngFor(name)) : new Float32Array(size);
    const initial = tf.tensor(values, shape, 'float32');
    const variable = tf.variable(initial, trainable, `${this.prefix}/${name}`);
    initial.dispose();
    this.entries.set(name, { variable, group });
    return variable;
  }

  /**
   * Registers a variable a tfjs-layers layer created and initialised itself (with an initialiser
   * seeded by seedFor(name), so its values are what `create` would draw).
   */
  register(name: string, variable: tf.Variable, group: ParamGroup): void {
    if (this.entries.has(name)) throw new Error(`ParamStore: variable '${name}' defined twice`);
    this.entries.set(name, { variable, group });
  }

  /**
   * Freezes a variable: it stops being trainable (no gradient, no optimiser state) and is not a
   * state the forward pass updates either; it is still saved and loaded like every variable.
   */
  freeze(name: string): void {
    const e = this.entries.get(name);
    if (e === undefined) throw new Error(`ParamStore: no variable '${name}'`);
    e.variable.trainable = false;
    e.frozen = true;
  }

  /** Stable names of the frozen variables, in creation order. */
  frozenNames(): string[] {
    return [...this.entries].filter(([, e]) => e.frozen === true).map(([name]) => name);
  }

  get(name: string): tf.Variable {
    const e = this.entries.get(name);
    if (e === undefined) throw new Error(`ParamStore: no variable '${name}'`);
    return e.variable;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Every variable by stable name, in creation order (trainable and BatchNorm statistics). */
  named(): Map<string, tf.Variable> {
    return new Map([...this.entries].map(([k, e]) => [k, e.variable]));
  }

  /** Trainable variables of one group, in creation order. */
  trainable(group: ParamGroup): tf.Variable[] {
    return [...this.entries.values()].filter((e) => e.group === group && e.variable.trainable).map((e) => e.variable);
  }

  /** Stable names with their group and trainability (for summaries). */
  describe(): { name: string; group: ParamGroup; trainable: boolean; size: number }[] {
    return [...this.entries].map(([name, e]) => ({ name, group: e.group, trainable: e.variable.trainable, size: e.variable.size }));
  }

  dispose(): void {
    for (const e of this.entries.values()) if (!e.variable.isDisposed) e.variable.dispose();
    this.entries.clear();
  }
}
