/**
 * Schema validation of the resolved tree. Each zod issue becomes one line naming the key, where
 * its value was set (file:line or command-line override) and what to do about it.
 */
import type { z } from 'zod';
import { ConfigError } from '../utils/errors.js';
import { didYouMean } from './suggest.js';
import { describeSource, getAt, keyString, leaves, MISSING, toPlain, type CfgNode, type KeyPath, type MapNode } from './tree.js';

/** One line per `???` still in the tree, naming where it was declared. */
function missingValues(root: MapNode): { lines: string[]; paths: Set<string> } {
  const lines: string[] = [];
  const paths = new Set<string>();
  for (const [keyPath, node] of leaves(root)) {
    if (node.kind === 'scalar' && node.value === MISSING) {
      const key = keyString(keyPath);
      paths.add(key);
      lines.push(`${key} (${describeSource(node.source)}): missing mandatory value (???); set it, e.g. on the command line: ${key}=VALUE.`);
    }
  }
  return { lines, paths };
}

/**
 * Validates the tree against `schema`: every `???` left and every schema problem go into one
 * ConfigError (one line each). Returns the parsed value.
 */
export function validateTree<S extends z.ZodType>(schema: S, root: MapNode): z.output<S> {
  const missing = missingValues(root);
  const result = schema.safeParse(toPlain(root));
  if (result.success && missing.lines.length === 0) return result.data as z.output<S>;
  const issues = result.success ? [] : result.error.issues;
  const problems = issues
    .filter((issue) => !missing.paths.has(keyString(issue.path.filter((p): p is string | number => typeof p !== 'symbol'))))
    .flatMap((issue) => describeIssue(schema, root, issue));
  throw new ConfigError(formatProblems([...missing.lines, ...problems]));
}

function formatProblems(lines: string[]): string {
  return lines.length === 1 ? `Invalid config: ${lines[0]}` : `Invalid config (${lines.length} problems):\n  - ${lines.join('\n  - ')}`;
}

function describeIssue(schema: z.ZodType, root: MapNode, issue: z.core.$ZodIssue): string[] {
  const keyPath = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(schema, keyPath, (p) => {
      const n = getAt(root, p);
      return n?.kind === 'scalar' ? n.value : undefined;
    });
    return issue.keys.map((key) => {
      const p = [...keyPath, key];
      const node = getAt(root, p);
      const where = node === undefined ? '' : ` (${describeSource(node.source)})`;
      return `${keyString(p)}${where}: unknown key.${didYouMean(key, known)} Known keys here: ${known.join(', ')}. Remove or rename it.`;
    });
  }
  const node = getAt(root, keyPath);
  if (node === undefined) {
    const parentPath = keyPath.slice(0, -1);
    const parent = getAt(root, parentPath);
    const where = parent === undefined || parentPath.length === 0 ? '' : ` in '${keyString(parentPath)}' (${describeSource(parent.source)})`;
    // A custom check of an absent key says why the key is needed.
    if (issue.code === 'custom') return [`${keyString(keyPath)}: missing${where}; ${issue.message}.`];
    return [`${keyString(keyPath)}: required key is missing${where}; add it.`];
  }
  const at = `${keyString(keyPath)} (${describeSource(node.source)})`;
  if (issue.code === 'invalid_type') return [`${at}: expected ${issue.expected}, got ${describeValue(node)}. Fix the value.`];
  if (issue.code === 'invalid_value') {
    return [`${at}: got ${describeValue(node)}; expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}.`];
  }
  return [`${at}: ${issue.message}; got ${describeValue(node)}. Fix the value.`];
}

function describeValue(node: CfgNode): string {
  if (node.kind === 'map') return 'a mapping';
  if (node.kind === 'seq') return `a list ${JSON.stringify(toPlain(node))}`;
  return node.value === null ? 'null' : `${typeof node.value} ${JSON.stringify(node.value)}`;
}

type DefLike = {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  items?: z.ZodType[];
  options?: z.ZodType[];
  discriminator?: string;
};

function def(schema: z.ZodType): DefLike {
  return schema._zod.def as unknown as DefLike;
}

/** Strips nullable/optional/default/pipe wrappers. */
function unwrap(schema: z.ZodType): z.ZodType {
  const d = def(schema);
  if (d.innerType !== undefined) return unwrap(d.innerType);
  if (d.type === 'pipe' && d.in !== undefined) return unwrap(d.in);
  return schema;
}

/**
 * The keys an object schema accepts at `keyPath` (for "did you mean"). For a discriminated union
 * (launcher: basic/local or slurm) the option is chosen by the discriminator's value in the config.
 */
export function knownKeys(schema: z.ZodType, keyPath: KeyPath, valueAt?: (path: KeyPath) => unknown): string[] {
  let s: z.ZodType | undefined = unwrap(schema);
  for (const key of keyPath) {
    const d: DefLike = def(s);
    if (d.type === 'object') s = d.shape?.[String(key)];
    else if (d.type === 'array') s = d.element;
    else if (d.type === 'tuple') s = d.items?.[Number(key)];
    else s = undefined;
    if (s === undefined) return [];
    s = unwrap(s);
  }
  let d = def(s);
  const tag = d.discriminator;
  if (d.type === 'union' && tag !== undefined && valueAt !== undefined) {
    const value = valueAt([...keyPath, tag]);
    const option = d.options?.find((o) => (def(o).shape?.[tag] as { _zod?: { values?: Set<unknown> } } | undefined)?._zod?.values?.has(value));
    if (option !== undefined) d = def(option);
  }
  return d.type === 'object' && d.shape ? Object.keys(d.shape) : [];
}
