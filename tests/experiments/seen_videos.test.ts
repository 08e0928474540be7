// report.seen_videos end to end at tiny settings: both modes of zero_vs_one_shot trained a few steps
// (one seed), first with the key off (no folder, no section), then resumed with it on: the runs are
// scored on held-out videos of the training setting, generated beside data.root, in the report's
// "Training-setting videos" section beside their test J&F and the floors on the same videos.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { composeConfig } from '../../src/config/index.js';
import { readRgbImage } from '../../src/data/image_io.js';
import { runExperiment } from '../../src/experiments/launch/experiment.js';
import { regenerateResultsMarkdown, writeResultsMarkdown } from '../../src/experiments/report/results_md.js';
import { copyFirstOnVideos } from '../../src/experiments/report/score_videos.js';
import { readSeenVideos, RUN_SEEN_FILE, seenFloorOf } from '../../src/experiments/report/seen_videos.js';
import { readSweepFloors } from '../../src/experiments/report/sweep_floors.js';
import { checkSeenDataset, seenDatasetRoot } from '../../src/experiments/run/datasets.js';
import { removeDir, tempDir } from '../data/helpers.js';
import { CONFIG_DIR, TINY_TRAINING } from './sweep_fixture.js';

const base = tempDir('rvos-seen-videos-');
afterAll(() => removeDir(base));

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('report.seen_videos', () => {
  it('a bad value is one line naming the key', () => {
    for (const bad of ['-1', '2.5', 'many']) {
      expect(() => composeConfig({ configDir: CONFIG_DIR, overrides: [`report.seen_videos=${bad}`] })).toThrow(/^Invalid config: report\.seen_videos [^\n]*$/);
    }
    // Off by default, on in the baselines experiment; data that has no training setting cannot have these videos.
    expect(composeConfig({ configDir: CONFIG_DIR, overrides: [] }).config.report.seen_videos).toBe(0);
    expect(composeConfig({ configDir: CONFIG_DIR, overrides: ['experiment=baselines'] }).config.report.seen_videos).toBe(30);
    const davis = composeConfig({ configDir: CONFIG_DIR, overrides: ['data=davis2017'] }).config.data;
    expect(() => checkSeenDataset(davis, 3)).toThrow(/^report\.seen_videos=3 needs synthetic data \(data\.dataset is davis2017\); set report\.seen_videos=0$/);
  });

  it('off: no folder, no section; on (resumed sweep): every run and the floors scored on training-setting videos, in report.md, report.html and the committed summary', async () => {
    const root = path.join(base, 'synth');
    const sweepDir = path.join(base, 'sweep');
    // Training setting 32x32, held-out setting 24x40: a seen video of the wrong setting has the wrong size.
    const overrides = [
      'launcher=basic',
      'backend=wasm',
      `data.root=${root}`,
      ...TINY_TRAINING,
      'data.synth.variety.train.sizes=[[32,32]]',
      'data.synth.variety.held_out.sizes=[[24,40]]',
    ];
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    const first = await runExperiment({ name: 'zero_vs_one_shot', configDir: CONFIG_DIR, overrides, sweepDir, resume: false, log, progress: false });
    expect(first.outcomes.map((o) => o.status)).toEqual(['ok', 'ok']);
    expect(fs.existsSync(seenDatasetRoot({ root }))).toBe(false);
    expect(fs.readFileSync(first.report, 'utf8')).not.toContain('Training-setting videos');
    expect(readSeenVideos(sweepDir)).toBeNull();
    expect(lines.some((l) => l.includes('training-setting'))).toBe(false);

    // The same sweep with the key on: the finished runs are kept (report.* does not change a run) and scored.
    lines.length = 0;
    const before = tf.memory().numTensors;
    const second = await runExperiment({
      name: 'zero_vs_one_shot',
      configDir: CONFIG_DIR,
      overrides: [...overrides, 'report.seen_videos=2'],
      sweepDir,
      resume: true,
      log,
      progress: false,
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(second.outcomes.map((o) => o.status)).toEqual(['skipped', 'skipped']);
    const seenRoot = `${root}-seen`;
    expect(lines).toContain(`  generated 2 training-setting video(s) in ${seenRoot}`);
    // The run's own data folder is untouched: no seen list there.
    expect(fs.existsSync(path.join(root, 'ImageSets', '2017', 'seen.txt'))).toBe(false);
    const names = ['synth-seen-0000', 'synth-seen-0001'];
    expect(fs.readFileSync(path.join(seenRoot, 'ImageSets', '2017', 'seen.txt'), 'utf8')).toBe(`${names.join('\n')}\n`);
    expect(JSON.parse(fs.readFileSync(path.join(seenRoot, 'synth.json'), 'utf8'))).toMatchObject({
      seenVideos: 2,
      trainVideos: 0,
      valVideos: 0,
      testVideos: 0,
    });
    // Training setting (32x32), not the held-out one (24x40) the test video comes from.
    for (const n of names) expect(await readRgbImage(path.join(seenRoot, 'JPEGImages', '480p', n, '00000.jpg'))).toMatchObject({ height: 32, width: 32 });
    expect(await readRgbImage(path.join(root, 'JPEGImages', '480p', 'synth-test-0000', '00000.jpg'))).toMatchObject({ height: 24, width: 40 });

    const seen = readSeenVideos(sweepDir)!;
    expect(seen).toMatchObject({ root: seenRoot, split: 'seen', protocol: 'davis2017', setting: 'variety.train', videos: 2, missing: [] });
    expect(seen.runs.map((r) => r.task).sort()).toEqual(['semi_supervised', 'unsupervised']);
    for (const r of seen.runs) {
      expect(r.perSequence.map((s) => s.name)).toEqual(names);
      const own = JSON.parse(fs.readFileSync(path.join(r.runDir, RUN_SEEN_FILE), 'utf8'));
      expect(own.global['J&F-Mean']).toBe(r.global['J&F-Mean']);
      expect(own.setting).toBe('variety.train');
    }
    expect(seen.floors.map((f) => f.name)).toEqual(['copy_first', 'empty', 'motion_blob']);
    for (const f of seen.floors) expect(f.perSequence.map((s) => s.name)).toEqual(names);
    // Copy-first on the seen folder, computed here, is the floor row; the test split's copy-first (one other video) is not.
    const copy = await copyFirstOnVideos({ dataset: 'davis2017', root: seenRoot, split: 'seen', protocol: 'davis2017' });
    const copyJf = mean(copy.perSequence.map((s) => s.jAndF));
    expect(seenFloorOf(seen, 'semi_supervised')!.perSequence).toEqual(copy.perSequence);
    const testCopy = readSweepFloors(sweepDir)!.floors.find((f) => f.name === 'copy_first')!;
    expect(testCopy.perSequence.map((s) => s.name)).toEqual(['synth-test-0000']);
    expect(testCopy.global['J&F-Mean'].toFixed(3)).not.toBe(copyJf.toFixed(3));

    // The section: per variant its J&F here, its test J&F (unseen settings) and the difference from its floor.
    const md = fs.readFileSync(second.report, 'utf8');
    expect(md).toContain('## Training-setting videos');
    expect(md).toContain(`on 2 held-out videos drawn from data.synth.variety.train`);
    const oneShot = seen.runs.find((r) => r.task === 'semi_supervised')!;
    const oneShotJf = mean(oneShot.perSequence.map((s) => s.jAndF));
    const results = JSON.parse(fs.readFileSync(path.join(oneShot.runDir, 'results.json'), 'utf8'));
    const testJf = mean(results.perSequence.map((s: { jAndF: number }) => s.jAndF));
    const row = md.split('\n').find((l) => l.includes('| semi-supervised | 1 |'))!;
    expect(row).toContain(`| ${oneShotJf.toFixed(3)} [`);
    expect(row).toContain(`| ${testJf.toFixed(3)} [`);
    const delta = oneShotJf - copyJf;
    expect(row).toContain(`| ${delta >= 0 ? '+' : '−'}${Math.abs(delta).toFixed(3)} (copy_first) |`);
    expect(md).toContain(`| floor: copy_first | semi-supervised | – | ${copyJf.toFixed(3)} | – | – |`);
    expect(md).toMatch(/\| floor: motion_blob \(32x32\) \| unsupervised \| – \| \d\.\d{3} \| – \| – \|/);
    expect(md.split('\n').some((l) => l.includes('| unsupervised | 1 |') && /\((empty|motion_blob)\) \|$/.test(l))).toBe(true);
    expect(fs.readFileSync(second.html, 'utf8')).toContain('<h2>Training-setting videos</h2>');

    // The committed page and its summary carry the section; regenerated from the summary alone too.
    const page = writeResultsMarkdown(sweepDir, path.join(base, 'results', 'seen.md'), { configDir: CONFIG_DIR });
    expect(fs.readFileSync(page.md, 'utf8')).toContain('## Training-setting videos');
    const summary = JSON.parse(fs.readFileSync(page.summary, 'utf8'));
    expect(summary.seen.root).toBe('synth-seen');
    expect(summary.seen.runs.map((r: { runDir: string }) => r.runDir).sort()).toEqual(['0', '1']);
    const again = regenerateResultsMarkdown(page.summary, path.join(base, 'results', 'again.md'), { configDir: CONFIG_DIR });
    expect(fs.readFileSync(again, 'utf8')).toContain(`| floor: copy_first | semi-supervised | – | ${copyJf.toFixed(3)} | – | – |`);

    // A new machine: the committed summary fills both jobs (no weights). Its own training-setting
    // scores are taken, not computed again; a summary without them leaves the jobs listed as missing.
    for (const withSeen of [true, false]) {
      const source = path.join(base, 'results', withSeen ? 'with-seen.summary.json' : 'without-seen.summary.json');
      // The source's jobs numbered 10 and 11: the filled jobs keep their own numbers (0 and 1).
      const shift = <T extends { index: number }>(list: T[]) => list.map((j) => ({ ...j, index: j.index + 10 }));
      const renumbered = { ...summary, jobs: shift(summary.jobs), seen: { ...summary.seen, runs: shift(summary.seen.runs) } };
      fs.writeFileSync(source, JSON.stringify(withSeen ? renumbered : { ...renumbered, seen: undefined }));
      lines.length = 0;
      const reusedDir = path.join(base, withSeen ? 'reused-with' : 'reused-without');
      const third = await runExperiment({
        name: 'zero_vs_one_shot',
        configDir: CONFIG_DIR,
        overrides: [...overrides, 'report.seen_videos=2'],
        sweepDir: reusedDir,
        resume: false,
        reuse: [source],
        log,
        progress: false,
      });
      expect(third.outcomes.map((o) => o.status)).toEqual(['skipped', 'skipped']);
      const carried = readSeenVideos(reusedDir)!;
      if (withSeen) {
        expect(carried.missing).toEqual([]);
        expect(carried.runs.map((r) => [r.index, r.global['J&F-Mean']])).toEqual(seen.runs.map((r) => [r.index, r.global['J&F-Mean']]));
        expect(carried.runs.map((r) => path.relative(reusedDir, r.runDir)).sort()).toEqual(['0', '1']);
        expect(lines.filter((l) => l.includes('computed before, not scored again'))).toHaveLength(2);
        expect(fs.readFileSync(third.report, 'utf8')).toContain(`| ${oneShotJf.toFixed(3)} [`);
      } else {
        expect(carried.runs).toEqual([]);
        expect(carried.missing.map((m) => m.what)).toEqual(['job 0', 'job 1']);
        expect(carried.missing[0]!.reason).toBe(
          `re-used from ${source} job 10, which holds scores without weights and no training-setting score for these videos`,
        );
      }
    }

    // An existing folder made for another count is refused in one line, before anything trains.
    const data = composeConfig({ configDir: CONFIG_DIR, overrides: ['experiment=zero_vs_one_shot', ...overrides] }).config.data;
    expect(() => checkSeenDataset(data, 2)).not.toThrow();
    expect(() => checkSeenDataset(data, 3)).toThrow(
      /^report\.seen_videos: .*synth-seen holds training-setting videos generated with different seenVideos than [^\n]*$/,
    );
  }, 600_000);
});
