/**
 * OmegaConf-style interpolation over the provenance tree:
 * - `${a.b}` absolute key, `${.b}` sibling, `${..b}` parent's sibling, `${a.list.0}` list item;
 * - a value that is exactly one `${a.b}` takes the target's type (number, list, mapping...);
 *   interpolations inside a longer string are converted to text (`${run.root}/runs`);
 * - `${oc.env:VAR}` / `${oc.env:VAR,default}`: an environment variable. Deviation from
 *   OmegaConf: when it is the whole value, the text is read as a YAML scalar (as oc.decode
 *   would), so `seed: ${oc.env:SEED,123}` is the number 123;
 * - `\${` is a literal `${`.
 */
import { ConfigError } from '../utils/errors.js';
import { matchingBrace, parseOverrideValue, splitTopLevel } from './overrides.js';
import { didYouMean } from './suggest.js';
import { allKeys, describeSource, getAt, keyString, MISSING, type CfgNode, type KeyPath, type MapNode, type ScalarNode, type Source } from './tree.js';

type Part = { literal: string } | { expr: string };

/** Returns a copy of `root` with every interpolation replaced by its value. */
export function resolveInterpolations(root: MapNode): MapNode {
  return new Resolver(root).resolveDeep([], root) as MapNode;
}

export function hasInterpolation(node: CfgNode): node is ScalarNode & { value: string } {
  return node.kind === 'scalar' && typeof node.value === 'string' && node.value.includes('${');
}

class Resolver {
  private readonly memo = new Map<string, CfgNode>();
  private readonly active: string[] = [];

  constructor(private readonly root: MapNode) {}

  resolveDeep(path: KeyPath, node: CfgNode): CfgNode {
    if (hasInterpolation(node)) return this.resolveLeaf(path, node);
    if (node.kind === 'map') {
      const entries = new Map<string, CfgNode>();
      for (const [k, v] of node.entries) entries.set(k, this.resolveDeep([...path, k], v));
      return { ...node, entries };
    }
    if (node.kind === 'seq') return { ...node, items: node.items.map((v, i) => this.resolveDeep([...path, i], v)) };
    return node;
  }

  private resolveLeaf(path: KeyPath, node: ScalarNode & { value: string }): CfgNode {
    const id = keyString(path);
    const done = this.memo.get(id);
    if (done !== undefined) return done;
    if (this.active.includes(id)) {
      const cycle = [...this.active.slice(this.active.indexOf(id)), id].join(' -> ');
      throw new ConfigError(`${id} (${describeSource(node.source)}): interpolation cycle ${cycle}; make one of these keys a plain value.`);
    }
    this.active.push(id);
    try {
      const value = this.evaluate(node.value, path, node.source);
      this.memo.set(id, value);
      return value;
    } finally {
      this.active.pop();
    }
  }

  private evaluate(text: string, path: KeyPath, source: Source): CfgNode {
    const parts = splitParts(text, path, source);
    const only = parts.length === 1 ? parts[0]! : undefined;
    if (only !== undefined && 'expr' in only) return this.evaluateExpr(only.expr, path, source, true);
    let out = '';
    for (const part of parts) {
      if ('literal' in part) {
        out += part.literal;
        continue;
      }
      const node = this.evaluateExpr(part.expr, path, source, false);
      if (node.kind !== 'scalar') {
        throw new ConfigError(
          `${keyString(path)} (${describeSource(source)}): '${part.expr}' is a ${node.kind === 'map' ? 'mapping' : 'list'} and cannot be placed inside a string; use it as the whole value instead.`,
        );
      }
      out += node.value === null ? 'null' : String(node.value);
    }
    return { kind: 'scalar', value: out, source };
  }

