/**
 * Assignment of predicted slots to ground-truth objects for zero-shot training (RVOS: Hungarian
 * matching with cost 1 − softIoU, computed on the first frame of a clip and kept for the clip).
 * Works on downloaded probabilities: the assignment is a discrete choice, not differentiated.
 */
import { hungarian } from '../utils/hungarian.js';
import { SOFT_IOU_EPSILON } from '../models/losses.js';

/**
 * Soft-IoU cost between every slot and every object of one batch item.
 * probs and targets: [H*W*S] laid out as [H, W, S] (NHWC without batch). Returns cost[slot][object].
 */
export function softIoUCostMatrix(probs: Float32Array, targets: Float32Array, slots: number, objects: number): number[][] {
  const pixels = probs.length / slots;
  const inter = Array.from({ length: slots }, () => new Float64Array(objects));
  const sumP = new Float64Array(slots);
  const sumY = new Float64Array(objects);
  for (let i = 0; i < pixels; i++) {
    const pBase = i * slots;
    const yBase = i * objects;
    for (let o = 0; o < objects; o++) sumY[o]! += targets[yBase + o]!;
    for (let s = 0; s < slots; s++) {
      const p = probs[pBase + s]!;
      sumP[s]! += p;
      if (p === 0) continue;
      const row = inter[s]!;
      for (let o = 0; o < objects; o++) row[o]! += p * targets[yBase + o]!;
    }
  }
  return inter.map((row, s) => Array.from(row, (pi, o) => 1 - pi / (sumP[s]! + sumY[o]! - pi + SOFT_IOU_EPSILON)));
}

/**
 * Matches slots to the objects that exist in the clip. `objectExists[o]` says whether object
 * channel o holds an object anywhere in the clip (absent channels are never assigned). Objects
 * present in the clip but empty in the matching frame still get a slot (cost 1 to every slot), so
 * they are supervised when they appear. Returns slotToObject[s] = object channel or −1.
 */
export function matchSlots(cost: number[][], objectExists: boolean[]): number[] {
  const columns = objectExists.flatMap((exists, o) => (exists ? [o] : []));
  const slotToObject = new Array<number>(cost.length).fill(-1);
  if (columns.length === 0) return slotToObject;
  const reduced = cost.map((row) => columns.map((o) => row[o]!));
  const assignment = hungarian(reduced);
  assignment.forEach((col, slot) => {
    if (col >= 0) slotToObject[slot] = columns[col]!;
  });
  return slotToObject;
}

/**
 * One-hot permutation [S_obj, S_slot] as a flat row-major array: entry (o, s) is 1 when slot s is
 * matched to object channel o. Multiplying targets [HW, S_obj] by it gives slot-ordered targets.
 */
export function assignmentMatrix(slotToObject: number[], objects: number): Float32Array {
  const slots = slotToObject.length;
  const m = new Float32Array(objects * slots);
  slotToObject.forEach((o, s) => {
    if (o >= 0) m[o * slots + s] = 1;
  });
  return m;
}

/**
 * A fixed slot order instead of a fitted one: the existing objects sorted by `area` (largest
 * first; ties and objects with no area there by `fallbackArea`, then by channel), slot k gets the
 * k-th. Returns slotToObject[s] = object channel or −1, like matchSlots.
 */
export function largestFirst(area: number[], fallbackArea: number[], objectExists: boolean[]): number[] {
  const order = objectExists.flatMap((exists, o) => (exists ? [o] : [])).sort((a, b) => area[b]! - area[a]! || fallbackArea[b]! - fallbackArea[a]! || a - b);
  return Array.from({ length: objectExists.length }, (_, s) => order[s] ?? -1);
}
