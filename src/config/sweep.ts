/**
 * Multirun sweeps (Hydra's basic sweeper): `a=1,2 b=x,y` → the cartesian product, in Hydra's
 * order (the first override varies slowest). Sweep values: comma lists (quotes, brackets and
 * braces protect commas), `range(start,stop[,step])` (stop excluded, as Python's range),
 * `choice(a,b,...)`, and `glob(pattern | [patterns], exclude=pattern | [patterns])` over a config
 * group's options (needs configDir).
 */
import { ConfigError } from '../utils/errors.js';
import { isGroup, listGroupOptions } from './defaults_list.js';
import { splitTopLevel } from './overrides.js';

export interface SweepOptions {
  /** Needed for glob(...) over group options. */
  configDir?: string;
}

/** Expands sweep overrides into one override list per job. */
export function expandSweep(overrides: string[], opts: SweepOptions = {}): string[][] {
  const axes = overrides.map((text) => sweepAxis(text, opts));
  let jobs: string[][] = [[]];
  for (const axis of axes) jobs = jobs.flatMap((job) => axis.map((value) => [...job, value]));
  return jobs;
}

/** The overrides one command-line argument stands for (one entry if it is not a sweep). */
function sweepAxis(text: string, opts: SweepOptions): string[] {
  const eq = text.indexOf('=');
  if (eq < 0 || text.startsWith('~')) return [text];
  const lhs = text.slice(0, eq);
  const key = lhs.replace(/^\+{1,2}/, '');
  const raw = text.slice(eq + 1).trim();
  const call = /^(range|choice|glob)\((.*)\)$/s.exec(raw);
  let values: string[];
  if (call?.[1] === 'range') values = rangeValues(call[2]!, text);
  else if (call?.[1] === 'choice') values = splitTopLevel(call[2]!).map((v) => v.trim());
  else if (call?.[1] === 'glob') values = globValues(call[2]!, key, text, opts);
  else values = splitTopLevel(raw).map((v) => v.trim());
  if (values.length === 0 || values.some((v) => v === '')) {
    throw new ConfigError(`Sweep '${text}' has an empty value; remove the stray comma (or quote an empty string as '').`);
  }
  return values.map((v) => `${lhs}=${v}`);
}

function rangeValues(argText: string, text: string): string[] {
  const named: Record<string, number> = {};
  const positional: number[] = [];
  for (const arg of splitTopLevel(argText)) {
    const [name, value] = arg.includes('=') ? arg.split('=').map((s) => s.trim()) : [undefined, arg.trim()];
    const n = Number(value);
    if (value === '' || !Number.isFinite(n)) throw new ConfigError(`Sweep '${text}': range arguments must be numbers, got '${arg.trim()}'.`);
    if (name === undefined) positional.push(n);
    else named[name] = n;
  }
  let [start, stop, step] = [named.start ?? positional[0], named.stop ?? positional[1], named.step ?? positional[2] ?? 1];
  if (stop === undefined && start !== undefined && positional.length === 1) [start, stop] = [0, start];
  if (start === undefined || stop === undefined) throw new ConfigError(`Sweep '${text}': write range(start, stop[, step]).`);
  if (step === 0) throw new ConfigError(`Sweep '${text}': range step must not be 0.`);
  // The epsilon keeps float steps from adding a value at stop (0.1 + 3 * 0.1 > 0.4 in floats).
  const count = Math.ceil((stop - start) / step - 1e-9);
  if (count <= 0) throw new ConfigError(`Sweep '${text}' is empty (stop is excluded, as in Python's range); check start/stop/step.`);
  if (count > 10_000) throw new ConfigError(`Sweep '${text}' has ${count} values; that is surely a mistake (check step).`);
  // Rounding to 12 significant digits keeps 0.1-steps from printing as 0.30000000000000004.
  return Array.from({ length: count }, (_, i) => String(Number((start! + i * step).toPrecision(12))));
}

function globValues(argText: string, key: string, text: string, opts: SweepOptions): string[] {
  if (opts.configDir === undefined || !isGroup(opts.configDir, key)) {
    throw new ConfigError(
      `Sweep '${text}': glob(...) selects options of a config group; '${key}' is not a group${opts.configDir === undefined ? ' (no config folder given)' : ''}.`,
    );
  }
  let include: string[] = [];
  let exclude: string[] = [];
  for (const arg of splitTopLevel(argText)) {
    const m = /^\s*(include|exclude)\s*=(.*)$/s.exec(arg);
    const patterns = listArg(m ? m[2]! : arg);
    if (m?.[1] === 'exclude') exclude = exclude.concat(patterns);
    else include = include.concat(patterns);
  }
  const options = listGroupOptions(opts.configDir, key);
  const chosen = options.filter((o) => include.some((p) => globMatch(p, o)) && !exclude.some((p) => globMatch(p, o)));
  if (chosen.length === 0) throw new ConfigError(`Sweep '${text}' matches no option of group '${key}' (available: ${options.join(', ')}).`);
  return chosen;
}

function listArg(text: string): string[] {
  const t = text.trim();
  const inner = t.startsWith('[') && t.endsWith(']') ? t.slice(1, -1) : t;
  return splitTopLevel(inner)
    .map((s) => s.trim().replace(/^(['"])(.*)\1$/, '$2'))
    .filter((s) => s !== '');
}

/** fnmatch-style: `*` any run of characters, `?` one character. */
function globMatch(pattern: string, name: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(name);
}
