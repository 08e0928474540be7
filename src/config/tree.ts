/**
 * The config tree with provenance. Every node remembers where it was set (a file and line, or a
 * command-line override), so that an error about any key can point at the place to fix it.
 * Merging follows OmegaConf: mappings merge key by key; lists and scalars are replaced whole.
 */
import path from 'node:path';
import { isMap, isScalar, isSeq, type LineCounter, type Node as YamlNode } from 'yaml';
import { ConfigError } from '../utils/errors.js';

export type Source = { kind: 'file'; file: string; line: number } | { kind: 'override'; text: string } | { kind: 'internal'; what: string };

export type Scalar = string | number | boolean | null;
export interface ScalarNode {
  kind: 'scalar';
  value: Scalar;
  source: Source;
}
export interface SeqNode {
  kind: 'seq';
  items: CfgNode[];
  source: Source;
}
export interface MapNode {
  kind: 'map';
  entries: Map<string, CfgNode>;
  source: Source;
}
export type CfgNode = ScalarNode | SeqNode | MapNode;
export type KeyPath = (string | number)[];

/** The value OmegaConf uses for "mandatory, must be set before use". */
export const MISSING = '???';

/** A file path as the user should see it: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** "configs/model/small.yaml:3" or "command-line override 'model.hidden=64'". */
export function describeSource(source: Source): string {
  if (source.kind === 'file') return `${displayPath(source.file)}:${source.line}`;
  if (source.kind === 'override') return `command-line override '${source.text}'`;
  return source.what;
}

export function keyString(keyPath: KeyPath): string {
  return keyPath.length === 0 ? '<root>' : keyPath.map(String).join('.');
}

export function emptyMap(source: Source): MapNode {
  return { kind: 'map', entries: new Map(), source };
}

/** Converts a parsed YAML node (from parseDocument) into a tree whose nodes carry file:line. */
export function fromYaml(node: YamlNode | null | undefined, file: string, lines: LineCounter, fallbackLine = 1): CfgNode {
  const lineOf = (n: YamlNode | null | undefined) => (n?.range ? lines.linePos(n.range[0]).line : fallbackLine);
  const source: Source = { kind: 'file', file, line: lineOf(node) };
  if (node === null || node === undefined) return { kind: 'scalar', value: null, source };
  if (isMap(node)) {
    const entries = new Map<string, CfgNode>();
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const keyLine = lineOf(keyNode);
      entries.set(key, fromYaml(pair.value as YamlNode | null, file, lines, keyLine));
      // A key's provenance is the key's own line (where a user looks for it), even for a block value.
      const child = entries.get(key)!;
      child.source = { kind: 'file', file, line: keyLine };
    }
    return { kind: 'map', entries, source };
  }
  if (isSeq(node)) {
    return { kind: 'seq', items: node.items.map((item) => fromYaml(item as YamlNode, file, lines, source.line)), source };
  }
  if (isScalar(node)) return { kind: 'scalar', value: toScalar(node.value, file, source.line), source };
  throw new ConfigError(
    `${displayPath(file)}:${source.line}: unsupported YAML node (aliases and tags are not supported in configs); write the value out in full.`,
  );
}

function toScalar(value: unknown, file: string, line: number): Scalar {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  throw new ConfigError(`${displayPath(file)}:${line}: unsupported YAML value ${String(value)}; use a string, number, boolean or null.`);
}

/** Builds a tree from a plain JS value (a command-line override value), all nodes from `source`. */
export function fromValue(value: unknown, source: Source): CfgNode {
  if (Array.isArray(value)) return { kind: 'seq', items: value.map((v) => fromValue(v, source)), source };
  if (value !== null && typeof value === 'object') {
    const entries = new Map<string, CfgNode>();
    for (const [k, v] of Object.entries(value)) entries.set(k, fromValue(v, source));
    return { kind: 'map', entries, source };
  }
  if (value === undefined) return { kind: 'scalar', value: null, source };
  return { kind: 'scalar', value: value as Scalar, source };
}

