import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { composeConfig, configDifferences, loadRunConfig, runConfigRecord, saveRunConfig, type RvosConfig } from '../../src/config/index.js';
import { experimentJobs, planExperiment } from '../../src/experiments/launch/experiment.js';
import { finishedJobs } from '../../src/experiments/launch/launcher.js';
import { REUSE_IGNORED, reuseFinishedRuns } from '../../src/experiments/launch/reuse_runs.js';
import { jobStatusText, readSweep } from '../../src/experiments/report/sweep_results.js';
import { readReused } from '../../src/experiments/run/sweep_job.js';
import { ConfigError } from '../../src/utils/errors.js';

const CONFIG_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../configs');
const compose = (overrides: string[]) => composeConfig({ configDir: CONFIG_DIR, overrides });

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});
function tmp(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-reuse-'));
  roots.push(dir);
  return dir;
}

/** A finished run folder as `rvos train` leaves it: its config record and results.json. */
function finishedRun(dir: string, overrides: string[], score: number): void {
  saveRunConfig(dir, compose(overrides));
  fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify({ global: { 'J&F-Mean': score } }));
  fs.mkdirSync(path.join(dir, 'eval'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'eval', 'marker.txt'), `score ${score}`);
}

const OPTS = { configDir: CONFIG_DIR, weightsNeed: null, log: () => {} };

const mainOneShot = (seed: number) => [
  'experiment=main',
  'run.name=one_shot',
  'model.mode=one_shot',
  'model.inputs=[prev_mask]',
  'model.recurrence=ST',
  'train.stages=st_plus',
  `seed=${seed}`,
];

function recurrenceJobs(): { index: number; config: RvosConfig }[] {
  return experimentJobs('recurrence', CONFIG_DIR, []).map((overrides, index) => ({ index, config: compose(overrides).config }));
}

