// The committed form of a sweep's results (docs/results/<name>.md + <name>.summary.json).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { regenerateResultsMarkdown, writeResultsMarkdown } from '../../src/experiments/report/results_md.js';
import { FLOORS_FILE, floorKey } from '../../src/experiments/report/sweep_floors.js';
import { loadRunConfig } from '../../src/config/index.js';
import { REUSED_FILE } from '../../src/experiments/run/sweep_job.js';
import { finishSweepInfo, readSweepInfo, shellQuote, startSweepInfo } from '../../src/experiments/report/sweep_info.js';
import { CONFIG_DIR, overrideValue, writeFixtureSweep } from './sweep_fixture.js';

// 2 variants × 2 seeds, 20 steps: one-shot − zero-shot = +0.30, +0.32 per seed.
function tinySweep(): string {
  const scores: Record<string, number[]> = { zero_shot: [0.4, 0.41], one_shot: [0.7, 0.73] };
  const dir = writeFixtureSweep('zero_vs_one_shot', (o) => scores[overrideValue(o, 'model.mode')!]![Number(overrideValue(o, 'seed')) - 1]!, [
    'seed=1,2',
    'train.steps=20',
  ]);
  // A per-sequence table (one video, scored as the run), which the committed form leaves to the sweep's own report.
  const jf = [0.4, 0.41, 0.7, 0.73];
  for (const job of ['0', '1', '2', '3']) {
    fs.mkdirSync(path.join(dir, job, 'eval'), { recursive: true });
    for (const task of ['semi-supervised', 'unsupervised'])
      fs.writeFileSync(
        path.join(dir, job, 'eval', `per-sequence_results-${task}.csv`),
        `Sequence,J-Mean,F-Mean\nsynth-0001_1,${jf[Number(job)]},${jf[Number(job)]}\n`,
      );
  }
  return dir;
}