export function toPlain(node: CfgNode): unknown {
  if (node.kind === 'scalar') return node.value;
  if (node.kind === 'seq') return node.items.map(toPlain);
  const out: Record<string, unknown> = {};
  for (const [k, v] of node.entries) out[k] = toPlain(v);
  return out;
}

export function cloneNode(node: CfgNode): CfgNode {
  if (node.kind === 'scalar') return { ...node };
  if (node.kind === 'seq') return { ...node, items: node.items.map(cloneNode) };
  return { ...node, entries: new Map([...node.entries].map(([k, v]) => [k, cloneNode(v)])) };
}

/** Merges `src` over `dst` (OmegaConf semantics) and returns the result; `dst` may be mutated. */
export function merge(dst: CfgNode | undefined, src: CfgNode): CfgNode {
  if (dst === undefined || dst.kind !== 'map' || src.kind !== 'map') return cloneNode(src);
  for (const [k, v] of src.entries) dst.entries.set(k, merge(dst.entries.get(k), v));
  return dst;
}

function child(node: CfgNode | undefined, key: string | number): CfgNode | undefined {
  if (node === undefined) return undefined;
  if (node.kind === 'map') return node.entries.get(String(key));
  if (node.kind === 'seq') {
    const index = typeof key === 'number' ? key : /^\d+$/.test(key) ? Number(key) : -1;
    return index >= 0 ? node.items[index] : undefined;
  }
  return undefined;
}

export function getAt(root: CfgNode, keyPath: KeyPath): CfgNode | undefined {
  let node: CfgNode | undefined = root;
  for (const key of keyPath) node = child(node, key);
  return node;
}

/** Sets `keyPath` to `value`, creating missing parent mappings (attributed to `source`). */
export function setAt(root: MapNode, keyPath: string[], value: CfgNode, source: Source): void {
  let node: MapNode = root;
  for (const key of keyPath.slice(0, -1)) {
    let next = node.entries.get(key);
    if (next === undefined || next.kind !== 'map') {
      next = emptyMap(source);
      node.entries.set(key, next);
    }
    node = next;
  }
  node.entries.set(keyPath[keyPath.length - 1]!, value);
}

/** Merges `content` into `root` at `keyPath` (a package); the empty path is the root itself. */
export function mergeAt(root: MapNode, keyPath: string[], content: CfgNode, source: Source): void {
  if (keyPath.length === 0) {
    if (content.kind !== 'map') throw new ConfigError(`${describeSource(content.source)}: a config merged at the top level must be a mapping of keys.`);
    merge(root, content);
    return;
  }
  setAt(root, keyPath, merge(getAt(root, keyPath), content), source);
}

/** Removes the key at `keyPath`; returns false when there was nothing there. */
export function deleteAt(root: CfgNode, keyPath: string[]): boolean {
  const parent = getAt(root, keyPath.slice(0, -1));
  const last = keyPath[keyPath.length - 1]!;
  if (parent?.kind === 'map') return parent.entries.delete(last);
  if (parent?.kind === 'seq' && /^\d+$/.test(last) && Number(last) < parent.items.length) {
    parent.items.splice(Number(last), 1);
    return true;
  }
  return false;
}

/** Every leaf (scalar, empty list or empty map) with its path, depth-first in key order. */
export function* leaves(node: CfgNode, prefix: KeyPath = []): Generator<[KeyPath, CfgNode]> {
  if (node.kind === 'map' && node.entries.size > 0) {
    for (const [k, v] of node.entries) yield* leaves(v, [...prefix, k]);
  } else if (node.kind === 'seq' && node.items.length > 0) {
    for (let i = 0; i < node.items.length; i++) yield* leaves(node.items[i]!, [...prefix, i]);
  } else {
    yield [prefix, node];
  }
}

/** Every key path present in the tree (mappings and leaves), for "did you mean" suggestions. */
export function allKeys(node: CfgNode, prefix: string[] = []): string[] {
  if (node.kind !== 'map') return [];
  const out: string[] = [];
  for (const [k, v] of node.entries) {
    out.push([...prefix, k].join('.'));
    out.push(...allKeys(v, [...prefix, k]));
  }
  return out;
}
