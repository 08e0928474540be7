/**
 * Command-line overrides in Hydra's grammar: `a.b=v` (change), `+a.b=v` (add), `++a.b=v` (add or
 * change), `~a.b` / `~a.b=v` (delete), and `group=option` for config groups. Values are read as
 * YAML scalars, flow lists or flow mappings; quotes make a string.
 */
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../utils/errors.js';

export type OverrideOp = 'set' | 'add' | 'force' | 'delete';

export interface Override {
  op: OverrideOp;
  /** `model.hidden`, or a group path such as `model` / `model/sub`. */
  key: string;
  /** The value as written (after '='); undefined for `~key` without a value. */
  raw: string | undefined;
  /** The parsed value (undefined when raw is undefined). */
  value: unknown;
  /** The whole override as the user typed it. */
  text: string;
}

const KEY = /^[A-Za-z0-9_\-./[\]]+$/;

/** Parses one override string; throws ConfigError with the fix when it cannot be read. */
export function parseOverride(text: string): Override {
  const prefix = /^(\+\+|\+|~)/.exec(text)?.[0] ?? '';
  const op: OverrideOp = prefix === '++' ? 'force' : prefix === '+' ? 'add' : prefix === '~' ? 'delete' : 'set';
  const rest = text.slice(prefix.length);
  const eq = rest.indexOf('=');
  const key = (eq < 0 ? rest : rest.slice(0, eq)).trim();
  const raw = eq < 0 ? undefined : rest.slice(eq + 1);
  if (key === '' || !KEY.test(key)) {
    throw new ConfigError(`Cannot read override '${text}': expected key=value, +key=value, ++key=value or ~key (keys are dotted paths like model.hidden).`);
  }
  if (raw === undefined && op !== 'delete') {
    throw new ConfigError(`Override '${text}' has no value: write ${key}=VALUE (or ~${key} to delete the key).`);
  }
  if (raw !== undefined && splitTopLevel(raw).length > 1) {
    throw new ConfigError(
      `Ambiguous value in override '${text}': a comma-separated list is a sweep. Run with -m/--multirun to sweep, or quote the value ('${key}="${raw}"') or write a list ([${raw}]).`,
    );
  }
  return { op, key, raw, value: raw === undefined ? undefined : parseOverrideValue(raw, text), text };
}

/** Reads an override value: '' → '', quoted → string, [..]/{..} → list/map, else a YAML scalar. */
export function parseOverrideValue(raw: string, text = raw): unknown {
  const trimmed = raw.trim();
  if (trimmed === '') return '';
  // Interpolations are not YAML: stash them behind placeholders so flow lists can hold them.
  const stash: string[] = [];
  const masked = replaceInterpolations(trimmed, (expr) => `\uE000${stash.push(expr) - 1}\uE000`);
  const structured = masked.startsWith('[') || masked.startsWith('{');
  // Hydra's grammar allows {a:1}; YAML needs a space after the colon.
  const yamlText = structured ? masked.replace(/([{,]\s*[A-Za-z_][\w.-]*):(?=[^\s])/g, '$1: ') : masked;
  let parsed: unknown;
  try {
    parsed = parseYaml(yamlText, { uniqueKeys: true });
  } catch (err) {
    if (structured) throw new ConfigError(`Cannot read the value of override '${text}': ${(err as Error).message.split('\n')[0]}`);
    return trimmed;
  }
  if (!structured && parsed !== null && typeof parsed === 'object') return trimmed;
  return restore(parsed, stash);
}

function restore(value: unknown, stash: string[]): unknown {
  if (typeof value === 'string') return value.replace(/\uE000(\d+)\uE000/g, (_, i: string) => stash[Number(i)]!);
  if (Array.isArray(value)) return value.map((v) => restore(v, stash));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, restore(v, stash)]));
  }
  return value;
}

/** Replaces every top-level `${...}` (balanced braces) in `s` with `replace(expr)`. */
export function replaceInterpolations(s: string, replace: (expr: string) => string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    if (s.startsWith('${', i)) {
      const end = matchingBrace(s, i + 1);
      if (end < 0) return out + s.slice(i);
      out += replace(s.slice(i, end + 1));
      i = end + 1;
    } else {
      out += s[i++];
    }
  }
  return out;
}

/** Index of the `}` closing the `{` at `open`, or -1. */
export function matchingBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/**
 * Splits on `sep` outside quotes, brackets, braces and parentheses:
 * `1,'a,b',[3,4]` → [`1`, `'a,b'`, `[3,4]`].
 */
export function splitTopLevel(s: string, sep = ','): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote !== null) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '[' || c === '{' || c === '(') depth++;
    else if (c === ']' || c === '}' || c === ')') depth--;
    else if (c === sep && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}