  private evaluateExpr(expr: string, path: KeyPath, source: Source, whole: boolean): CfgNode {
    const inner = expr.slice(2, -1).trim();
    const where = `${keyString(path)} (${describeSource(source)})`;
    const resolver = /^([A-Za-z_][\w.]*):(.*)$/s.exec(inner);
    if (resolver) {
      if (resolver[1] !== 'oc.env') {
        throw new ConfigError(`${where}: unknown resolver '${resolver[1]}' in '${expr}'; the supported resolver is oc.env (\${oc.env:VAR,default}).`);
      }
      const text = this.envValue(resolver[2]!, expr, path, source, where);
      const value = whole && text !== null ? parseOverrideValue(text) : text;
      return { kind: 'scalar', value: value as ScalarNode['value'], source };
    }
    return this.lookup(inner, expr, path, source, where);
  }

  private envValue(args: string, expr: string, path: KeyPath, source: Source, where: string): string | null {
    const [nameArg, ...rest] = splitTopLevel(args);
    const name = nameArg!.trim();
    const fromEnv = process.env[name];
    if (fromEnv !== undefined) return fromEnv;
    if (rest.length === 0) {
      throw new ConfigError(`${where}: environment variable ${name} is not set (needed by '${expr}'); set it, or give a default: \${oc.env:${name},DEFAULT}.`);
    }
    const fallback = rest.join(',').trim();
    if (fallback === 'null') return null;
    const quoted = /^(['"])(.*)\1$/s.exec(fallback);
    if (quoted) return quoted[2]!;
    const node = this.evaluate(fallback, path, source);
    if (node.kind !== 'scalar') throw new ConfigError(`${where}: the default in '${expr}' must be a plain value.`);
    return node.value === null ? null : String(node.value);
  }

  private lookup(keyText: string, expr: string, path: KeyPath, source: Source, where: string): CfgNode {
    const dots = /^\.*/.exec(keyText)![0].length;
    const segments = keyText
      .slice(dots)
      .replace(/\[(\d+)\]/g, '.$1')
      .split('.')
      .filter((s) => s !== '');
    if (dots > path.length) throw new ConfigError(`${where}: '${expr}' goes above the top of the config; remove a leading dot.`);
    const base = dots === 0 ? [] : path.slice(0, path.length - dots);
    const target: KeyPath = [...base, ...segments];
    let node: CfgNode | undefined = this.root;
    let viaInterpolation = false;
    for (let i = 0; i < target.length && node !== undefined; i++) {
      node = getAt(node, [target[i]!]);
      if (!viaInterpolation && node !== undefined && hasInterpolation(node)) {
        node = this.resolveLeaf(target.slice(0, i + 1), node);
        viaInterpolation = true;
      }
    }
    const targetKey = keyString(target);
    if (node === undefined) {
      throw new ConfigError(
        `${where}: interpolation '${expr}' refers to '${targetKey}', which does not exist.${didYouMean(targetKey, allKeys(this.root))} Fix the key name or add the key.`,
      );
    }
    if (node.kind === 'scalar' && node.value === MISSING) {
      throw new ConfigError(
        `${where}: interpolation '${expr}' refers to '${targetKey}', which is a missing mandatory value (??? at ${describeSource(node.source)}); set it, e.g. ${targetKey}=VALUE.`,
      );
    }
    const resolved = viaInterpolation ? node : this.resolveDeep(target, node);
    return { ...resolved, source } as CfgNode;
  }
}

/** Splits a string into literal text and `${...}` expressions; `\${` stays literal. */
function splitParts(text: string, path: KeyPath, source: Source): Part[] {
  const parts: Part[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('\\${', i)) {
      literal += '${';
      i += 3;
    } else if (text.startsWith('${', i)) {
      const end = matchingBrace(text, i + 1);
      if (end < 0) throw new ConfigError(`${keyString(path)} (${describeSource(source)}): unclosed interpolation in '${text}'; add the closing '}'.`);
      if (literal !== '') parts.push({ literal });
      literal = '';
      parts.push({ expr: text.slice(i, end + 1) });
      i = end + 1;
    } else {
      literal += text[i++];
    }
  }
  if (literal !== '') parts.push({ literal });
  return parts;
}
