/**
 * Run folders saved under older key names. A renamed or folded key is read from an old run's
 * `.hydra/` record here, and only here: a fresh config that uses an old name is an unknown key
 * (with a "did you mean"), so each idea keeps one name from YAML to code.
 *
 * - train.matching (first_frame | every_frame) is now train.slot_assignment, apart from
 *   model.matching (the FEELVOS maps).
 */
import type { CfgNode, MapNode } from './tree.js';

/** Old key → new key inside a section, values unchanged. */
const RENAMED: Record<string, Record<string, string>> = {
  train: { matching: 'slot_assignment' },
};

/** Rewrites an old run's saved config tree (as read from config.yaml) in place to today's keys. */
export function upgradeRunTree(root: MapNode): MapNode {
  for (const [section, renames] of Object.entries(RENAMED)) {
    const node = root.entries.get(section);
    if (node?.kind !== 'map') continue;
    for (const [from, to] of Object.entries(renames)) renameEntry(node, from, to);
  }
  return root;
}

/** Rewrites an old run's saved command-line overrides to today's keys (they are re-applied by `train --from`). */
export function upgradeRunOverrides(overrides: string[]): string[] {
  return overrides.map((o) => {
    const m = /^(\+{0,2})([^=~]+)(=.*)?$/.exec(o);
    if (m === null) return o;
    const [, plus, key, rest] = m;
    const dot = key!.indexOf('.');
    if (dot < 0) return o;
    const to = RENAMED[key!.slice(0, dot)]?.[key!.slice(dot + 1)];
    return to === undefined ? o : `${plus}${key!.slice(0, dot)}.${to}${rest ?? ''}`;
  });
}

/** Renames `from` to `to`, keeping the entry's place and its provenance (errors still point at the saved line). */
function renameEntry(map: MapNode, from: string, to: string): void {
  if (!map.entries.has(from) || map.entries.has(to)) return;
  const entries = new Map<string, CfgNode>();
  for (const [k, v] of map.entries) entries.set(k === from ? to : k, v);
  map.entries = entries;
}
