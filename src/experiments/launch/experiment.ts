/**
 * Named experiments: configs/experiment/NAME.yaml sets the shared settings and its `sweep.params`
 * the variants. Running one composes every job, runs them with the configured launcher into one
 * sweep folder, and writes the report.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  composeConfig,
  configDifferences,
  expandSweep,
  flattenConfig,
  HYDRA_SUBDIR,
  loadRunConfig,
  RESUMABLE_CONFIG_CHANGES,
  type RvosConfig,
} from '../../config/index.js';
import { checkSweepDir, createSweepDir } from '../../logging/index.js';
import { writeFileAtomic } from '../../utils/fs.js';
import { finishedJobs, launchSweep } from './launcher.js';
import type { JobOutcome } from '../run/sweep_job.js';
import { writeSweepReport } from '../report/report_md.js';
import { writeHtmlReport } from '../report/report_html.js';
import { PAPER_CONTEXT } from '../report/paper_context.js';
import { checkSeenDataset, ensureSyntheticDataset } from '../run/datasets.js';
import { estimateLine, jobLabels, watchSweep } from './sweep_watch.js';
import { matchReusable, reuseFinishedRuns, type WeightsNeed } from './reuse_runs.js';
import { finishSweepInfo, shellQuote, startSweepInfo } from '../report/sweep_info.js';
import { writeSweepFloors } from '../report/sweep_floors.js';
import { readSweep } from '../report/sweep_results.js';
import { checkRealVideoRoot, REAL_VIDEO_SKIPPED, realVideoRoot, writeRealVideo } from '../report/real_video.js';
import { writeSeenVideos } from '../report/seen_videos.js';
import type { ProgressStream } from '../../logging/index.js';
import { ConfigError } from '../../utils/errors.js';

export interface ExperimentOptions {
  name: string;
  configDir: string;
  /** Extra overrides for every job; comma lists add sweep axes. */
  overrides: string[];
  /** Sweep folder (default <run.root>/multirun/<date>/<time>). */
  sweepDir?: string;
  /** Re-use finished jobs of an interrupted experiment in sweepDir. */
  resume: boolean;
  /** Start every job in sweepDir over. */
  overwrite?: boolean;
  /** Sweep (or run) folders whose finished runs fill the jobs with the same config (reuse_runs.ts). */
  reuse?: string[];
  log: (line: string) => void;
  /** launcher=slurm: false = submit and return without a report (`rvos report` writes it later). */
  wait?: boolean;
  /** Live display of the running jobs (default process.stderr); false: none. */
  progress?: ProgressStream | false;
  /** The command line, recorded in sweep.json (default: `rvos experiment NAME overrides`). */
  command?: string;
}

export interface ExperimentResult {
  sweepDir: string;
  outcomes: JobOutcome[];
  report: string;
  /** report.html beside report.md ('' for both when submitted to Slurm without waiting). */
  html: string;
}

/**
 * `--seeds N` as the override it stands for: seeds 1..N (the experiments' own seed axes are 1,2,3),
 * which replaces the experiment's seed axis (see experimentJobs).
 */
export function seedsOverride(value: string, overrides: string[]): string {
  if (!/^[1-9][0-9]*$/.test(value)) throw new ConfigError(`--seeds ${value}: expected a positive whole number of seeds, e.g. --seeds 3 (runs seeds 1, 2, 3)`);
  if (overrides.some((o) => /^\+{0,2}seed=/.test(o))) throw new ConfigError('--seeds and a seed= override both set the seeds: give one of them');
  return `seed=${Array.from({ length: Number(value) }, (_, i) => i + 1).join(',')}`;
}

/**
 * The job override lists of an experiment: sweep.variants (each a named override bundle, put in
 * as `run.name=<name>` + its overrides) × sweep.params axes × command-line axes.
 */
export function experimentJobs(name: string, configDir: string, overrides: string[]): string[][] {
  const base = [`experiment=${name}`, ...overrides.filter((o) => !o.includes(','))];
  const composed = composeConfig({ configDir, overrides: base });
  // A key set on the command line replaces the config's axis for it (`seed=1,2,3,4,5`, `seed=7`).
  const cliKeys = new Set(overrides.map((o) => o.replace(/^\+{1,2}/, '').split('=')[0]));
  const axes = Object.entries(composed.config.sweep.params)
    .filter(([k]) => !cliKeys.has(k))
    .map(([k, v]) => `${k}=${v}`);
  const cliAxes = overrides.filter((o) => o.includes(','));
  const product = expandSweep([...base, ...axes, ...cliAxes], { configDir });
  const variants = composed.config.sweep.variants;
  if (variants.length === 0) return product;
  return variants.flatMap((v) => product.map((job) => [...job.slice(0, base.length), `run.name=${v.name}`, ...v.overrides, ...job.slice(base.length)]));
}

