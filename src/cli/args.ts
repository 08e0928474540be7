/**
 * The one command-line flag parser every `rvos` command uses. A mistake (unknown flag, missing or
 * ill-typed value, stray argument) throws a UsageError: the boundary prints one line with the bad
 * flag and the command's usage line, and exits 2. Differences from node:util's parseArgs, on
 * purpose: negative numbers are values (`--videos -5` reaches the range check), numbers are
 * checked here, and `--flag=value` choices (`--resume=auto`) are a flag type of their own.
 */
import { closest } from '../config/suggest.js';
import { ConfigError } from '../utils/errors.js';

export type FlagSpec =
  | { type: 'boolean'; short?: string }
  | { type: 'string'; short?: string; choices?: readonly string[]; placeholder?: string }
  | { type: 'int'; short?: string; min?: number; max?: number; placeholder?: string }
  | { type: 'number'; short?: string; min?: number; placeholder?: string }
  /** `--name` alone (true) or `--name=<one of values>`. */
  | { type: 'switch'; values: readonly string[] };

type ValueOf<S extends FlagSpec> = S extends { type: 'boolean' }
  ? boolean
  : S extends { type: 'int' } | { type: 'number' }
    ? number
    : S extends { type: 'switch'; values: readonly (infer V)[] }
      ? true | V
      : S extends { type: 'string'; choices: readonly (infer C)[] }
        ? C
        : string;

export type FlagValues<T extends Record<string, FlagSpec>> = { [K in keyof T]?: ValueOf<T[K]> };

export interface ParseOptions {
  /** The command as typed ('train', 'data synth'), for messages. */
  command: string;
  /** The command's usage text; its first line goes into error messages. */
  usage: string;
  /** Accept positional arguments: false (default), true (any number) or the most allowed. */
  positionals?: boolean | number;
}

export interface ParsedArgs<T extends Record<string, FlagSpec>> {
  flags: FlagValues<T>;
  positionals: string[];
  /** -h / --help was given (nothing else is checked then). */
  help: boolean;
}

/** A command-line mistake; the boundary prints `rvos <command>: <message>` and exits 2. */
export class UsageError extends ConfigError {
  constructor(
    message: string,
    /** The command's usage line. */
    readonly usageLine: string,
    readonly command: string,
  ) {
    const line = usageLine.split('\n').find((l) => l.trim().length > 0) ?? `rvos ${command}`;
    super(`${message} (usage: ${line.replace(/^Usage:\s*/i, '').trim()}; rvos ${command} --help shows all options)`);
  }
}

/** A token that is a flag rather than a value: starts with '-' and is not a number. */
function looksLikeFlag(token: string): boolean {
  return token.startsWith('-') && token !== '-' && !/^-\d|^-\.\d/.test(token);
}

export function parseFlags<const T extends Record<string, FlagSpec>>(argv: readonly string[], spec: T, options: ParseOptions): ParsedArgs<T> {
  const usageLine = options.usage.split('\n').find((l) => l.trim().length > 0) ?? `rvos ${options.command}`;
  const fail = (message: string): never => {
    throw new UsageError(message, usageLine, options.command);
  };
  const end = argv.indexOf('--');
  const flagPart = end < 0 ? argv : argv.slice(0, end);
  if (flagPart.includes('--help') || flagPart.includes('-h')) return { flags: {}, positionals: [], help: true };

  const byShort = new Map<string, string>();
  for (const [name, s] of Object.entries(spec)) if ('short' in s && s.short !== undefined) byShort.set(s.short, name);
  const flags: Record<string, unknown> = {};
  const positionals: string[] = [];
  for (let i = 0; i < flagPart.length; i++) {
    const token = flagPart[i]!;
    if (!looksLikeFlag(token)) {
      positionals.push(token);
      continue;
    }
    const eq = token.indexOf('=');
    const written = eq < 0 ? token : token.slice(0, eq);
    const inline = eq < 0 ? undefined : token.slice(eq + 1);
    const name = written.startsWith('--') ? written.slice(2) : byShort.get(written.slice(1));
    const s = name === undefined ? undefined : spec[name];
    if (name === undefined || s === undefined) {
      const guess = closest(
        written,
        Object.keys(spec).map((n) => `--${n}`),
      );
      fail(`unknown option '${written}'${guess === undefined ? '' : `; did you mean '${guess}'?`}`);
    }
    const flagName = `--${name!}`;
    const def = s!;
    if (def.type === 'boolean') {
      if (inline !== undefined) fail(`option '${flagName}' takes no value (got '${token}')`);
      flags[name!] = true;
      continue;
    }
    if (def.type === 'switch') {
      if (inline === undefined) flags[name!] = true;
      else if (def.values.includes(inline)) flags[name!] = inline;
      else fail(`option '${flagName}' is given alone or as ${def.values.map((v) => `${flagName}=${v}`).join(' | ')} (got '${token}')`);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      const next = flagPart[i + 1];
      if (next === undefined || looksLikeFlag(next))
        fail(`option '${flagName}' needs a value (${flagName} ${def.placeholder ?? (def.type === 'string' ? 'VALUE' : 'N')})`);
      value = next;
      i++;
    }
    flags[name!] = convert(flagName, value!, def, fail);
  }
  if (end >= 0) positionals.push(...argv.slice(end + 1));
  const allowed = options.positionals === true ? Infinity : options.positionals === false || options.positionals === undefined ? 0 : options.positionals;
  if (positionals.length > allowed) fail(`unexpected argument '${positionals[allowed]}'`);
  return { flags: flags as FlagValues<T>, positionals, help: false };
}

function convert(flag: string, value: string, def: Exclude<FlagSpec, { type: 'boolean' } | { type: 'switch' }>, fail: (m: string) => never): string | number {
  if (def.type === 'string') {
    if (def.choices !== undefined && !def.choices.includes(value)) fail(`${flag} must be one of ${def.choices.join(', ')} (got '${value}')`);
    return value;
  }
  const n = value.trim() === '' ? NaN : Number(value);
  if (def.type === 'int' && !Number.isInteger(n)) fail(`${flag} must be an integer (got '${value}')`);
  if (def.type === 'number' && !Number.isFinite(n)) fail(`${flag} must be a number (got '${value}')`);
  if (def.min !== undefined && n < def.min) fail(`${flag} must be at least ${def.min} (got ${value})`);
  if (def.type === 'int' && def.max !== undefined && n > def.max) fail(`${flag} must be at most ${def.max} (got ${value})`);
  return n;
}
