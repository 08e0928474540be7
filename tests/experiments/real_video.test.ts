// `rvos experiment real` end to end at tiny settings: both modes trained a few steps on the
// photographic synthetic data (procedural fallback: no photographs here), then, with a DAVIS-2016
// folder in the official layout made here, scored on its val videos in the report's "Real video"
// section beside the copy-first and zero-shot floors; without a folder, one skip line and no section.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runExperiment } from '../../src/experiments/launch/experiment.js';
import { regenerateResultsMarkdown, writeResultsMarkdown } from '../../src/experiments/report/results_md.js';
import { checkRealVideoRoot, readRealVideo, REAL_VIDEO_SKIPPED, realVideoRoot, RUN_REAL_FILE } from '../../src/experiments/report/real_video.js';
import { run as infer } from '../../src/cli/commands/infer.js';
import { run as reportCli } from '../../src/cli/commands/report.js';
import { startDemoServer } from '../../src/cli/demo_server.js';
import { readRgbImage } from '../../src/data/image_io.js';
import { readLabelPng, writeLabelPng } from '../../src/data/palette_png.js';
import { movingSquare, writeDavis2016Official } from '../data/davis2016_fixture.js';
import { removeDir, tempDir } from '../data/helpers.js';
import { fetchModelFiles, fetchRunInfo } from '../../web/src/load_model.js';
import { FrameSegmenter } from '../../web/src/segmenter.js';
import { TINY_TRAINING } from './sweep_fixture.js';

const base = tempDir('rvos-real-video-');
afterAll(() => removeDir(base));

