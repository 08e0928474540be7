/**
 * Hydra-style composition: defaults list → merged tree → command-line value overrides →
 * interpolation → mandatory check → schema validation. Every step keeps provenance so that
 * errors name the key and the file:line (or the override) that set it.
 */
import path from 'node:path';
import { Document, isScalar, visit } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../utils/errors.js';
import type { ConfigFile } from './config_file.js';
import { buildPlan, isGroup, type GroupOverride } from './defaults_list.js';
import { resolveInterpolations } from './interpolation.js';
import { parseOverride, type Override } from './overrides.js';
import { RvosConfigSchema, type RvosConfig } from './schema.js';
import { didYouMean } from './suggest.js';
import {
  allKeys,
  deleteAt,
  describeSource,
  emptyMap,
  fromValue,
  getAt,
  keyString,
  mergeAt,
  setAt,
  toPlain,
  type CfgNode,
  type MapNode,
  type Source,
} from './tree.js';
import { validateTree } from './validate.js';

export interface Composed<T> {
  /** The resolved, validated, typed config. */
  config: T;
  /** The command-line overrides it was composed with, as given. */
  overrides: string[];
  /** group → option chosen (groups set to null are left out). */
  choices: Record<string, string>;
  /** The resolved config as YAML (what .hydra/config.yaml holds). */
  toYaml(): string;
  /** Where a key's value was set: "configs/model/small.yaml:3" or "command-line override '...'". */
  sourceOf(key: string): string | undefined;
}

export type ComposedConfig = Composed<RvosConfig>;

export interface ComposeOptions {
  configDir: string;
  /** The primary config's name without .yaml (default 'config'). */
  configName?: string;
  overrides?: string[];
}

/** Composes configs/<configName>.yaml with its defaults and the overrides into an RvosConfig. */
export function composeConfig(opts: ComposeOptions): ComposedConfig {
  return composeWithSchema(RvosConfigSchema, opts);
}

/** composeConfig against another schema (e.g. an extended RvosConfigSchema). */
export function composeWithSchema<S extends z.ZodType>(schema: S, opts: ComposeOptions): Composed<z.output<S>> {
  const configDir = path.resolve(opts.configDir);
  const overrides = opts.overrides ?? [];
  const parsed = overrides.map(parseOverride);
  const groupOps: GroupOverride[] = [];
  const valueOps: Override[] = [];
  for (const o of parsed) {
    if (isGroup(configDir, o.key)) groupOps.push(toGroupOverride(o));
    else valueOps.push(o);
  }
  const plan = buildPlan(configDir, opts.configName ?? 'config', groupOps);
  const root = emptyMap({ kind: 'internal', what: 'the composed config' });
  for (const { file, pkg } of plan.merges) {
    checkExperimentHeader(configDir, file);
    mergeAt(root, pkg, file.content, file.content.source);
  }
  for (const o of valueOps) applyValueOverride(root, o);
  const resolved = resolveInterpolations(root);
  const config = validateTree(schema, resolved);
  const choices: Record<string, string> = {};
  for (const [group, c] of plan.choices) if (c.option !== null) choices[group] = c.option;
  return makeComposed(config, [...overrides], choices, resolved);
}

/** Wraps a validated config and its provenance tree into the Composed interface. */
export function makeComposed<T>(config: T, overrides: string[], choices: Record<string, string>, tree: MapNode): Composed<T> {
  return {
    config,
    overrides,
    choices,
    toYaml: () => toYamlText(config),
    sourceOf: (key: string) => {
      const node = getAt(tree, key.split('.'));
      return node === undefined ? undefined : describeSource(node.source);
    },
  };
}

/** Experiment files set keys across groups, so they must be `# @package _global_` (as in Hydra's docs). */
function checkExperimentHeader(configDir: string, file: ConfigFile): void {
  const inExperiments = path.relative(path.join(configDir, 'experiment'), file.file);
  if (inExperiments.startsWith('..') || file.packageHeader !== null || file.content.entries.size === 0) return;
  throw new ConfigError(
    `${describeSource({ kind: 'file', file: file.file, line: 1 })}: an experiment config must start with the line '# @package _global_' so its keys (model:, train: ...) apply to the whole config.`,
  );
}

function toGroupOverride(o: Override): GroupOverride {
  if (o.value !== undefined && o.value !== null && typeof o.value !== 'string') {
    throw new ConfigError(`Override '${o.text}': '${o.key}' is a config group, so its value must be an option name (or null).`);
  }
  return { op: o.op, group: o.key, option: (o.value as string | null | undefined) ?? null, text: o.text };
}

/** Applies `a.b=v`, `+a.b=v`, `++a.b=v` or `~a.b[=v]` to the merged tree. */
function applyValueOverride(root: MapNode, o: Override): void {
  const source: Source = { kind: 'override', text: o.text };
  const keyPath = o.key.split('.');
  const existing = getAt(root, keyPath);
  const hint = () => didYouMean(o.key, allKeys(root));
  if (o.op === 'set' && existing === undefined) {
    throw new ConfigError(`Could not override '${o.key}' (command-line override '${o.text}'): no such key.${hint()} To add a new key use +${o.key}=${o.raw}.`);
  }
  if (o.op === 'add' && existing !== undefined) {
    throw new ConfigError(
      `Could not add '${o.key}' (command-line override '${o.text}'): it already exists (set at ${describeSource(existing.source)}). Use ${o.key}=${o.raw} to change it, or ++${o.key}=${o.raw}.`,
    );
  }
  if (o.op === 'delete') {
    if (existing === undefined) throw new ConfigError(`Could not delete '${o.key}' (command-line override '${o.text}'): no such key.${hint()}`);
    if (o.raw !== undefined && !sameValue(existing, o.value)) {
      throw new ConfigError(
        `Could not delete '${o.key}' (command-line override '${o.text}'): its value is ${JSON.stringify(toPlain(existing))}, not ${o.raw}.`,
      );
    }
    deleteAt(root, keyPath);
    return;
  }
  const parent = getAt(root, keyPath.slice(0, -1));
  const index = Number(keyPath[keyPath.length - 1]);
  if (parent?.kind === 'seq' && existing !== undefined) {
    parent.items[index] = fromValue(o.value, source);
    return;
  }
  if (parent !== undefined && parent.kind !== 'map') {
    throw new ConfigError(
      `Could not set '${o.key}' (command-line override '${o.text}'): '${keyString(keyPath.slice(0, -1))}' is not a mapping (set at ${describeSource(parent.source)}).`,
    );
  }
  setAt(root, keyPath, fromValue(o.value, source), source);
}

function sameValue(node: CfgNode, value: unknown): boolean {
  return JSON.stringify(toPlain(node)) === JSON.stringify(value);
}

/** YAML with short scalar lists kept on one line (`size: [96, 96]`), as a person writes them. */
export function toYamlText(value: unknown): string {
  const doc = new Document(value);
  visit(doc, {
    Seq(_, node) {
      if (node.items.every((item) => isScalar(item))) node.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}
