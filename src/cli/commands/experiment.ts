/** `rvos experiment NAME [overrides]`: runs a named experiment from configs/experiment/ and writes its report. */
import fs from 'node:fs';
import path from 'node:path';
import { listGroupOptions } from '../../config/index.js';
import { parseFlags } from '../args.js';

const USAGE = `Usage: rvos experiment NAME [key=value ...] [--seeds N] [--sweep-dir DIR] [--resume | --overwrite] [--reuse DIR|FILE[,...]] [--dry-run] [--no-wait] [--config-dir DIR]

Runs every variant × seed of configs/experiment/NAME.yaml (its sweep.params) with the configured
launcher into one sweep folder and writes report.md and report.html there (with each variant's
paired comparison against the baseline, report.baseline, and the paper's claims, report.claims).
Overrides apply to every run; a comma-separated value adds a sweep axis, and a key the experiment
already sweeps replaces its axis (seed=1,2,3,4,5). --seeds N runs seeds 1..N (= seed=1,...,N);
\`rvos experiment main --seeds 5\` is the main job's multi-seed comparison (the same runs as
\`rvos main --seeds 5\`: both modes × seeds 1..5). The report holds every variant against its floor
and gives bootstrap intervals over seeds and videos and Holm-corrected verdicts (docs/results/README.md).
Before it starts it prints an estimated wall time (from <run.root>/timings.jsonl, recorded by
earlier runs of the same settings); while it runs, every job's step, it/s, ETA and validation J&F
(redrawn on a terminal, a plain block every 30 s otherwise). --resume with --sweep-dir re-uses
finished runs. --reuse DIR[,DIR] fills each job that has not run with a finished run of those
sweep (or run) folders whose config is the same apart from run.*, sweep.*, report.* and launcher.*
(e.g. the main job's one-shot runs as the recurrence ablation's ST+); the report marks the copies.
A committed summary (docs/results/main.summary.json) also serves when its runs' folders are gone:
its jobs' scores fill the jobs whose overrides compose to the same config here (no weights, so not
with a real-video folder; report.seen_videos takes the summary's own training-setting scores, or
lists those runs as missing).
--dry-run: the same checks, then each job's fate (runs, finished, re-used from where) and the
estimated wall time; nothing is trained, written or generated.
--no-wait (launcher=slurm): submit the job array and return; \`rvos report DIR\`
writes the report later.`;

export async function run(argv: string[]): Promise<number> {
  const {
    flags: values,
    positionals,
    help,
  } = parseFlags(
    argv,
    {
      'sweep-dir': { type: 'string', placeholder: 'DIR' },
      resume: { type: 'boolean' },
      overwrite: { type: 'boolean' },
      'no-wait': { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      reuse: { type: 'string', placeholder: 'DIR|FILE[,...]' },
      seeds: { type: 'string', placeholder: 'N' },
      'config-dir': { type: 'string', placeholder: 'DIR' },
    },
    { command: 'experiment', usage: USAGE, positionals: true },
  );
  const configDir = values['config-dir'] ?? 'configs';
  const [name, ...overrides] = positionals;
  if (help || name === undefined) {
    const names = fs.existsSync(path.join(configDir, 'experiment')) ? listGroupOptions(configDir, 'experiment') : [];
    console.log(`${USAGE}\n\nExperiments: ${names.join(', ') || '(none)'}`);
    return help ? 0 : 2;
  }
  const { planExperiment, runExperiment, seedsOverride } = await import('../../experiments/launch/experiment.js');
  const { shellQuote } = await import('../../experiments/report/sweep_info.js');
  if (values.seeds !== undefined) overrides.push(seedsOverride(values.seeds, overrides));
  const options = {
    name,
    configDir,
    overrides,
    command: ['rvos', 'experiment', ...argv].map(shellQuote).join(' '),
    sweepDir: values['sweep-dir'],
    resume: values.resume ?? false,
    overwrite: values.overwrite ?? false,
    reuse: values.reuse === undefined ? [] : values.reuse.split(',').filter((d) => d !== ''),
    wait: !(values['no-wait'] ?? false),
    log: (l: string) => console.log(l),
  };
  if (values['dry-run'] === true) {
    for (const line of planExperiment(options)) console.log(line);
    return 0;
  }
  const result = await runExperiment(options);
  if (result.report === '') {
    console.log(`submitted; when the tasks have ended, \`rvos report ${result.sweepDir}\` collects them and writes the report`);
    return 0;
  }
  const failed = result.outcomes.filter((o) => o.status === 'failed').length;
  console.log(`\nreport: ${path.resolve(result.report)}`);
  console.log(fs.readFileSync(result.report, 'utf8').split('\n## Runs')[0]);
  return failed > 0 ? 1 : 0;
}
