import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeConfig, saveRunConfig } from '../../src/config/index.js';
import { writeLabelPng } from '../../src/data/index.js';
import { ensureSyntheticDataset, openSplit } from '../../src/experiments/run/datasets.js';
import { readScalars } from '../../src/experiments/report/charts_scalars.js';
import { displayNames, inputsNote, renderHtmlReport, writeHtmlReport } from '../../src/experiments/report/report_html.js';
import { groupVariants, readSweep } from '../../src/experiments/report/sweep_results.js';
import { SummaryWriter } from '../../src/logging/index.js';

const CONFIG_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../configs');

function global(jf: number) {
  return { 'J&F-Mean': jf, 'J-Mean': jf - 0.05, 'J-Recall': 0.5, 'J-Decay': -0.1, 'F-Mean': jf + 0.05, 'F-Recall': 0.6, 'F-Decay': 0.2 };
}

let dir = '';

/** A finished sweep as `rvos experiment` leaves it: 2 named variants × 2 modes... kept small: 2 modes × 2 seeds. */
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-html-'));
  const dataRoot = path.join(dir, 'data');
  const common = [
    `data.root=${dataRoot}`,
    'data.size=[32,32]',
    'data.synth.train_videos=1',
    'data.synth.val_videos=2',
    'data.synth.test_videos=2',
    'data.synth.frames=3',
  ];
  const specs = [
    { mode: 'zero_shot', seed: 1, jf: 0.4 },
    { mode: 'zero_shot', seed: 2, jf: 0.6 },
    { mode: 'one_shot', seed: 1, jf: 0.8 },
    { mode: 'one_shot', seed: 2, jf: 0.7 },
  ];
  const jobs = [];
  for (const [index, j] of specs.entries()) {
    const runDir = path.join(dir, String(index));
    const overrides = ['experiment=zero_vs_one_shot', ...common, `model.mode=${j.mode}`, `seed=${j.seed}`];
    const composed = composeConfig({ configDir: CONFIG_DIR, overrides });
    if (index === 0) await ensureSyntheticDataset(composed.config.data);
    saveRunConfig(runDir, composed);
    const task = j.mode === 'one_shot' ? 'semi_supervised' : 'unsupervised';
    const results = {
      task,
      mode: j.mode,
      seed: j.seed,
      steps: 20,
      bestStep: 20,
      trainSeconds: 5,
      evalSeconds: 1,
      global: global(j.jf),
      validation: [
        { step: 10, score: j.jf / 2 },
        { step: 20, score: j.jf },
      ],
    };
    fs.mkdirSync(path.join(runDir, 'eval'), { recursive: true });
    fs.writeFileSync(path.join(runDir, 'results.json'), JSON.stringify(results));
    fs.writeFileSync(
      path.join(runDir, 'eval', `per-sequence_results-${task === 'semi_supervised' ? 'semi-supervised' : 'unsupervised'}.csv`),
      `Sequence,J-Mean,F-Mean\nsynth-0001_1,${j.jf - 0.1},${j.jf + 0.1}\n`,
    );
    const writer = new SummaryWriter(path.join(runDir, 'tb'));
    for (const step of [10, 20]) writer.scalar('train/loss', 3 - step / 10 + index, step);
    writer.close();
    const val = await openSplit(composed.config.data, 'test', task, 'eval');
    for (const seq of val.sequences) {
      for (const f of seq.frameNames) {
        const data = new Uint8Array(seq.width * seq.height);
        data.fill(1, 0, (seq.width * seq.height) / 2);
        writeLabelPng(path.join(runDir, 'predictions', seq.name, `${f}.png`), { width: seq.width, height: seq.height, data });
      }
    }
    jobs.push({ index, overrides, runDir, status: 'ok', exitCode: 0, seconds: 6, results });
  }
  fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ jobs }));
  fs.writeFileSync(path.join(dir, 'multirun.yaml'), 'experiment: zero_vs_one_shot\njobs: []\n');
}, 60_000);

afterAll(() => {
  if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
});

