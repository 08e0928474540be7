/**
 * Run folders saved under older key names. A renamed or folded key is read from an old run's
 * `.hydra/` record here, and only here: a fresh config that uses an old name is an unknown key
 * (with a "did you mean"), so each idea keeps one name from YAML to code.
 *
 * - train.matching (first_frame | every_frame) is now train.slot_assignment, apart from
 *   model.matching (the FEELVOS maps).
 * - model.mobile_prior.prior_input (binary | soft) is now model.mobile_prior.previous_mask, the
 *   word and values of eval.previous_mask.
 * - train.objectness_loss / train.empty_slot_loss (on/off beside a weight) are folded into
 *   train.objectness_weight / train.empty_slot_weight: a term is on when its weight is > 0.
 * - a one-shot run's model.inputs may name zero-shot inputs the model left out (slot_canvas,
 *   foreground; today a config error): they are dropped, the model is the same.
 * - a baseline family's run (model.family other than rvos) saved model.hidden and
 *   model.objectness, which every model option had to set and no baseline read: they are dropped
 *   (with the overrides that set them), as today's baseline configs have neither.
 */
import { ONE_SHOT_IGNORED_INPUTS, type DecoderInput } from '../models/names.js';
import type { CfgNode, MapNode, ScalarNode } from './tree.js';

/** Old key → new key inside a section, values unchanged. */
const RENAMED: Record<string, Record<string, string>> = {
  train: { matching: 'slot_assignment' },
  'model.mobile_prior': { prior_input: 'previous_mask' },
};

/**
 * train.<switch> folded into train.<weight>: switch off = weight 0. The weight a run saved
 * without one ran at (empty_slot_weight came after empty_slot_loss, at 1; objectness_weight came with its switch).
 */
const FOLDED: { switch: string; weight: string; missingWeight: number | null }[] = [
  { switch: 'objectness_loss', weight: 'objectness_weight', missingWeight: null },
  { switch: 'empty_slot_loss', weight: 'empty_slot_weight', missingWeight: 1 },
];

/**
 * An old run's saved record read under today's keys: its config tree (rewritten in place) and its
 * command-line overrides (re-applied by `train --from`, so they must compose to the same config).
 */
export function upgradeRun(root: MapNode, overrides: string[]): { tree: MapNode; overrides: string[] } {
  for (const [section, renames] of Object.entries(RENAMED)) {
    let node: CfgNode | undefined = root;
    for (const part of section.split('.')) node = node?.kind === 'map' ? node.entries.get(part) : undefined;
    if (node?.kind !== 'map') continue;
    for (const [from, to] of Object.entries(renames)) renameEntry(node, from, to);
  }
  let upgraded = overrides.map(renameOverride);
  if (dropRvosOnlyKeys(root)) upgraded = upgraded.filter((o) => !RVOS_ONLY_OVERRIDE.test(o));
  const kept = dropOneShotIgnoredInputs(root);
  // Re-composing the saved overrides would name them again: the kept list is set after them.
  if (kept !== undefined) upgraded = [...upgraded, `model.inputs=[${kept.join(',')}]`];
  const train = root.entries.get('train');
  if (train?.kind !== 'map') return { tree: root, overrides: upgraded };
  for (const fold of FOLDED) {
    const weight = foldSwitch(train, fold);
    if (weight === undefined) continue;
    // Overrides of the switch or the weight become one override of the weight the run trained
    // with: the weight alone no longer says whether the term was on.
    const touches = (o: string) => new RegExp(`^\\+{0,2}train\\.(${fold.switch}|${fold.weight})=`).test(o);
    const at = upgraded.findIndex(touches);
    if (at < 0) continue;
    const kept = upgraded.filter((o) => !touches(o));
    kept.splice(at, 0, `train.${fold.weight}=${weight}`);
    upgraded = kept;
  }
  return { tree: root, overrides: upgraded };
}

/** Folds train.<switch> into train.<weight> in place; returns the weight, or undefined when the tree has no switch (a current run). */
function foldSwitch(train: MapNode, fold: (typeof FOLDED)[number]): number | undefined {
  const on = train.entries.get(fold.switch);
  if (on?.kind !== 'scalar') return undefined;
  const saved = train.entries.get(fold.weight);
  const savedWeight = saved?.kind === 'scalar' && typeof saved.value === 'number' ? saved.value : fold.missingWeight;
  // A switch that is neither true nor false is left for the schema to report (an unknown key).
  if (typeof on.value !== 'boolean' || savedWeight === null) return undefined;
  const weight = on.value ? savedWeight : 0;
  const node: ScalarNode = { kind: 'scalar', value: weight, source: on.value && saved !== undefined ? saved.source : on.source };
  train.entries.delete(fold.switch);
  train.entries.set(fold.weight, node);
  return weight;
}

/** Keys a baseline run's record may hold that only the rvos family has. */
const RVOS_ONLY = ['hidden', 'objectness'];
const RVOS_ONLY_OVERRIDE = new RegExp(`^\\+{0,2}model\\.(${RVOS_ONLY.join('|')})=`);

/** Drops RVOS-only keys from a baseline run's model section in place; returns whether the run is of a baseline family. */
function dropRvosOnlyKeys(root: MapNode): boolean {
  const model = root.entries.get('model');
  if (model?.kind !== 'map') return false;
  const family = model.entries.get('family');
  if (family?.kind !== 'scalar' || family.value === 'rvos' || typeof family.value !== 'string') return false;
  for (const key of RVOS_ONLY) model.entries.delete(key);
  return true;
}

/** Drops zero-shot-only inputs from a one-shot run's model.inputs in place; returns the inputs kept, or undefined when none was dropped. */
function dropOneShotIgnoredInputs(root: MapNode): string[] | undefined {
  const model = root.entries.get('model');
  if (model?.kind !== 'map') return undefined;
  const mode = model.entries.get('mode');
  const inputs = model.entries.get('inputs');
  if (mode?.kind !== 'scalar' || mode.value !== 'one_shot' || inputs?.kind !== 'seq') return undefined;
  const ignored = (n: CfgNode) => n.kind === 'scalar' && ONE_SHOT_IGNORED_INPUTS.includes(n.value as DecoderInput);
  if (!inputs.items.some(ignored)) return undefined;
  inputs.items = inputs.items.filter((n) => !ignored(n));
  return inputs.items.map((n) => String(n.kind === 'scalar' ? n.value : ''));
}

function renameOverride(o: string): string {
  const m = /^(\+{0,2})([^=~]+)(=.*)?$/.exec(o);
  if (m === null) return o;
  const [, plus, key, rest] = m;
  const dot = key!.lastIndexOf('.');
  if (dot < 0) return o;
  const to = RENAMED[key!.slice(0, dot)]?.[key!.slice(dot + 1)];
  return to === undefined ? o : `${plus}${key!.slice(0, dot)}.${to}${rest ?? ''}`;
}

/** Renames `from` to `to`, keeping the entry's place and its provenance (errors still point at the saved line). */
function renameEntry(map: MapNode, from: string, to: string): void {
  if (!map.entries.has(from) || map.entries.has(to)) return;
  const entries = new Map<string, CfgNode>();
  for (const [k, v] of map.entries) entries.set(k === from ? to : k, v);
  map.entries = entries;
}
