/**
 * The defaults list (Hydra 1.1+ semantics): which config files are merged, in which order and at
 * which package. The primary config's `defaults:` names group options (`- model: small`),
 * other configs (`- base`), and `_self_` (the file's own keys; implicitly last). Group files
 * may have their own defaults list. `override group: option` (typically in experiment files)
 * changes a choice made anywhere in the tree; command-line choices win over both.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../utils/errors.js';
import { loadConfigFile, type ConfigFile, type DefaultEntry } from './config_file.js';
import { didYouMean } from './suggest.js';
import { describeSource, displayPath, MISSING, type Source } from './tree.js';

export interface GroupChoice {
  option: string | null;
  source: Source;
}

/** A command-line group override: `model=rvos`, `+experiment=x`, `++g=o`, `~g`. */
export interface GroupOverride {
  op: 'set' | 'add' | 'force' | 'delete';
  group: string;
  option: string | null;
  text: string;
}

export interface Plan {
  /** Config files to merge, in order, each at its package (key path; [] = top level). */
  merges: { file: ConfigFile; pkg: string[] }[];
  /** group path → chosen option (null = none), in defaults-list order. */
  choices: Map<string, GroupChoice>;
}

/** Option names of a config group: the .yaml files in its folder. */
export function listGroupOptions(configDir: string, group: string): string[] {
  const dir = path.join(configDir, group);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** Whether `key` (as in `key=value`) names a config group folder rather than a config key. */
export function isGroup(configDir: string, key: string): boolean {
  return !key.includes('.') && fs.statSync(path.join(configDir, key), { throwIfNoEntry: false })?.isDirectory() === true;
}

export function buildPlan(configDir: string, configName: string, cli: GroupOverride[]): Plan {
  const primary = path.join(configDir, `${configName}.yaml`);
  if (!fs.existsSync(primary)) {
    throw new ConfigError(
      `Primary config ${displayPath(primary)} not found; check --config-dir / configName (available: ${listGroupOptions(configDir, '').join(', ') || 'none'}).`,
    );
  }
  const cliChoices = new Map<string, GroupChoice>();
  const appended: DefaultEntry[] = [];
  for (const o of cli) {
    const source: Source = { kind: 'override', text: o.text };
    if (o.op === 'add') appended.push({ type: 'group', group: o.group, absolute: true, option: o.option, override: false, optional: false, source });
    else cliChoices.set(o.group, { option: o.op === 'delete' ? null : o.option, source });
  }
  let plan = settle(configDir, primary, cliChoices, appended);
  const forced = cli.filter((o) => o.op === 'force' && !plan.choices.has(o.group));
  if (forced.length > 0) {
    for (const o of forced)
      appended.push({
        type: 'group',
        group: o.group,
        absolute: true,
        option: o.option,
        override: false,
        optional: false,
        source: { kind: 'override', text: o.text },
      });
    plan = settle(configDir, primary, cliChoices, appended);
  }
  for (const o of cli) {
    if ((o.op === 'set' || o.op === 'delete') && !plan.choices.has(o.group)) {
      throw new ConfigError(
        `Could not override '${o.group}' (command-line override '${o.text}'): the group is not in the defaults list. To add it, use +${o.group}=${o.option ?? 'OPTION'}.`,
      );
    }
  }
  return plan;
}

/** Builds the tree until the `override` entries found in it stop changing the choices. */
function settle(configDir: string, primary: string, cliChoices: Map<string, GroupChoice>, appended: DefaultEntry[]): Plan {
  let fileOverrides = new Map<string, GroupChoice>();
  for (let round = 0; round < 8; round++) {
    const builder = new PlanBuilder(configDir, cliChoices, fileOverrides);
    builder.walk(primary, [], '', [], appended);
    const seen = builder.overridesSeen;
    const stable = seen.size === fileOverrides.size && [...seen].every(([g, c]) => fileOverrides.get(g)?.option === c.option);
    if (stable) return builder.finish();
    fileOverrides = seen;
  }
  throw new ConfigError(
    `The 'override' entries in the defaults lists keep changing each other (a config overrides the group that selected it?); simplify them.`,
  );
}

class PlanBuilder {
  readonly merges: Plan['merges'] = [];
  readonly choices = new Map<string, GroupChoice>();
  readonly overridesSeen = new Map<string, GroupChoice>();
  private readonly problems: string[] = [];

  constructor(
    private readonly configDir: string,
    private readonly cliChoices: Map<string, GroupChoice>,
    private readonly fileOverrides: Map<string, GroupChoice>,
  ) {}

  walk(file: string, parentPkg: string[], groupDir: string, stack: string[], appended: DefaultEntry[] = []): void {
    if (stack.includes(file)) {
      throw new ConfigError(`Defaults lists include each other in a loop: ${[...stack, file].map(displayPath).join(' -> ')}; remove one of the entries.`);
    }
    const config = loadConfigFile(file);
    const pkg = config.packageHeader === null ? parentPkg : headerPackage(config.packageHeader, groupDir);
    const entries = [...(config.defaults ?? [])];
    if (!entries.some((e) => e.type === 'self')) entries.push({ type: 'self', source: config.content.source });
    entries.push(...appended);
    for (const entry of entries) {
      if (entry.type === 'self') this.merges.push({ file: config, pkg });
      else if (entry.type === 'config') this.includeConfig(entry, pkg, groupDir, [...stack, file]);
      else this.includeGroup(entry, pkg, groupDir, [...stack, file]);
    }
  }

  private includeConfig(entry: Extract<DefaultEntry, { type: 'config' }>, pkg: string[], groupDir: string, stack: string[]): void {
    const name = entry.absolute ? entry.name : path.posix.join(groupDir, entry.name);
    const file = path.join(this.configDir, `${name}.yaml`);
    if (!fs.existsSync(file)) {
      const options = listGroupOptions(this.configDir, path.posix.dirname(name) === '.' ? '' : path.posix.dirname(name));
      throw new ConfigError(
        `${describeSource(entry.source)}: config '${entry.name}' not found (looked for ${displayPath(file)}).${didYouMean(path.posix.basename(name), options)} Available: ${options.join(', ') || 'none'}.`,
      );
    }
    const dir = path.posix.dirname(name);
    this.walk(file, pkg, dir === '.' ? '' : dir, stack);
  }

  private includeGroup(entry: Extract<DefaultEntry, { type: 'group' }>, pkg: string[], groupDir: string, stack: string[]): void {
    const group = entry.absolute ? entry.group : path.posix.join(groupDir, entry.group);
    if (entry.override) {
      this.overridesSeen.set(group, { option: entry.option, source: entry.source });
      return;
    }
    const earlier = this.choices.get(group);
    if (earlier !== undefined) {
      const fix =
        entry.source.kind === 'override'
          ? `use ${group}=${entry.option ?? 'null'} (or ++${group}=...) to change it`
          : `write 'override ${entry.absolute ? '/' : ''}${entry.group}: ${entry.option}' to change it`;
      throw new ConfigError(`${describeSource(entry.source)}: group '${group}' is already chosen at ${describeSource(earlier.source)}; ${fix}.`);
    }
    const chosen = this.cliChoices.get(group) ?? this.fileOverrides.get(group) ?? { option: entry.option, source: entry.source };
    this.choices.set(group, chosen);
    if (chosen.option === null) return;
    const options = listGroupOptions(this.configDir, group);
    if (chosen.option === MISSING) {
      this.problems.push(
        `${describeSource(chosen.source)}: group '${group}' is mandatory (???); choose one on the command line, e.g. ${group}=${options[0] ?? 'OPTION'}. Available: ${options.join(', ') || 'none'}.`,
      );
      return;
    }
    const file = path.join(this.configDir, group, `${chosen.option}.yaml`);
    if (!fs.existsSync(file)) {
      if (entry.optional) return;
      this.problems.push(
        `${describeSource(chosen.source)}: unknown option '${chosen.option}' for group '${group}'.${didYouMean(chosen.option, options)} Available: ${options.join(', ') || `none (no .yaml files in ${displayPath(path.join(this.configDir, group))})`}.`,
      );
      return;
    }
    const childPkg = entry.absolute ? group.split('/') : [...pkg, ...entry.group.split('/')];
    this.walk(file, childPkg, group, stack);
  }

  finish(): Plan {
    for (const [group, c] of this.overridesSeen) {
      if (!this.choices.has(group)) {
        this.problems.push(
          `${describeSource(c.source)}: cannot override group '${group}': it is not in the defaults list. Add it without 'override' (- ${group}: ${c.option}).`,
        );
      }
    }
    if (this.problems.length === 1) throw new ConfigError(this.problems[0]!);
    if (this.problems.length > 1) throw new ConfigError(`${this.problems.length} problems in the defaults list:\n  - ${this.problems.join('\n  - ')}`);
    return { merges: this.merges, choices: this.choices };
  }
}

/** `# @package` header → key path: _global_ (top level), _group_ (the group's path), or a.b. */
function headerPackage(header: string, groupDir: string): string[] {
  const parts = header.split('.').flatMap((p) => (p === '_global_' ? [] : p === '_group_' ? groupDir.split('/').filter(Boolean) : [p]));
  return parts;
}
