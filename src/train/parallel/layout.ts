/**
 * Where each variable lives in a flat float32 buffer shared between threads, and the copies in
 * and out of it. Values are always copied (never aliased): a backend may keep the array it is
 * given (cpu does), and the shared buffer is overwritten every step.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface VariableSlot {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

export interface Layout {
  slots: VariableSlot[];
  /** Total float32 entries. */
  length: number;
}

/** Slots for the named variables, back to back from `start`. */
export function layoutOf(names: readonly string[], variables: Map<string, tf.Variable>, start = 0): Layout {
  let offset = start;
  const slots = names.map((name) => {
    const v = variables.get(name)!;
    const slot = { name, shape: [...v.shape], offset, size: v.size };
    offset += v.size;
    return slot;
  });
  return { slots, length: offset - start };
}

/** Copies the variables' current values into `buffer`. */
export function writeVariables(layout: Layout, variables: Map<string, tf.Variable>, buffer: Float32Array): void {
  for (const s of layout.slots) buffer.set(variables.get(s.name)!.dataSync() as Float32Array, s.offset);
}

/** Assigns the values in `buffer` to the variables. */
export function assignVariables(layout: Layout, variables: Map<string, tf.Variable>, buffer: Float32Array): void {
  for (const s of layout.slots) {
    const value = tf.tensor(buffer.slice(s.offset, s.offset + s.size), s.shape);
    variables.get(s.name)!.assign(value);
    value.dispose();
  }
}

/** A copy of one slot's values. */
export function slotValues(slot: VariableSlot, buffer: Float32Array): Float32Array {
  return buffer.slice(slot.offset, slot.offset + slot.size);
}