describe('re-using finished runs across sweeps', () => {
  it("the main job's one-shot runs fill the recurrence ablation's ST+ jobs of the same seed, and nothing else", () => {
    const source = tmp();
    const sweep = tmp();
    finishedRun(path.join(source, '5'), mainOneShot(1), 0.66);
    finishedRun(path.join(source, '6'), mainOneShot(2), 0.65);
    // Same seed, another learning rate: not the same run.
    finishedRun(path.join(source, '7'), [...mainOneShot(3), 'train.lr=0.001'], 0.5);
    const lines: string[] = [];
    const filled = reuseFinishedRuns(sweep, recurrenceJobs(), [source], { ...OPTS, log: (l) => lines.push(l) });
    // recurrence's jobs: S, T, ST, ST+ × seeds 1..5; ST+ seed 1 and 2 are jobs 15 and 16.
    expect(filled).toEqual([15, 16]);
    expect(fs.readFileSync(path.join(sweep, '15', 'eval', 'marker.txt'), 'utf8')).toBe('score 0.66');
    expect(fs.readFileSync(path.join(sweep, '16', 'eval', 'marker.txt'), 'utf8')).toBe('score 0.65');
    expect(readReused(path.join(sweep, '15'))?.from).toBe(path.join(source, '5'));
    expect(fs.existsSync(path.join(sweep, '17'))).toBe(false);
    expect(fs.readdirSync(sweep).filter((e) => e.endsWith('.tmp'))).toEqual([]);
    // The source is left as it was.
    expect(fs.existsSync(path.join(source, '5', 'reused.json'))).toBe(false);
    expect(lines.join('\n')).toContain('job 15: re-used the finished run');
  });

  it('a job folder that already holds a run or a checkpoint is never replaced', () => {
    const source = tmp();
    const sweep = tmp();
    finishedRun(path.join(source, '0'), mainOneShot(1), 0.66);
    fs.mkdirSync(path.join(sweep, '15', 'checkpoints'), { recursive: true });
    fs.writeFileSync(path.join(sweep, '15', 'checkpoints', 'latest.json'), JSON.stringify({ step: 500 }));
    expect(reuseFinishedRuns(sweep, recurrenceJobs(), [source], OPTS)).toEqual([]);
    expect(fs.existsSync(path.join(sweep, '15', 'results.json'))).toBe(false);
  });

  it('a copy of a copy names the run that computed it; the reports mark copied jobs', () => {
    const origin = tmp();
    const first = tmp();
    const second = tmp();
    finishedRun(path.join(origin, '0'), mainOneShot(1), 0.66);
    expect(reuseFinishedRuns(first, recurrenceJobs(), [origin], OPTS)).toEqual([15]);
    expect(reuseFinishedRuns(second, recurrenceJobs(), [first], OPTS)).toEqual([15]);
    expect(readReused(path.join(second, '15'))?.from).toBe(path.join(origin, '0'));
    fs.writeFileSync(
      path.join(second, 'summary.json'),
      JSON.stringify({ jobs: [{ index: 15, overrides: [], runDir: path.join(second, '15'), status: 'skipped', exitCode: 0, seconds: 0 }] }),
    );
    const [job] = readSweep(second);
    expect(job!.reusedFrom).toBe(path.join(origin, '0'));
    expect(jobStatusText(job!)).toBe(`reused from ${path.join(origin, '0')}`);
  });

  it("a committed summary's jobs fill the jobs whose overrides compose to the same config, as results.json and the matched config", () => {
    const sweep = tmp();
    const summary = path.join(tmp(), 'main.summary.json');
    const job = (index: number, overrides: string[], score: number | null) => ({
      index,
      overrides,
      runDir: String(index),
      status: score === null ? 'failed' : 'ok',
      exitCode: score === null ? 1 : 0,
      seconds: 1,
      ...(score === null ? {} : { results: { global: { 'J&F-Mean': score }, seed: overrides.at(-1) } }),
    });
    const zeroShot = ['experiment=main', 'run.name=zero_shot', 'model.mode=zero_shot', 'seed=1'];
    // Seed 3 failed (no results): its job stays empty and trains.
    fs.writeFileSync(
      summary,
      JSON.stringify({ jobs: [job(0, zeroShot, 0.3), job(5, mainOneShot(1), 0.66), job(6, mainOneShot(2), 0.65), job(7, mainOneShot(3), null)] }),
    );
    const lines: string[] = [];
    expect(reuseFinishedRuns(sweep, recurrenceJobs(), [summary], { ...OPTS, log: (l) => lines.push(l) })).toEqual([15, 16]);
    expect(JSON.parse(fs.readFileSync(path.join(sweep, '16', 'results.json'), 'utf8'))).toEqual({ global: { 'J&F-Mean': 0.65 }, seed: 'seed=2' });
    expect(fs.readdirSync(path.join(sweep, '15')).sort()).toEqual(['.hydra', 'results.json', 'reused.json']);
    expect(configDifferences(loadRunConfig(path.join(sweep, '15')).config, recurrenceJobs()[15]!.config, REUSE_IGNORED)).toEqual([]);
    expect(readReused(path.join(sweep, '15'))?.from).toBe(`${summary} job 5`);
    expect(fs.readFileSync(path.join(sweep, '15', '.hydra', 'hydra.yaml'), 'utf8')).toContain(`output_dir: ${path.resolve(sweep, '15')}\n`);
    expect(lines.join('\n')).toContain(`job 16: re-used the finished run ${summary} job 6`);
    // The launcher counts the filled jobs as finished, and no other.
    expect([
      ...finishedJobs(
        sweep,
        experimentJobs('recurrence', CONFIG_DIR, []).map((overrides, index) => ({ index, overrides })),
      ),
    ]).toEqual([15, 16]);
  });

  it("a summary's recorded config is what its jobs match on, not their overrides composed with today's experiment files", () => {
    const sweep = tmp();
    const summary = path.join(tmp(), 'main.summary.json');
    // An older main job's one-shot overrides: composed today they give main.yaml's zero-shot
    // recurrence (S, one stage), but the run trained RVOS's ST with ST+ stages, which its record says.
    const oldOverrides = (seed: number) => ['experiment=main', 'run.name=one_shot', 'model.mode=one_shot', 'model.inputs=[prev_mask]', `seed=${seed}`];
    expect(compose(oldOverrides(1)).config.model.recurrence).toBe('S');
    const recorded = (seed: number) => {
      const run = path.join(tmp(), `run${seed}`);
      saveRunConfig(run, compose(mainOneShot(seed)));
      return runConfigRecord(run)!;
    };
    const job = (index: number, seed: number, record: boolean) => ({
      index,
      overrides: oldOverrides(seed),
      runDir: String(index),
      status: 'ok',
      exitCode: 0,
      seconds: 1,
      results: { global: { 'J&F-Mean': 0.6 + seed / 100 } },
      ...(record ? recorded(seed) : {}),
    });
    // Seed 2's job has no record: its overrides, composed today, are recurrence's S seed 2 (job 1).
    fs.writeFileSync(summary, JSON.stringify({ jobs: [job(5, 1, true), job(6, 2, false)] }));
    expect(reuseFinishedRuns(sweep, recurrenceJobs(), [summary], OPTS)).toEqual([1, 15]);
    const filled = loadRunConfig(path.join(sweep, '15'));
    expect([filled.config.model.recurrence, filled.config.train.stages]).toEqual(['ST', 'st_plus']);
    expect(filled.overrides).toEqual(oldOverrides(1));
    // A record that is not a valid config is refused, naming the summary's job.
    const broken = { ...job(5, 1, true), config: { ...recorded(1).config, model: { recurrence: 'XY' } } };
    fs.writeFileSync(summary, JSON.stringify({ jobs: [broken] }));
    expect(() => reuseFinishedRuns(tmp(), recurrenceJobs(), [summary], OPTS)).toThrow(/main\.summary\.json job 5/);
  });

  it('a summary is refused, in one line, where the sweep scores checkpoints after training or the file is not a summary', () => {
    const summary = path.join(tmp(), 'x.summary.json');
    fs.writeFileSync(summary, JSON.stringify({ jobs: [] }));
    expect(() =>
      reuseFinishedRuns(tmp(), recurrenceJobs(), [summary], { ...OPTS, weightsNeed: "the real-video section scores every run's checkpoint" }),
    ).toThrow(/--reuse .*x\.summary\.json: a committed summary holds scores, not weights, and the real-video section/);
    fs.writeFileSync(summary, '{"runs": 3}');
    expect(() => reuseFinishedRuns(tmp(), recurrenceJobs(), [summary], OPTS)).toThrow(/not a sweep summary/);
  });

  it("--dry-run names each job's fate (runs, finished, re-used from where) and writes nothing", () => {
    const source = tmp();
    finishedRun(path.join(source, '5'), mainOneShot(1), 0.66);
    const sweep = path.join(tmp(), 'sweep');
    // Job 0 (S seed 1) finished in the sweep folder being resumed; job 15 (ST+ seed 1) matches the source.
    finishedRun(path.join(sweep, '0'), experimentJobs('recurrence', CONFIG_DIR, [])[0]!, 0.5);
    const before = fs.readdirSync(sweep).sort();
    const plan = planExperiment({ name: 'recurrence', configDir: CONFIG_DIR, overrides: [], sweepDir: sweep, resume: true, reuse: [source], log: () => {} });
    expect(plan[0]).toBe(`experiment recurrence: 20 run(s), 2 at a time in ${sweep} (dry run: nothing trained or written)`);
    expect(plan[1]).toBe('  job 0 [S seed=1]: finished (kept by --resume)');
    expect(plan[2]).toBe('  job 1 [S seed=2]: runs');
    expect(plan[16]).toBe(`  job 15 [ST+ seed=1]: re-used from ${path.join(source, '5')}`);
    expect(plan[17]).toBe('  job 16 [ST+ seed=2]: runs');
    expect(plan[21]).toBe('  18 to run, 1 finished, 1 re-used');
    expect(plan[22]).toMatch(/^ {2}estimated wall time: /);
    expect(fs.readdirSync(sweep).sort()).toEqual(before);
    // The checks of a real start still apply: a sweep folder with runs needs --resume.
    expect(() => planExperiment({ name: 'recurrence', configDir: CONFIG_DIR, overrides: [], sweepDir: sweep, resume: false, log: () => {} })).toThrow(
      /is not empty .*--resume/,
    );
  });

  it('--resume refuses a sweep folder whose job folders hold other jobs (the job list changed), before writing anything', () => {
    const sweep = path.join(tmp(), 'sweep');
    // `rvos experiment main --seeds 3`: zero-shot seeds 1-3 in folders 0-2, one-shot seeds 1-3 in 3-5.
    const three = experimentJobs('main', CONFIG_DIR, ['seed=1,2,3']);
    three.forEach((overrides, index) => finishedRun(path.join(sweep, String(index)), overrides, 0.3 + index / 100));
    const plan = (seeds: string) => () =>
      planExperiment({ name: 'main', configDir: CONFIG_DIR, overrides: [seeds], sweepDir: sweep, resume: true, log: () => {} });
    // The same list resumes: every job finished.
    expect(plan('seed=1,2,3')()).toContain('  0 to run, 6 finished, 0 re-used');
    // --seeds 5 puts zero-shot seed 4 at index 3, where one-shot seed 1 finished.
    const before = fs.readdirSync(sweep).sort();
    expect(plan('seed=1,2,3,4,5')).toThrow(ConfigError);
    expect(plan('seed=1,2,3,4,5')).toThrow(
      /--resume: .*sweep\/3 holds a run of other settings than job 3 \(.*model\.mode: "one_shot" there, "zero_shot" for this job.*choose a new --sweep-dir$/,
    );
    expect(fs.readdirSync(sweep).sort()).toEqual(before);
  });

  it('a missing --reuse folder is a one-line error naming it', () => {
    expect(() => reuseFinishedRuns(tmp(), recurrenceJobs(), ['/no/such/sweep'], OPTS)).toThrow(ConfigError);
    expect(() => reuseFinishedRuns(tmp(), recurrenceJobs(), ['/no/such/sweep'], OPTS)).toThrow(/--reuse \/no\/such\/sweep: no such folder/);
  });
});

describe('configDifferences', () => {
  const base = compose(mainOneShot(1)).config;
  it('names the keys that differ, leaves out ignored ones, and reads a missing key as null', () => {
    const other = compose([...mainOneShot(1), 'run.name=x', 'train.lr=0.001']).config;
    expect(configDifferences(base, other, [])).toEqual(['run.name', 'train.lr']);
    expect(configDifferences(base, other, [/^run\./])).toEqual(['train.lr']);
    // A section a config written before it existed lacks is the same as one set to null ...
    const older = JSON.parse(JSON.stringify(base)) as RvosConfig;
    expect(base.model.feature_propagation).toBeNull();
    delete (older.model as { feature_propagation?: unknown }).feature_propagation;
    expect(configDifferences(older, base, [])).toEqual([]);
    // ... but not the same as one that is set.
    const set = { ...base, model: { ...base.model, feature_propagation: { k: 10 } } } as unknown as RvosConfig;
    expect(configDifferences(older, set, [])).toEqual(['model.feature_propagation.k']);
  });
});
