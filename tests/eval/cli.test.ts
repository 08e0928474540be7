import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { writeLabelPng } from '../../src/data/palette_png.js';
import { run } from '../../src/cli/commands/eval.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-eval-cli-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('rvos eval', () => {
  it('writes the official CSVs and prints the global table', async () => {
    fs.mkdirSync(path.join(root, 'ImageSets', '2017'), { recursive: true });
    fs.writeFileSync(path.join(root, 'ImageSets', '2017', 'val.txt'), 'seq\n');
    const map = { width: 8, height: 6, data: new Uint8Array(48).fill(0).map((_, i) => (i % 8 < 4 ? 1 : 0)) };
    for (let t = 0; t < 3; t++) {
      writeLabelPng(path.join(root, 'Annotations', '480p', 'seq', `0000${t}.png`), map);
      writeLabelPng(path.join(root, 'res', 'seq', `0000${t}.png`), map);
    }
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const code = await run(['--dataset', 'davis2017', '--root', root, '--results', path.join(root, 'res'), '--out', path.join(root, 'out')]);
      expect(code).toBe(0);
      const printed = log.mock.calls.map((c) => String(c[0])).join('\n');
      expect(printed).toMatch(/J&F-Mean J-Mean J-Recall J-Decay F-Mean F-Recall F-Decay\n\s+1\.000\s+1\.000\s+1\.000\s+0\.000/);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
    expect(fs.readFileSync(path.join(root, 'out', 'per-sequence_results-semi-supervised.csv'), 'utf8')).toBe('Sequence,J-Mean,F-Mean\nseq_1,1.000,1.000\n');
  });

  it('evaluates YouTube-VOS with a seen-category file', async () => {
    const yt = path.join(root, 'yt');
    const map = { width: 8, height: 6, data: new Uint8Array(48).map((_, i) => (i % 8 < 4 ? 2 : 0)) };
    fs.mkdirSync(path.join(yt, 'valid'), { recursive: true });
    fs.writeFileSync(path.join(yt, 'valid', 'meta.json'), JSON.stringify({ videos: { vid: { objects: { '2': { category: 'owl', frames: ['00000'] } } } } }));
    writeLabelPng(path.join(yt, 'valid', 'Annotations', 'vid', '00000.png'), map);
    writeLabelPng(path.join(yt, 'res', 'vid', '00000.png'), map);
    fs.writeFileSync(path.join(yt, 'seen.txt'), 'owl\n');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await run(['--dataset', 'youtube_vos', '--root', yt, '--results', path.join(yt, 'res'), '--seen', path.join(yt, 'seen.txt')])).toBe(0);
    } finally {
      log.mockRestore();
    }
    // Only seen objects: Overall is the mean of J-Seen and F-Seen.
    expect(fs.readFileSync(path.join(yt, 'res', 'global_results-youtube_vos.csv'), 'utf8')).toBe(
      'Overall,J-Seen,F-Seen,J-Unseen,F-Unseen\n1.000,1.000,1.000,,\n',
    );
    await expect(run(['--dataset', 'youtube_vos', '--root', yt, '--results', yt])).rejects.toThrow(/--seen FILE/);
  });

  it('rejects a bad task or dataset with a ConfigError', async () => {
    await expect(run(['--dataset', 'davis2017', '--root', root, '--results', root, '--task', 'zero'])).rejects.toThrow(
      /--task must be one of semi_supervised, unsupervised/,
    );
    await expect(run(['--dataset', 'kitti', '--root', root, '--results', root])).rejects.toThrow(/--dataset must be one of davis2016, davis2017, youtube_vos/);
    await expect(run(['--root', root])).rejects.toThrow(/--dataset is required/);
  });
});