/** The main job's run of one mode, as `rvos main` composes it (configs/experiment/main.yaml's variant of that mode). */
export function mainJobOverrides(mode: 'zero_shot' | 'one_shot', configDir: string): string[] {
  return experimentJobs('main', configDir, []).find((o) => o.includes(`model.mode=${mode}`))!;
}

/**
 * --resume: each job's run folder that holds a saved config must hold that job's settings. Job k
 * runs in folder k, so another job list (another --seeds, variant list or override) shifts the
 * jobs onto other jobs' folders, and a finished folder would be reported under the wrong job.
 */
function checkJobFolders(sweepDir: string, configs: RvosConfig[]): void {
  configs.forEach((config, index) => {
    const runDir = path.join(sweepDir, String(index));
    if (!fs.existsSync(path.join(runDir, HYDRA_SUBDIR, 'config.yaml'))) return;
    const saved = loadRunConfig(runDir).config;
    const differ = configDifferences(saved, config, RESUMABLE_CONFIG_CHANGES);
    if (differ.length === 0) return;
    const [there, here] = [saved, config].map((c) => flattenConfig(c as unknown as Record<string, unknown>));
    const shown = differ
      .slice(0, 3)
      .map((k) => `${k}: ${JSON.stringify(there![k] ?? null)} there, ${JSON.stringify(here![k] ?? null)} for this job`)
      .join('; ');
    throw new ConfigError(
      `--resume: ${runDir} holds a run of other settings than job ${index} (${shown}${differ.length > 3 ? `; ${differ.length - 3} more` : ''}): ` +
        `the job list differs from the one this sweep was started with (--seeds, variants or overrides); resume with that list, or choose a new --sweep-dir`,
    );
  });
}

/**
 * What `runExperiment` checks before it writes anything: the sweep folder policy, every job's
 * config, the real-video folder and the training-setting videos. A refused start generates no data.
 */
function prepareExperiment(options: ExperimentOptions) {
  if (options.sweepDir === undefined && (options.resume || options.overwrite)) {
    throw new ConfigError(
      `--${options.resume ? 'resume' : 'overwrite'} needs --sweep-dir DIR (the sweep folder to ${options.resume ? 'continue' : 'start over'})`,
    );
  }
  const reuse = options.reuse ?? [];
  if (reuse.length > 0 && options.overwrite)
    throw new ConfigError('--reuse fills jobs with finished runs and --overwrite starts every job over; pass only one');
  if (options.sweepDir !== undefined) checkSweepDir(options.sweepDir, { resume: options.resume, overwrite: options.overwrite ?? false });
  const jobs = experimentJobs(options.name, options.configDir, options.overrides);
  // Compose every job up front so a bad value fails before anything trains.
  const configs = jobs.map((overrides) => composeConfig({ configDir: options.configDir, overrides }).config);
  if (options.sweepDir !== undefined && options.resume) checkJobFolders(options.sweepDir, configs);
  const first = configs[0]!;
  // The real-video folder (data.real_root or the environment) is checked now, not after training.
  const real = realVideoRoot(first.data);
  checkRealVideoRoot(real);
  // The training-setting videos (report.seen_videos): refused now if they need other data, or an
  // existing folder of them was made with other options; generated after training.
  if (first.report.seen_videos > 0) checkSeenDataset(first.data, first.report.seen_videos);
  const parallel = first.launcher.name === 'local' ? first.launcher.jobs : first.launcher.name === 'slurm' ? first.launcher.array_parallelism : 1;
  // Sections scored from each run's checkpoint after training cannot use a summary's scores.
  // (report.seen_videos takes a summary's own training-setting scores, or lists the run as missing.)
  const weightsNeed: WeightsNeed = real !== null ? "the real-video section scores every run's checkpoint" : null;
  return { reuse, jobs, configs, first, real, parallel, weightsNeed };
}

/**
 * `rvos experiment --dry-run`: the same checks as a run, then per job whether it would train, is
 * finished in the sweep folder (--resume) or would be filled by --reuse, and the estimated wall
 * time of what would train. Writes nothing, generates no data.
 */
export function planExperiment(options: ExperimentOptions): string[] {
  const { reuse, jobs, configs, parallel, weightsNeed } = prepareExperiment(options);
  const sweepJobs = jobs.map((overrides, index) => ({ index, overrides }));
  const sweepDir = options.sweepDir ?? null;
  const finished = sweepDir !== null && options.resume ? finishedJobs(sweepDir, sweepJobs) : new Set<number>();
  const fillFrom = sweepDir !== null && !(options.overwrite ?? false) ? sweepDir : null;
  const jobConfigs = configs.map((config, index) => ({ index, config }));
  const reused = new Map(
    reuse.length === 0
      ? []
      : matchReusable(fillFrom, jobConfigs, reuse, { configDir: options.configDir, weightsNeed })
          .filter((m) => !finished.has(m.index))
          .map((m) => [m.index, m.from] as const),
  );
  const labels = jobLabels(sweepJobs, configs);
  const done = new Set([...finished, ...reused.keys()]);
  return [
    `experiment ${options.name}: ${jobs.length} run(s), ${parallel} at a time${sweepDir === null ? '' : ` in ${sweepDir}`} (dry run: nothing trained or written)`,
    ...sweepJobs.map((j) => {
      const what = finished.has(j.index) ? 'finished (kept by --resume)' : reused.has(j.index) ? `re-used from ${reused.get(j.index)}` : 'runs';
      return `  job ${j.index} [${labels.get(j.index)}]: ${what}`;
    }),
    `  ${jobs.length - done.size} to run, ${finished.size} finished, ${reused.size} re-used`,
    `  ${
      estimateLine(
        sweepJobs.filter((j) => !done.has(j.index)),
        configs,
        parallel,
      ).line
    }`,
  ];
}

