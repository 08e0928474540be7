/**
 * `rvos main` (`npm start`): the main job on the embedded defaults — generate the synthetic videos
 * if absent, train zero-shot and one-shot RVOS side by side, evaluate both on held-out videos with
 * the DAVIS protocols, write the comparison report, and say where everything is.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseFlags } from '../args.js';

export async function run(argv: string[]): Promise<number> {
  const usage =
    "Usage: rvos main [key=value ...] [--seeds N] [--sweep-dir DIR [--resume | --overwrite]]\nRuns configs/experiment/main.yaml (zero-shot vs one-shot on synthetic videos, ~15 min on 2 cores); --seeds N runs seeds 1..N of each (default: one run each, seed 123).\nShows every job's step, it/s, ETA and validation J&F while it runs.";
  const {
    flags: values,
    positionals,
    help,
  } = parseFlags(
    argv,
    {
      'config-dir': { type: 'string', placeholder: 'DIR' },
      'sweep-dir': { type: 'string', placeholder: 'DIR' },
      resume: { type: 'boolean' },
      overwrite: { type: 'boolean' },
      seeds: { type: 'string', placeholder: 'N' },
    },
    { command: 'main', usage, positionals: true },
  );
  if (help) {
    console.log(usage);
    return 0;
  }
  const { runExperiment, seedsOverride } = await import('../../experiments/launch/experiment.js');
  const { shellQuote } = await import('../../experiments/report/sweep_info.js');
  const overrides = values.seeds === undefined ? positionals : [...positionals, seedsOverride(values.seeds, positionals)];
  const started = Date.now();
  const result = await runExperiment({
    name: 'main',
    configDir: values['config-dir'] ?? 'configs',
    overrides,
    command: ['rvos', 'main', ...argv].map(shellQuote).join(' '),
    sweepDir: values['sweep-dir'],
    resume: values.resume ?? false,
    overwrite: values.overwrite ?? false,
    log: (l) => console.log(l),
  });
  const minutes = (Date.now() - started) / 60000;
  console.log(`\n${fs.readFileSync(result.report, 'utf8').split('\n## Runs')[0]!.trim()}\n`);
  console.log(`Done in ${minutes.toFixed(1)} min. Where everything is:`);
  console.log(`  report:       ${path.resolve(result.report)}`);
  for (const o of result.outcomes) {
    console.log(`  run ${o.index} (${o.overrides.filter((x) => !x.startsWith('experiment=')).join(' ')}): ${path.resolve(o.runDir)}  [${o.status}]`);
  }
  console.log(`    each run has: model/ (weights), predictions/ (palette PNGs), eval/ (official CSVs), checkpoints/, tb/, .hydra/`);
  console.log(`  TensorBoard:  tensorboard --logdir ${path.resolve(result.sweepDir)}`);
  return result.outcomes.some((o) => o.status === 'failed') ? 1 : 0;
}
