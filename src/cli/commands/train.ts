/**
 * `rvos train [key=value ...]`: one training run (or a sweep with -m) from configs/ + overrides.
 *   --cfg            print the resolved config and exit
 *   --from RUN_DIR   reuse that run's saved config and overrides (extra overrides apply on top)
 *   -m, --multirun   sweep: `a=1,2 b=x,y` runs the cartesian product with the configured launcher
 *   --run-dir DIR    write the run here (default: <run.root>/<date>/<time>[_<run.name>])
 *   --resume[=auto]  continue from the run folder's latest checkpoint (auto: if there is one)
 *   --overwrite      start over in a run folder that already holds a run
 *   --no-wait        launcher=slurm: submit the job array and return (`rvos report DIR` collects)
 *   --config-dir DIR configs folder (default: ./configs)
 *   --backend NAME   shorthand for backend=NAME
 */
import fs from 'node:fs';
import path from 'node:path';
import { composeConfig, expandSweep, loadRunConfig, type ComposedConfig } from '../../config/index.js';
import { checkSweepDir, createRunDir, createSweepDir } from '../../logging/index.js';
import { writeFileAtomic } from '../../utils/fs.js';
import { parseFlags, UsageError } from '../args.js';

export const TRAIN_USAGE = `Usage: rvos train [options] [key=value | group=option | +key=value | ~key ...]

Options:
  --cfg              print the resolved config and exit
  --from RUN_DIR     reproduce a run from its saved config (.hydra/); overrides apply on top
  -m, --multirun     sweep over comma-separated values (a=1,2 b=x,y), range(a,b) and glob(...)
  --run-dir DIR      run folder (default <run.root>/<date>/<time>[_<run.name>])
  --resume           continue from the run folder's latest checkpoint (an error if it has none)
  --resume=auto      resume if the run folder has a checkpoint, else start (Slurm requeues, sweeps)
  --overwrite        start over in a run folder that already holds a run (deletes its contents)
  --no-wait          launcher=slurm: submit the job array and return; \`rvos report DIR\` collects
  --config-dir DIR   configs folder (default ./configs)
  --backend NAME     auto | tensorflow | wasm | cpu (same as backend=NAME)

Examples:
  rvos train model.mode=one_shot train.steps=500
  rvos train -m model.recurrence=S,T,ST seed=1,2,3 launcher=local launcher.jobs=2`;

export interface TrainArgs {
  overrides: string[];
  cfg: boolean;
  from?: string;
  multirun: boolean;
  runDir?: string;
  /** false: the run folder must be new or empty; true: it must hold a checkpoint; 'auto': either. */
  resume: boolean | 'auto';
  overwrite: boolean;
  configDir: string;
  help: boolean;
  noWait: boolean;
}

export function parseTrainArgs(argv: string[]): TrainArgs {
  const {
    flags: values,
    positionals,
    help,
  } = parseFlags(
    argv,
    {
      cfg: { type: 'boolean' },
      from: { type: 'string', placeholder: 'RUN_DIR' },
      multirun: { type: 'boolean', short: 'm' },
      'run-dir': { type: 'string', placeholder: 'DIR' },
      resume: { type: 'switch', values: ['auto'] },
      overwrite: { type: 'boolean' },
      'no-wait': { type: 'boolean' },
      'config-dir': { type: 'string', placeholder: 'DIR' },
      backend: { type: 'string', placeholder: 'NAME' },
    },
    { command: 'train', usage: TRAIN_USAGE, positionals: true },
  );
  const overrides = [...positionals];
  if (values.backend !== undefined) overrides.push(`backend=${values.backend}`);
  return {
    overrides,
    cfg: values.cfg ?? false,
    from: values.from,
    multirun: values.multirun ?? false,
    runDir: values['run-dir'],
    resume: values.resume ?? false,
    overwrite: values.overwrite ?? false,
    configDir: values['config-dir'] ?? 'configs',
    help,
    noWait: values['no-wait'] ?? false,
  };
}

function compose(args: TrainArgs, overrides: string[]): ComposedConfig {
  if (args.from === undefined) return composeConfig({ configDir: args.configDir, overrides });
  const saved = loadRunConfig(args.from);
  return composeConfig({ configDir: args.configDir, overrides: [...saved.overrides, ...overrides] });
}

