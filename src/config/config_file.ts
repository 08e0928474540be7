/**
 * One YAML config file: its content (with provenance), its `# @package` header and its
 * `defaults:` list, parsed into typed entries. YAML errors (syntax, duplicate keys) become
 * ConfigErrors naming file:line.
 */
import fs from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError } from '../utils/errors.js';
import { describeSource, displayPath, emptyMap, fromYaml, type CfgNode, type MapNode, type Source } from './tree.js';

export type DefaultEntry =
  | { type: 'self'; source: Source }
  /** Another config by name: relative to the including file's group folder, or absolute with '/'. */
  | { type: 'config'; name: string; absolute: boolean; source: Source }
  /** `group: option` (option null = none; '???' = the user must choose), maybe `override`/`optional`. */
  | { type: 'group'; group: string; absolute: boolean; option: string | null; override: boolean; optional: boolean; source: Source };

export interface ConfigFile {
  file: string;
  /** The file's keys without `defaults`. */
  content: MapNode;
  /** null when the file has no defaults list. */
  defaults: DefaultEntry[] | null;
  /** The `# @package X` header, if any. */
  packageHeader: string | null;
}

/** Reads and parses a config file. */
export function loadConfigFile(file: string): ConfigFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read config file ${displayPath(file)}: ${(err as Error).message}`);
  }
  return parseConfigText(text, file);
}

export function parseConfigText(text: string, file: string): ConfigFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const problem = doc.errors[0];
  if (problem !== undefined) {
    const line = lines.linePos(problem.pos[0]).line;
    const what =
      problem.code === 'DUPLICATE_KEY'
        ? `duplicate key '${duplicateKeyName(text, line)}'; keep only one of them`
        : `invalid YAML: ${problem.message.split('\n')[0]}`;
    throw new ConfigError(`${displayPath(file)}:${line}: ${what}.`);
  }
  const root = fromYaml(doc.contents, file, lines);
  let content: MapNode;
  if (root.kind === 'scalar' && root.value === null) content = emptyMap(root.source);
  else if (root.kind === 'map') content = root;
  else throw new ConfigError(`${describeSource(root.source)}: a config file must be a mapping of keys (got a ${root.kind === 'seq' ? 'list' : 'scalar'}).`);

  const defaultsNode = content.entries.get('defaults');
  content.entries.delete('defaults');
  return { file, content, defaults: defaultsNode === undefined ? null : parseDefaults(defaultsNode), packageHeader: packageHeader(text) };
}

/** The key written on a line (`  steps: 5` → steps), for the duplicate-key message. */
function duplicateKeyName(text: string, line: number): string {
  const lineText = text.split('\n')[line - 1] ?? '';
  return /^\s*(?:-\s+)?['"]?([^:'"#]+?)['"]?\s*:/.exec(lineText)?.[1] ?? lineText.trim();
}

/** The `# @package X` directive, which must come before any content. */
function packageHeader(text: string): string | null {
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (!trimmed.startsWith('#')) return null;
    const match = /^#\s*@package\s+(\S+)/.exec(trimmed);
    if (match) return match[1]!;
  }
  return null;
}

function parseDefaults(node: CfgNode): DefaultEntry[] {
  if (node.kind === 'scalar' && node.value === null) return [];
  if (node.kind !== 'seq') throw new ConfigError(`${describeSource(node.source)}: 'defaults' must be a list, e.g. defaults: [base, _self_].`);
  return node.items.map(parseEntry);
}

function parseEntry(item: CfgNode): DefaultEntry {
  const where = describeSource(item.source);
  if (item.kind === 'scalar' && typeof item.value === 'string') {
    if (item.value === '_self_') return { type: 'self', source: item.source };
    const absolute = item.value.startsWith('/');
    return { type: 'config', name: item.value.replace(/^\//, ''), absolute, source: item.source };
  }
  if (item.kind !== 'map' || item.entries.size !== 1) {
    throw new ConfigError(`${where}: a defaults entry must be a config name (base), _self_, or one 'group: option' pair.`);
  }
  const [rawKey, valueNode] = [...item.entries][0]!;
  const words = rawKey.trim().split(/\s+/);
  const keyword = words.length === 2 ? words[0] : undefined;
  if (words.length > 2 || (keyword !== undefined && keyword !== 'override' && keyword !== 'optional')) {
    throw new ConfigError(`${where}: cannot read defaults entry '${rawKey}'; write 'group: option', 'override group: option' or 'optional group: option'.`);
  }
  const groupWord = words[words.length - 1]!;
  if (groupWord.includes('@')) {
    throw new ConfigError(
      `${where}: package overrides in defaults entries ('${groupWord}') are not supported; use a '# @package' header in the option file instead.`,
    );
  }
  if (valueNode.kind !== 'scalar' || (valueNode.value !== null && typeof valueNode.value !== 'string')) {
    throw new ConfigError(`${where}: the option for group '${groupWord}' must be one option name or null.`);
  }
  return {
    type: 'group',
    group: groupWord.replace(/^\//, ''),
    absolute: groupWord.startsWith('/'),
    option: valueNode.value,
    override: keyword === 'override',
    optional: keyword === 'optional',
    source: valueNode.source,
  };
}