export async function runExperiment(options: ExperimentOptions): Promise<ExperimentResult> {
  const { reuse, jobs, configs, first, real, parallel, weightsNeed } = prepareExperiment(options);
  // Generate shared synthetic data once, here, rather than racing to do it in parallel jobs.
  const roots = new Map(configs.map((c) => [c.data.root, c.data] as const));
  for (const data of roots.values()) {
    if (await ensureSyntheticDataset(data)) options.log(`generated the synthetic dataset in ${data.root}`);
  }
  const sweepDir = options.sweepDir ?? createSweepDir(first.run.root);
  const slurm = first.launcher.name === 'slurm' ? { config: first.launcher, wait: options.wait ?? true, log: options.log } : undefined;
  writeFileAtomic(path.join(sweepDir, 'multirun.yaml'), `experiment: ${options.name}\njobs:\n${jobs.map((j) => `  - ${JSON.stringify(j)}`).join('\n')}\n`);
  options.log(`experiment ${options.name}: ${jobs.length} run(s), ${parallel} at a time, in ${sweepDir}`);
  const info = startSweepInfo(
    sweepDir,
    options.name,
    options.command ?? ['rvos', 'experiment', options.name, ...options.overrides].map(shellQuote).join(' '),
    parallel,
    options.resume,
  );
  if (reuse.length > 0) {
    const filled = reuseFinishedRuns(
      sweepDir,
      configs.map((config, index) => ({ index, config })),
      reuse,
      { configDir: options.configDir, weightsNeed, log: options.log },
    );
    options.log(`  ${filled.length} of ${jobs.length} job(s) filled with finished runs of ${reuse.join(', ')}`);
  }
  const sweepJobs = jobs.map((overrides, index) => ({ index, overrides }));
  const skipFinished = options.resume || reuse.length > 0;
  const finished = skipFinished ? finishedJobs(sweepDir, sweepJobs) : new Set<number>();
  const watch = watchSweep(sweepJobs, { configs, parallel, log: options.log, stream: options.progress, finished });
  options.log(`  ${watch.estimate}`);
  const outcomes = await launchSweep(sweepJobs, {
    sweepDir,
    jobs: parallel,
    extraArgs: ['--config-dir', options.configDir],
    skipFinished,
    slurm,
    overwrite: options.overwrite,
    onJobStart: (job, runDir) => {
      watch.log(`  started job ${job.index} [${watch.label(job.index)}] in ${runDir}`);
      watch.onJobStart(job, runDir);
    },
    onJobEnd: (o) => {
      watch.onJobEnd(o);
      const score = (o.results as { global?: Record<string, number> } | undefined)?.global?.['J&F-Mean'];
      watch.log(
        `  job ${o.index} ${o.status} in ${o.seconds.toFixed(0)} s${score !== undefined ? `: J&F-Mean ${score.toFixed(3)}` : ''}${o.status === 'failed' ? `\n${o.error}` : ''}`,
      );
    },
  }).finally(() => watch.stop());
  if (slurm !== undefined && !slurm.wait) return { sweepDir, outcomes, report: '', html: '' };
  finishSweepInfo(sweepDir, info);
  // The floors the report holds every variant against, on the same test videos.
  await writeSweepFloors(sweepDir, readSweep(sweepDir), (l) => options.log(`  ${l}`));
  // The runs on real video (DAVIS-2016), when a folder is configured: the report's "Real video" section.
  if (real === null) options.log(`  ${REAL_VIDEO_SKIPPED}`);
  else await writeRealVideo(sweepDir, readSweep(sweepDir), real, (l) => options.log(`  ${l}`));
  // The runs on more videos of their training setting (report.seen_videos > 0): "Training-setting videos".
  await writeSeenVideos(sweepDir, readSweep(sweepDir), first.report.seen_videos, (l) => options.log(`  ${l}`));
  const report = writeSweepReport(sweepDir, `Experiment: ${options.name}`, PAPER_CONTEXT[options.name]);
  const html = await writeHtmlReport(sweepDir, { title: `Experiment: ${options.name}`, experiment: options.name });
  return { sweepDir, outcomes, report, html };
}
