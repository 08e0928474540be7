/**
 * Parameter counts of an RVOS model by part, counted like PyTorch's `sum(p.numel())`: trainable
 * parameters (BatchNorm scale/offset included), BatchNorm moving statistics listed apart.
 */
import type { RVOSModel } from './rvos_model.js';

export type ModelPart = 'encoder' | 'skip' | 'decoder' | 'objectness';

export interface PartCount {
  part: ModelPart;
  /** Trainable parameters. */
  params: number;
  /** Non-trainable values (BatchNorm moving mean/variance). */
  buffers: number;
  /** Number of variables. */
  variables: number;
}

export function partOf(name: string): ModelPart {
  const head = name.slice(0, name.indexOf('/'));
  if (head === 'encoder' || head === 'skip' || head === 'decoder' || head === 'objectness') return head;
  // The foreground head (model.inputs: foreground) feeds the decoder's slots; counted with them.
  if (head === 'foreground') return 'decoder';
  throw new Error(`partOf: variable '${name}' belongs to no known part`);
}

export function parameterCounts(model: RVOSModel): PartCount[] {
  const parts: ModelPart[] = ['encoder', 'skip', 'decoder', 'objectness'];
  const counts = new Map(parts.map((p) => [p, { part: p, params: 0, buffers: 0, variables: 0 }]));
  for (const v of model.describeVariables()) {
    const c = counts.get(partOf(v.name))!;
    if (v.trainable) c.params += v.size;
    else c.buffers += v.size;
    c.variables++;
  }
  return [...counts.values()].filter((c) => c.variables > 0);
}
