// A run folder's .hydra record round-trips, so `rvos train --from RUN_DIR` reproduces the run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { composeConfig, loadRunConfig, saveRunConfig } from '../../src/config/index.js';
import { errorOf, REPO_CONFIGS } from './helpers.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-run-'));

describe('saveRunConfig / loadRunConfig', () => {
  it('round-trips config, overrides and choices', () => {
    const composed = composeConfig({ configDir: REPO_CONFIGS, overrides: ['model=rvos', 'train.steps=7', 'run.name="a,b"', 'data.augment=null'] });
    const runDir = tmp();
    saveRunConfig(runDir, composed);
    const files = fs.readdirSync(path.join(runDir, '.hydra')).sort();
    expect(files).toEqual(['config.yaml', 'hydra.yaml', 'overrides.yaml']);
    const loaded = loadRunConfig(runDir);
    expect(loaded.config).toEqual(composed.config);
    expect(loaded.overrides).toEqual(composed.overrides);
    expect(loaded.choices).toEqual(composed.choices);
    expect(loaded.toYaml()).toBe(composed.toYaml());
    expect(parse(fs.readFileSync(path.join(runDir, '.hydra', 'hydra.yaml'), 'utf8')).hydra.runtime.choices.model).toBe('rvos');
    // Re-composing from the saved overrides gives the same config (what --from relies on).
    expect(composeConfig({ configDir: REPO_CONFIGS, overrides: loaded.overrides }).config).toEqual(composed.config);
  });

  it('writes short lists on one line', () => {
    const yaml = composeConfig({ configDir: REPO_CONFIGS }).toYaml();
    expect(yaml).toContain('size: [96, 96]');
  });

  it('errors name the run folder file and line', () => {
    expect(errorOf(() => loadRunConfig(tmp())).message).toMatch(/is not a run folder: .*\.hydra\/config\.yaml is missing/);
    const runDir = tmp();
    saveRunConfig(runDir, composeConfig({ configDir: REPO_CONFIGS }));
    const file = path.join(runDir, '.hydra', 'config.yaml');
    const text = fs.readFileSync(file, 'utf8').replace('hidden: 32', 'hidden: big');
    fs.writeFileSync(file, text);
    const line = text.split('\n').findIndex((l) => l.includes('hidden: big')) + 1;
    expect(errorOf(() => loadRunConfig(runDir)).message).toMatch(new RegExp(`model\\.hidden \\(\\S*\\.hydra/config\\.yaml:${line}\\): expected number`));
  });
});
