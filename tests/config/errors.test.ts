// Every config error names the key and the file:line (or override) it came from, and the fix.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/utils/errors.js';
import { composeConfig } from '../../src/config/index.js';
import { copyConfigs, errorOf, REPO_CONFIGS } from './helpers.js';

const read = (file: string) => fs.readFileSync(path.join(REPO_CONFIGS, file), 'utf8');

function composeWith(changes: Record<string, string>, overrides: string[] = []) {
  return composeConfig({ configDir: copyConfigs(changes), overrides });
}

describe('config errors', () => {
  it('unknown key: key, file:line, closest known key', () => {
    const err = errorOf(() => composeWith({ 'model/small.yaml': 'defaults: [base]\nhidden: 32\nobjectness: true\nrecurence: S\n' }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/model\.recurence \(\S*model\/small\.yaml:4\): unknown key\. Did you mean 'recurrence'\?/);
    expect(err.message).toContain('Known keys here: hidden, slots, recurrence, mode, objectness, motion_input, first_frame_motion, motion_alignment, inputs');
  });

  it('a zero-shot input with model.mode=one_shot: one line naming model.inputs, where it was set and the list to use', () => {
    const err = errorOf(() => composeConfig({ configDir: REPO_CONFIGS, overrides: ['experiment=main', 'model.mode=one_shot'] }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message.split('\n')).toHaveLength(1);
    expect(err.message).toMatch(
      /^Invalid config: model\.inputs \(\S*experiment\/main\.yaml:\d+\): foreground is a zero-shot input, and model\.mode is one_shot; remove it \(model\.inputs=\[prev_mask\]\)/,
    );
    expect(() => composeConfig({ configDir: REPO_CONFIGS, overrides: ['experiment=main', 'model.mode=one_shot', 'model.inputs=[prev_mask]'] })).not.toThrow();
    expect(composeConfig({ configDir: REPO_CONFIGS, overrides: ['experiment=main'] }).config.model.inputs).toEqual(['prev_mask', 'foreground']);
  });

  it('unknown top-level key in the primary config', () => {
    const text = read('config.yaml').replace('seed: 123', 'sed: 123\nseed: 1');
    const line = text.split('\n').findIndex((l) => l.startsWith('sed:')) + 1;
    const err = errorOf(() => composeWith({ 'config.yaml': text }));
    expect(err.message).toMatch(new RegExp(`sed \\(\\S*config\\.yaml:${line}\\): unknown key\\. Did you mean 'seed'\\?`));
  });

  it('wrong type: key, file:line, expected and actual', () => {
    const text = read('train/default.yaml').replace('steps: 1000', 'steps: many');
    const err = errorOf(() => composeWith({ 'train/default.yaml': text }));
    expect(err.message).toMatch(/train\.steps \(\S*train\/default\.yaml:1\): expected number, got string "many"/);
    const enumErr = errorOf(() => composeWith({}, ['model.mode=two_shot']));
    expect(enumErr.message).toContain(
      `model.mode (command-line override 'model.mode=two_shot'): got string "two_shot"; expected one of "zero_shot", "one_shot"`,
    );
    const rangeErr = errorOf(() => composeWith({}, ['data.augment.flip=1.5']));
    expect(rangeErr.message).toMatch(/data\.augment\.flip \(command-line override 'data\.augment\.flip=1\.5'\): .*<=1/);
  });

  it('missing ??? value: key and the file:line that declared it, even with other problems', () => {
    const err = errorOf(() => composeWith({ 'model/small.yaml': 'defaults: [base]\nhidden: ???\nobjectness: true\nextra_key: 1\n' }));
    expect(err.message).toMatch(
      /model\.hidden \(\S*model\/small\.yaml:2\): missing mandatory value \(\?\?\?\); set it, e\.g\. on the command line: model\.hidden=VALUE/,
    );
    expect(err.message).toMatch(/model\.extra_key \(\S*model\/small\.yaml:4\): unknown key/);
    expect(err.message).not.toMatch(/model\.hidden.*expected number/);
  });

  it('a ??? filled by an override is fine', () => {
    expect(composeWith({ 'model/small.yaml': 'defaults: [base]\nhidden: ???\nobjectness: true\n' }, ['model.hidden=48']).config.model.hidden).toBe(48);
  });

  it("an RVOS option without the rvos family's required keys names them; a baseline needs neither", () => {
    const err = errorOf(() => composeWith({ 'model/small.yaml': 'defaults: [base]\nobjectness: true\n' }));
    expect(err.message).toMatch(/model\.hidden\b.*the rvos family needs it/);
    expect(err.message).not.toMatch(/model\.objectness/);
    const baseline = composeWith({}, ['model=copy_first']).config.model;
    expect(baseline).not.toHaveProperty('hidden');
    expect(baseline).not.toHaveProperty('objectness');
  });

  it('interpolation to a missing key: key, file:line, the target and a suggestion', () => {
    const text = read('model/base.yaml').replace('${data.max_objects}', '${data.max_object}');
    const err = errorOf(() => composeWith({ 'model/base.yaml': text }));
    expect(err.message).toMatch(
      /model\.slots \(\S*model\/base\.yaml:3\): interpolation '\$\{data\.max_object\}' refers to 'data\.max_object', which does not exist\. Did you mean 'data\.max_objects'\?/,
    );
  });

  it('interpolation to a ??? value says which key to set', () => {
    const err = errorOf(() => composeConfig({ configDir: REPO_CONFIGS, overrides: ['data.max_objects=???'] }));
    expect(err.message).toContain(
      "model.slots (configs/model/base.yaml:3): interpolation '${data.max_objects}' refers to 'data.max_objects', which is a missing mandatory value (??? at command-line override 'data.max_objects=???'); set it",
    );
  });

  it('duplicate keys: file:line of the second one', () => {
    const text = 'steps: 1000\nlr: 1e-3\nsteps: 5\n' + read('train/default.yaml').split('\n').slice(2).join('\n');
    const err = errorOf(() => composeWith({ 'train/default.yaml': text }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/train\/default\.yaml:3: duplicate key 'steps'; keep only one/);
  });

  it('YAML syntax errors: file:line', () => {
    const err = errorOf(() => composeWith({ 'eval/default.yaml': 'task: auto\nthreshold: [0.5\nwrite_overlays: true\n' }));
    expect(err.message).toMatch(/eval\/default\.yaml:\d+: invalid YAML/);
  });

  it('errors from a bad override string say how to write one', () => {
    expect(errorOf(() => composeWith({}, ['=3'])).message).toContain('expected key=value');
    expect(errorOf(() => composeWith({}, ['train.steps'])).message).toContain('has no value: write train.steps=VALUE');
    expect(errorOf(() => composeWith({}, ['model.inputs=[a,'])).message).toContain("Cannot read the value of override 'model.inputs=[a,'");
  });
});