describe('rvos report --results-md', () => {
  it('writes provenance, the tables, paired comparisons and claims, and how to re-run one job', () => {
    const dir = tinySweep();
    const info = startSweepInfo(
      dir,
      'zero_vs_one_shot',
      ['rvos', 'experiment', 'zero_vs_one_shot', '--seeds', '2', 'train.steps=20'].map(shellQuote).join(' '),
      2,
    );
    finishSweepInfo(dir, { ...info, started: new Date(Date.now() - 125_000).toISOString() });
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-results-'));
    const written = writeResultsMarkdown(dir, path.join(out, 'zero_vs_one_shot.md'), { configDir: CONFIG_DIR });
    const md = fs.readFileSync(written.md, 'utf8');
    expect(md.startsWith('# Results: zero_vs_one_shot\n')).toBe(true);
    expect(md).toContain('| command | `rvos experiment zero_vs_one_shot --seeds 2 train.steps=20` |');
    const commit = readSweepInfo(dir)!.commit;
    if (commit !== null) expect(md).toContain(`| commit | \`${commit}\``);
    expect(md).toMatch(/\| machine \| \d+ × .*Node v\d+.*; backend wasm \|/);
    expect(md).toMatch(/\| wall time \| 2m0[5-6]s \(4 runs, 2 at a time; finished \d{4}-/);
    expect(md).toContain('| runs | 4 of 4 finished |');
    expect(md).toContain('| seeds | 1, 2 |');
    expect(md).toContain("| training | 20 steps: **shortened** (the experiment's own length is 4000); not the full comparison |");
    expect(md).toContain('| `model.mode=zero_shot` | unsupervised | 2 | 0.405 ± 0.007 |');
    // Per seed +0.30, +0.32 on the one video: the seeds' t-test (t = 31, df 1) gives p = 1 − (2/π) atan 31 = 0.021; d_z = 0.31 / 0.0141.
    expect(md).toContain(
      '| `model.mode=one_shot` | `model.mode=zero_shot` | +0.310 [+0.300, +0.320] | 2 × 1 | +21.92 | 0.021 | yes (Holm p = 0.021); different protocols',
    );
    expect(md).toContain("## The paper's claims");
    expect(md).not.toContain('## Per sequence');
    expect(md).toContain('## Runs');
    expect(md).toContain('node bin/rvos.mjs train experiment=zero_vs_one_shot train.steps=20 model.mode=zero_shot seed=1\n');
    expect(md).toContain('[zero_vs_one_shot.summary.json](zero_vs_one_shot.summary.json)');
    expect(md.trimEnd().endsWith('-->')).toBe(true); // the Notes placeholder comes last
    const summary = JSON.parse(fs.readFileSync(written.summary, 'utf8')) as {
      jobs: { runDir: string; results?: { seed: number }; config: { model: { mode: string }; seed: number }; choices: Record<string, string> }[];
    };
    expect(summary.jobs.map((j) => j.runDir)).toEqual(['0', '1', '2', '3']);
    expect(summary.jobs.map((j) => j.results?.seed)).toEqual([1, 2, 1, 2]);
    // Each job's resolved config and group choices, as its run folder recorded them.
    expect(summary.jobs.map((j) => `${j.config.model.mode}:${j.config.seed}`)).toEqual(['zero_shot:1', 'zero_shot:2', 'one_shot:1', 'one_shot:2']);
    expect(summary.jobs[0]!.choices.data).toBe('synthetic_varied_1k');
  });

  it('names the oneDNN thread count the jobs trained with and sets it in the re-run command', () => {
    const dir = tinySweep();
    // As a sweep writes it when the native convolutions ran: 2 jobs at a time on 2 cores, 1 thread each.
    const file = path.join(dir, 'summary.json');
    const summary = JSON.parse(fs.readFileSync(file, 'utf8')) as { jobs: { results?: Record<string, unknown> }[] };
    for (const job of summary.jobs) if (job.results) job.results.nativeThreads = 1;
    fs.writeFileSync(file, JSON.stringify(summary));
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-results-')), 'z.md');
    writeResultsMarkdown(dir, out, { configDir: CONFIG_DIR });
    const md = fs.readFileSync(out, 'utf8');
    expect(md).toMatch(/; backend wasm \+ oneDNN convolutions \(1 thread per job\) \|/);
    expect(md).toContain('\nRVOS_NATIVE_THREADS=1 node bin/rvos.mjs train experiment=zero_vs_one_shot train.steps=20 model.mode=zero_shot seed=1\n');
  });

  it('regenerating keeps what people wrote under ## Notes and rewrites the rest', () => {
    const dir = tinySweep();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-results-')), 'z.md');
    writeResultsMarkdown(dir, file, { configDir: CONFIG_DIR });
    fs.writeFileSync(
      file,
      fs.readFileSync(file, 'utf8').replace('| seeds | 1, 2 |', '| seeds | stale |') +
        '\nST+ does not beat ST here: 600 steps are too few for the second stage.\n',
    );
    writeResultsMarkdown(dir, file, { configDir: CONFIG_DIR });
    const md = fs.readFileSync(file, 'utf8');
    expect(md).toContain('| seeds | 1, 2 |');
    expect(md).toContain('\n## Notes\n');
    expect(md.split('\n## Notes\n').length).toBe(2);
    expect(md.trimEnd().endsWith('ST+ does not beat ST here: 600 steps are too few for the second stage.')).toBe(true);
    // Without sweep.json (a sweep from before it existed) the provenance says so.
    expect(md).toContain('| command | not recorded (sweep run before sweep.json existed) |');
    expect(fs.existsSync(path.join(path.dirname(file), 'z.summary.json'))).toBe(true);
  });

  it('the committed summary carries the floors, and a page regenerates from the summary alone (provenance and notes kept)', () => {
    const dir = tinySweep();
    const config = loadRunConfig(path.join(dir, '2')).config; // a one-shot run
    const global = { 'J&F-Mean': 0.6, 'J-Mean': 0.6, 'J-Recall': 0.6, 'J-Decay': 0, 'F-Mean': 0.6, 'F-Recall': 0.6, 'F-Decay': 0 };
    const floor = {
      key: floorKey(config, 'semi_supervised'),
      task: 'semi_supervised',
      name: 'copy_first',
      split: 'val',
      global,
      perSequence: [{ name: 'synth-0001', jAndF: 0.6 }],
    };
    fs.writeFileSync(
      path.join(dir, FLOORS_FILE),
      JSON.stringify({
        floors: [floor],
        missing: [{ key: floorKey(loadRunConfig(path.join(dir, '0')).config, 'unsupervised'), task: 'unsupervised', reason: 'data moved' }],
      }),
    );
    // Job 1 is a copy of another page's run.
    fs.writeFileSync(path.join(dir, '1', REUSED_FILE), JSON.stringify({ from: 'docs/results/other.summary.json job 3', copied: '2026-12-07T00:00:00Z' }));
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-results-'));
    const file = path.join(out, 'zero_vs_one_shot.md');
    const written = writeResultsMarkdown(dir, file, { configDir: CONFIG_DIR });
    const summary = JSON.parse(fs.readFileSync(written.summary, 'utf8')) as { floors: unknown[]; missing: unknown[] };
    const departures = (text: string) => text.slice(text.indexOf('## Departures from RVOS'), text.indexOf('## Runs'));
    expect(summary.floors).toEqual([floor]);
    expect(summary.missing).toHaveLength(1);
    const first = fs.readFileSync(file, 'utf8');
    expect(first).toContain('| floor: copy the first mask | semi_supervised | – | 0.600 |');
    fs.writeFileSync(file, first.replace('| seeds | 1, 2 |', '| seeds | as committed |') + '\nWritten by a person.\n');
    // The run folders are gone: only the committed summary is left.
    fs.rmSync(dir, { recursive: true, force: true });
    regenerateResultsMarkdown(written.summary, file, { configDir: CONFIG_DIR });
    const md = fs.readFileSync(file, 'utf8');
    expect(md).toContain('| seeds | as committed |'); // the provenance table is the old page's
    // The runs' recorded configs and re-use records: the same departures and copy notes as the first page.
    expect(departures(md)).toContain('objectness head');
    expect(departures(md)).toBe(departures(first));
    expect(md).toContain('reused from docs/results/other.summary.json job 3');
    expect(md.trimEnd().endsWith('Written by a person.')).toBe(true);
    expect(md).toContain('| floor: copy the first mask | semi_supervised | – | 0.600 |');
    // Without the run folders' per-video CSVs the runs pair by seed; the floor is matched by task.
    expect(md).toMatch(
      /\| `model.mode=one_shot` \| 2 \| 0\.715 \[[^\]]+\] \| – \| selected on test videos \(old protocol\) \| clears it: Δ vs floor \+0\.115 /,
    );
    expect(md).toContain('| `model.mode=zero_shot` | 2 | 0.405 [0.400, 0.410] | – | selected on test videos (old protocol) | floor not computed: data moved |');
    expect(md).toContain('| `model.mode=one_shot` | `model.mode=zero_shot` | +0.310 [+0.300, +0.320] | 2 seeds |');
    expect(md).not.toContain(dir);
  });
});