describe('report.html', () => {
  it('is self-contained: inline SVG charts and PNG data URIs, no script and nothing fetched', async () => {
    const file = await writeHtmlReport(dir);
    expect(file).toBe(path.join(dir, 'report.html'));
    const html = fs.readFileSync(file, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|(src|href)\s*=\s*["']?(https?:|\/\/)|url\(\s*["']?https?:|@import/i);
    // 3 bar charts + the per-variant learning curves + per-run validation and loss curves.
    expect(html.match(/<svg/g)?.length).toBe(6);
    // One overlay strip per variant.
    expect(html.match(/src="data:image\/png;base64,/g)?.length).toBe(2);
  });

  it('shows each variant with mean ± std over seeds, the paper context labelled as different data, and the runs', async () => {
    const html = await renderHtmlReport(dir);
    expect(html).toContain('Experiment: zero_vs_one_shot');
    expect(html).toContain('mode=zero_shot');
    expect(html).toContain('mode=one_shot');
    expect(html).toContain('0.500 ± 0.141'); // zero-shot J&F 0.4, 0.6
    expect(html).toContain('0.750 ± 0.071'); // one-shot J&F 0.8, 0.7
    expect(html).toContain('-0.100 ± 0.000'); // J-Decay
    expect(html).toMatch(/Different data/);
    expect(html).toContain('RVOS-Mask-ST+');
    expect(html).toContain('synth-0001_1');
    expect(html).toMatch(/Validation J&amp;F-Mean|Validation J&F-Mean/);
    expect(html).toContain('Training loss');
  });
});

describe('readScalars', () => {
  it('reads back the scalars a SummaryWriter wrote, by tag and step', () => {
    const series = readScalars(path.join(dir, '2'));
    expect(series.get('train/loss')).toEqual([
      { step: 10, value: 4 },
      { step: 20, value: 3 },
    ]);
    expect(readScalars(path.join(dir, 'nowhere')).size).toBe(0);
  });

  it('keeps the whole records of a file cut mid-record', () => {
    const tb = path.join(dir, '1', 'tb');
    const file = path.join(tb, fs.readdirSync(tb)[0]!);
    const bytes = fs.readFileSync(file);
    const copy = path.join(dir, 'cut', 'tb');
    fs.mkdirSync(copy, { recursive: true });
    fs.writeFileSync(path.join(copy, 'events.out.tfevents.1.x'), bytes.subarray(0, bytes.length - 5));
    expect(readScalars(path.join(dir, 'cut')).get('train/loss')).toEqual([{ step: 10, value: 3 }]);
  });
});

describe('displayNames', () => {
  it('names sweep.variants jobs by their run.name plus what differs among them', () => {
    const variants = groupVariants(readSweep(dir));
    expect([...displayNames(variants).values()]).toEqual(['mode=zero_shot', 'mode=one_shot']);
    const named = variants.map((v, i) => ({
      ...v,
      overrides: [...v.overrides, 'model.inputs=[prev_mask]'],
      jobs: v.jobs.map((j) => ({ ...j, overrides: [`run.name=${i === 0 ? 'none' : 'none'}`, ...j.overrides] })),
    }));
    expect([...displayNames(named).values()]).toEqual(['none · mode=zero_shot', 'none · mode=one_shot']);
  });
});

describe('inputsNote', () => {
  it('names the zero-shot inputs, slot canvas and foreground map, and leaves them out for one-shot, which ignores them', () => {
    const note = (mode: string, ...more: string[]): string =>
      inputsNote(composeConfig({ configDir: CONFIG_DIR, overrides: ['experiment=main', `model.mode=${mode}`, ...more] }).config);
    expect(note('zero_shot')).toBe('no mask input (zero-shot has none); foreground map (a head trained on the union of the masks)');
    expect(note('zero_shot', 'model.inputs=[prev_mask,slot_canvas,foreground]')).toBe(
      "no mask input (zero-shot has none); slot canvas (what the frame's earlier slots claimed); foreground map (a head trained on the union of the masks)",
    );
    expect(note('one_shot', 'model.inputs=[prev_mask]')).toBe('previous mask');
  });
});