const ENV = ['DAVIS2016_ROOT', 'DAVIS_ROOT'] as const;
/** The experiment's runs (frozen MobileNetV2 truncated at stride 16), for the loading checks below. */
let runs: { runDir: string; task: string }[] = [];
let saved: Record<string, string | undefined> = {};
beforeEach(() => {
  saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  for (const k of ENV) delete process.env[k];
});
afterEach(() => {
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe('the real-video folder', () => {
  it('data.real_root wins over DAVIS2016_ROOT, which wins over DAVIS_ROOT; none set: null', () => {
    expect(realVideoRoot({ real_root: null }, {})).toBeNull();
    expect(realVideoRoot({ real_root: null }, { DAVIS_ROOT: '/d' })).toEqual({ root: '/d', from: 'DAVIS_ROOT' });
    expect(realVideoRoot({ real_root: null }, { DAVIS_ROOT: '/d', DAVIS2016_ROOT: '/e' })).toEqual({ root: '/e', from: 'DAVIS2016_ROOT' });
    expect(realVideoRoot({ real_root: '/f' }, { DAVIS2016_ROOT: '/e' })).toEqual({ root: '/f', from: 'data.real_root' });
  });

  it('a configured folder that is not there is refused before training, naming where it came from', () => {
    expect(() => checkRealVideoRoot({ root: path.join(base, 'nowhere'), from: 'data.real_root' })).toThrow(/^data\.real_root=.*nowhere: no such folder/);
    expect(() => checkRealVideoRoot(null)).not.toThrow();
  });
});

describe('rvos experiment real (tiny)', () => {
  it('no folder: one skip line and no section; with DAVIS2016_ROOT: every run scored, floors as rows, in report.md and report.html', async () => {
    const davis = path.join(base, 'davis2016');
    // val: two videos; the moving 10x10 square of the fixture (its copy-first J is worked out below).
    await writeDavis2016Official(
      davis,
      [
        { name: 'a', frames: 4 },
        { name: 'b', frames: 5 },
      ],
      { val: ['a', 'b'] },
    );
    const sweepDir = path.join(base, 'sweep');
    const overrides = [
      'launcher=basic',
      'backend=wasm',
      `data.root=${path.join(base, 'synth')}`,
      `data.synth.photos=${path.join(base, 'no-photos')}`,
      ...TINY_TRAINING,
    ];
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    const first = await runExperiment({ name: 'real', configDir: 'configs', overrides, sweepDir, resume: false, log, progress: false });
    expect(first.outcomes.map((o) => o.status)).toEqual(['ok', 'ok']);
    expect(lines.filter((l) => l.includes('real video')).map((l) => l.trim())).toEqual([REAL_VIDEO_SKIPPED]);
    expect(fs.readFileSync(first.report, 'utf8')).not.toContain('Real video');
    expect(readRealVideo(sweepDir)).toBeNull();

    // The same sweep again with the folder in the environment: the finished runs are kept and scored.
    process.env.DAVIS2016_ROOT = davis;
    lines.length = 0;
    const before = tf.memory().numTensors;
    const second = await runExperiment({ name: 'real', configDir: 'configs', overrides, sweepDir, resume: true, log, progress: false });
    expect(tf.memory().numTensors).toBe(before);
    const real = readRealVideo(sweepDir)!;
    runs = real.runs.map((r) => ({ runDir: r.runDir, task: r.task }));
    expect(real.from).toBe('DAVIS2016_ROOT');
    expect(real.missing).toEqual([]);
    expect(real.runs.map((r) => r.task).sort()).toEqual(['semi_supervised', 'unsupervised']);
    for (const r of real.runs) {
      expect(r.perSequence.map((s) => s.name)).toEqual(['a', 'b']);
      // Per run too, for summaries and later reports.
      const own = JSON.parse(fs.readFileSync(path.join(r.runDir, RUN_REAL_FILE), 'utf8'));
      expect(own.global['J&F-Mean']).toBe(r.global['J&F-Mean']);
      expect(own.task).toBe(r.task);
    }
    expect(real.floors.map((f) => f.name)).toEqual(['copy_first', 'empty', 'motion_blob']);
    // Copy-first on DAVIS-2016's scored frames (1..n-2): the square moves 2 px a frame, so frame t
    // overlaps frame 0 in 10 - 2t of 10 + 2t columns. a: frames 1, 2; b: frames 1, 2, 3.
    const copy = real.floors.find((f) => f.name === 'copy_first')!;
    const ja = (8 / 12 + 6 / 14) / 2;
    const jb = (8 / 12 + 6 / 14 + 4 / 16) / 3;
    expect(copy.perSequence.map((s) => s.j)).toEqual([expect.closeTo(ja, 12), expect.closeTo(jb, 12)]);
    // The empty zero-shot floor predicts nothing where every frame has the object: J = 0.
    expect(real.floors.find((f) => f.name === 'empty')!.global['J-Mean']).toBe(0);

    const md = fs.readFileSync(second.report, 'utf8');
    expect(md).toContain('## Real video (DAVIS-2016)');
    expect(md).toContain(`DAVIS-2016 folder ${davis} (DAVIS2016_ROOT)`);
    expect(md).toMatch(/\| `one_shot` \| semi-supervised \| 1 \| \d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\] \|/);
    expect(md).toMatch(/\| `zero_shot` \| unsupervised foreground \| 1 \| /);
    expect(md).toContain(`| floor: copy_first | semi-supervised | – | ${(((ja + jb) / 2 + meanF(copy)) / 2).toFixed(3)} | ${((ja + jb) / 2).toFixed(3)} |`);
    expect(md).toMatch(/\| floor: motion_blob \(32x32\) \| unsupervised foreground \| – \|/);
    // The committed page and its summary carry the section; regenerated from the summary alone too.
    const page = writeResultsMarkdown(sweepDir, path.join(base, 'results', 'real.md'));
    expect(fs.readFileSync(page.md, 'utf8')).toContain('## Real video (DAVIS-2016)');
    expect(JSON.parse(fs.readFileSync(page.summary, 'utf8')).real.root).toBe('davis2016');
    const again = regenerateResultsMarkdown(page.summary, path.join(base, 'results', 'again.md'));
    expect(fs.readFileSync(again, 'utf8')).toContain(`| floor: copy_first | semi-supervised | – |`);
    // `rvos report` on a sweep without the scores computes them when a folder is configured.
    fs.rmSync(path.join(sweepDir, 'real_video.json'));
    const say = console.log;
    console.log = () => {};
    try {
      expect(await reportCli([sweepDir])).toBe(0);
    } finally {
      console.log = say;
    }
    expect(readRealVideo(sweepDir)!.runs.map((r) => r.global['J&F-Mean'])).toEqual(real.runs.map((r) => r.global['J&F-Mean']));
    const html = fs.readFileSync(second.html, 'utf8');
    expect(html).toContain('<h2>Real video (DAVIS-2016)</h2>');
    expect(html).toContain('floor: copy_first');
  }, 600_000);
});

describe('a frozen, truncated MobileNetV2 run loads like any other', () => {
  it('rvos infer segments a folder of frames with it, and the web segmenter (model fetched from `rvos demo`) gives the same masks', async () => {
    expect(runs.length).toBe(2);
    const frames = path.join(base, 'davis2016', 'JPEGImages', '480p', 'a');
    const firstMask = path.join(base, 'first.png');
    writeLabelPng(firstMask, movingSquare(0));
    const quiet = { log: console.log };
    console.log = () => {};
    try {
      for (const { runDir, task } of runs) {
        const out = path.join(base, `infer-${task}`);
        const args = [
          '--run',
          runDir,
          '--frames',
          frames,
          '--out',
          out,
          '--backend',
          'wasm',
          ...(task === 'semi_supervised' ? ['--first-mask', firstMask] : []),
        ];
        expect(await infer(args)).toBe(0);
        expect(fs.readdirSync(path.join(out, 'masks')).sort()).toEqual(['00000.png', '00001.png', '00002.png', '00003.png']);
      }
    } finally {
      console.log = quiet.log;
    }
    // The browser's code path: run.json and the model folder over HTTP from the demo server, the
    // model built from the fetched bytes (no pretrained file is read), frames stepped one by one.
    const oneShot = runs.find((r) => r.task === 'semi_supervised')!;
    const server = await startDemoServer(oneShot.runDir, 0);
    try {
      const url = `${server.url}run/`;
      const info = await fetchRunInfo(url);
      const files = await fetchModelFiles(url);
      expect(files.config.encoder).toMatchObject({ name: 'mobilenetv2', freeze: 'all', outputStride: 16 });
      const before = tf.memory().numTensors;
      const model = await files.build();
      const segmenter = new FrameSegmenter(model, info);
      const names = fs.readdirSync(frames).sort();
      for (const [t, name] of names.entries()) {
        const labels = segmenter.step(await readRgbImage(path.join(frames, name)), t === 0 ? movingSquare(0) : null);
        const cli = readLabelPng(path.join(base, 'infer-semi_supervised', 'masks', name.replace('.jpg', '.png')));
        expect(labels.data).toEqual(cli.data);
      }
      segmenter.dispose();
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      await server.close();
    }
  }, 300_000);
});

function meanF(floor: { perSequence: { f: number }[] }): number {
  return floor.perSequence.reduce((a, s) => a + s.f, 0) / floor.perSequence.length;
}
