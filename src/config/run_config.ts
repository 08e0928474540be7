/**
 * A run folder's `.hydra/` record: config.yaml (the resolved config), overrides.yaml (the
 * command-line overrides) and hydra.yaml (group choices), written atomically. loadRunConfig
 * reads them back, validating config.yaml so errors point at its lines.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../utils/errors.js';
import { writeFileAtomic } from '../utils/fs.js';
import { makeComposed, type Composed, type ComposedConfig } from './compose.js';
import { loadConfigFile } from './config_file.js';
import { upgradeRun } from './older_runs.js';
import { RvosConfigSchema } from './schema.js';
import { displayPath, fromValue, type MapNode } from './tree.js';
import { validateTree } from './validate.js';

export const HYDRA_SUBDIR = '.hydra';

/** Writes runDir/.hydra/{config,overrides,hydra}.yaml; hydra.yaml names `outputDir` as the run folder (a folder written under a temporary name passes its final one). */
export function saveRunConfig(runDir: string, composed: Composed<unknown>, outputDir: string = runDir): void {
  const dir = path.join(runDir, HYDRA_SUBDIR);
  writeFileAtomic(path.join(dir, 'config.yaml'), composed.toYaml());
  writeFileAtomic(path.join(dir, 'overrides.yaml'), stringify(composed.overrides, { lineWidth: 0 }));
  const hydra = { hydra: { runtime: { choices: composed.choices, output_dir: path.resolve(outputDir) }, overrides: { task: composed.overrides } } };
  writeFileAtomic(path.join(dir, 'hydra.yaml'), stringify(hydra, { lineWidth: 0 }));
}

/** Reads back what saveRunConfig wrote, as an RvosConfig. */
export function loadRunConfig(runDir: string): ComposedConfig {
  return loadRunConfigWithSchema(RvosConfigSchema, runDir);
}

export function loadRunConfigWithSchema<S extends z.ZodType>(schema: S, runDir: string): Composed<z.output<S>> {
  const dir = path.join(runDir, HYDRA_SUBDIR);
  const configFile = path.join(dir, 'config.yaml');
  if (!fs.existsSync(configFile)) {
    throw new ConfigError(
      `${displayPath(runDir)} is not a run folder: ${displayPath(configFile)} is missing. Pass the folder a training run created (it holds .hydra/).`,
    );
  }
  const saved = readYaml(path.join(dir, 'overrides.yaml'), []);
  if (!Array.isArray(saved) || saved.some((o) => typeof o !== 'string')) {
    throw new ConfigError(`${displayPath(path.join(dir, 'overrides.yaml'))}: expected a list of override strings.`);
  }
  // Already resolved when saved: a `${` left in it is literal text, not an interpolation. Older
  // runs' key names are read as today's (src/config/older_runs.ts).
  const { tree, overrides } = upgradeRun(loadConfigFile(configFile).content, saved as string[]);
  const config = validateTree(schema, tree);
  const hydra = readYaml(path.join(dir, 'hydra.yaml'), {}) as { hydra?: { runtime?: { choices?: Record<string, string> } } };
  return makeComposed(config, overrides, { ...(hydra?.hydra?.runtime?.choices ?? {}) }, tree);
}

/**
 * What a committed summary keeps of a run's record (docs/results/<name>.summary.json): the resolved
 * config and the group choices, so the summary says what its runs computed even after the
 * experiment files that composed them change.
 */
export interface RunConfigRecord {
  config: Record<string, unknown>;
  choices: Record<string, string>;
}

/** A run folder's config record as a summary keeps it, or null when the folder has none. */
export function runConfigRecord(runDir: string): RunConfigRecord | null {
  const dir = path.join(runDir, HYDRA_SUBDIR);
  if (!fs.existsSync(path.join(dir, 'config.yaml'))) return null;
  const config = readYaml(path.join(dir, 'config.yaml'), {}) as Record<string, unknown>;
  const hydra = readYaml(path.join(dir, 'hydra.yaml'), {}) as { hydra?: { runtime?: { choices?: Record<string, string> } } };
  return { config, choices: { ...(hydra?.hydra?.runtime?.choices ?? {}) } };
}

/** A summary's config record read back as a run folder's would be (older key names upgraded, validated); `where` names it in errors. */
export function runConfigFromRecord(record: RunConfigRecord, overrides: string[], where: string): ComposedConfig {
  const root = fromValue(record.config, { kind: 'internal', what: where }) as MapNode;
  const { tree, overrides: upgraded } = upgradeRun(root, overrides);
  return makeComposed(validateTree(RvosConfigSchema, tree), upgraded, { ...record.choices }, tree);
}

function readYaml(file: string, fallback: unknown): unknown {
  if (!fs.existsSync(file)) return fallback;
  try {
    return parseYaml(fs.readFileSync(file, 'utf8')) ?? fallback;
  } catch (err) {
    throw new ConfigError(`${displayPath(file)}: invalid YAML (${(err as Error).message.split('\n')[0]}); the run folder is damaged.`);
  }
}