export async function run(argv: string[]): Promise<number> {
  const args = parseTrainArgs(argv);
  if (args.help) {
    console.log(TRAIN_USAGE);
    return 0;
  }
  if (args.resume !== false && args.runDir === undefined) {
    throw new UsageError(
      `--resume${args.resume === 'auto' ? '=auto' : ''} needs --run-dir DIR (the run${args.multirun ? ' or sweep' : ''} folder to continue)`,
      TRAIN_USAGE,
      'train',
    );
  }
  if (args.multirun) return runSweep(args);
  // `--resume` alone continues with the run's saved config, as `--from RUN_DIR` would.
  const onlyBackend = args.overrides.every((o) => o.startsWith('backend='));
  const resumeSaved = args.resume !== false && args.from === undefined && onlyBackend && fs.existsSync(path.join(args.runDir!, '.hydra', 'config.yaml'));
  const composed = compose(resumeSaved ? { ...args, from: args.runDir } : args, args.overrides);
  if (args.cfg) {
    process.stdout.write(composed.toYaml());
    return 0;
  }
  let created: string | undefined;
  // A new run's folder is made only once its inputs are validated, so a failed start leaves nothing.
  const runDir = args.runDir ?? (() => (created = createRunDir(composed.config.run.root, composed.config.run.name)));
  const { runTraining } = await import('../../experiments/run/run.js');
  const results = await runTraining(composed, { runDir, resume: args.resume, overwrite: args.overwrite });
  console.log(`run folder: ${path.resolve(args.runDir ?? created!)}`);
  console.log(
    `${results.task} J&F-Mean ${results.global['J&F-Mean'].toFixed(3)} (J ${results.global['J-Mean'].toFixed(3)}, F ${results.global['F-Mean'].toFixed(3)}) after ${results.steps} steps`,
  );
  return 0;
}

async function runSweep(args: TrainArgs): Promise<number> {
  const base = args.from === undefined ? [] : loadRunConfig(args.from).overrides;
  const jobs = expandSweep(args.overrides, { configDir: args.configDir }).map((o, index) => ({ index, overrides: [...base, ...o] }));
  // Compose every job first: a typo fails the sweep before anything runs.
  const composed = jobs.map((j) => composeConfig({ configDir: args.configDir, overrides: j.overrides }));
  const first = composed[0]!.config;
  if (args.cfg) {
    composed.forEach((c, i) => process.stdout.write(`# job ${i}: ${jobs[i]!.overrides.join(' ')}\n${c.toYaml()}\n`));
    return 0;
  }
  if (args.runDir !== undefined) checkSweepDir(args.runDir, { resume: args.resume, overwrite: args.overwrite });
  const { ensureSyntheticDataset } = await import('../../experiments/run/datasets.js');
  for (const data of new Map(composed.map((c) => [c.config.data.root, c.config.data] as const)).values()) await ensureSyntheticDataset(data);
  const sweepDir = args.runDir ?? createSweepDir(first.run.root);
  const parallel = first.launcher.name === 'local' ? first.launcher.jobs : first.launcher.name === 'slurm' ? first.launcher.array_parallelism : 1;
  const slurm = first.launcher.name === 'slurm' ? { config: first.launcher, wait: !args.noWait, log: (l: string) => console.log(l) } : undefined;
  writeFileAtomic(
    path.join(sweepDir, 'multirun.yaml'),
    `# rvos sweep\noverrides: ${JSON.stringify(args.overrides)}\njobs:\n${jobs.map((j) => `  - ${JSON.stringify(j.overrides)}`).join('\n')}\n`,
  );
  const { finishedJobs, launchSweep } = await import('../../experiments/launch/launcher.js');
  const { watchSweep } = await import('../../experiments/launch/sweep_watch.js');
  console.log(`sweep: ${jobs.length} job(s), ${parallel} at a time, in ${path.resolve(sweepDir)}`);
  const finished = args.resume !== false && !args.overwrite ? finishedJobs(sweepDir, jobs) : new Set<number>();
  const watch = watchSweep(jobs, { configs: composed.map((c) => c.config), parallel, log: (l) => console.log(l), finished });
  console.log(`  ${watch.estimate}`);
  const outcomes = await launchSweep(jobs, {
    sweepDir,
    jobs: parallel,
    extraArgs: ['--config-dir', args.configDir],
    skipFinished: args.resume !== false,
    overwrite: args.overwrite,
    slurm,
    onJobStart: (job, runDir) => watch.onJobStart(job, runDir),
    onJobEnd: (o) => {
      watch.onJobEnd(o);
      watch.log(`  job ${o.index} [${o.overrides.join(' ')}]: ${o.status} in ${o.seconds.toFixed(0)} s${o.status === 'failed' ? `\n${o.error}` : ''}`);
    },
  }).finally(() => watch.stop());
  if (slurm !== undefined && !slurm.wait) {
    console.log(`submitted; when the tasks have ended, \`rvos report ${sweepDir}\` collects them`);
    return 0;
  }
  const failed = outcomes.filter((o) => o.status === 'failed').length;
  console.log(`sweep done: ${outcomes.length - failed} ok, ${failed} failed; summary: ${path.join(sweepDir, 'summary.json')}`);
  return failed > 0 ? 1 : 0;
}
