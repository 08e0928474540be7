import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { parseSynthArgs, run } from '../../src/cli/commands/data.js';
import { DIFFICULTY_PRESETS } from '../../src/data/synth/options.js';
import { ConfigError } from '../../src/utils/errors.js';
import { removeDir, tempDir } from './helpers.js';

const dir = tempDir();
afterAll(() => removeDir(dir));
afterEach(() => vi.restoreAllMocks());

describe('rvos data', () => {
  it('parses synth flags into generator options', () => {
    expect(parseSynthArgs(['--out', 'x', '--train', '8', '--frames', '5', '--size', '48x80', '--objects', '2-5', '--seed', '3', '--val', '2', '--test', '3', '--difficulty', 'hard'])).toEqual({
      out: 'x', trainVideos: 8, frames: 5, size: [48, 80], objects: [2, 5], seed: 3, valVideos: 2, testVideos: 3, difficulty: DIFFICULTY_PRESETS.hard, overwrite: false,
    });
    expect(() => parseSynthArgs(['--out', 'x', '--size', '48'])).toThrow(/--size must look like HxW/);
    expect(() => parseSynthArgs(['--out', 'x', '--difficulty', 'brutal'])).toThrow(/--difficulty must be one of easy, default, hard/);
    expect(() => parseSynthArgs(['--train', '3'])).toThrow(ConfigError);
    expect(() => parseSynthArgs(['--out', 'x', '--nope'])).toThrow(ConfigError);
  });

  it('synth writes a dataset that info counts', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const out = path.join(dir, 'synth');
    expect(await run(['synth', '--out', out, '--train', '3', '--val', '1', '--test', '2', '--frames', '3', '--size', '32x40', '--objects', '2-2'])).toBe(0);
    expect(fs.existsSync(path.join(out, 'ImageSets/2017/val.txt'))).toBe(true);
    log.mockClear();
    expect(await run(['info', '--root', out, '--check'])).toBe(0);
    const text = log.mock.calls.map((c) => String(c[0])).join('\n');
    expect(text).toContain('train: 3 sequences, 9 frames (9 annotated), 6 objects, sizes 40x32');
    expect(text).toContain('val: 1 sequences, 3 frames (3 annotated), 2 objects, sizes 40x32');
    expect(text).toContain('test: 2 sequences, 6 frames (6 annotated), 4 objects, sizes 40x32');
  });

  it('info lists bad videos and exits 1', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const out = path.join(dir, 'bad');
    await run(['synth', '--out', out, '--train', '2', '--val', '0', '--test', '0', '--frames', '2', '--size', '32x32']);
    fs.rmSync(path.join(out, 'Annotations/480p/synth-0001/00001.png'));
    log.mockClear();
    expect(await run(['info', '--root', out])).toBe(1);
    expect(log.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/skipped synth-0001: .*00001\.png: missing annotation/);
  });
});
