/** `rvos experiment NAME [overrides]`: runs a named experiment from configs/experiment/ and writes its report. */
import fs from 'node:fs';
import path from 'node:path';
import { listGroupOptions } from '../../config/index.js';
import { parseFlags } from '../args.js';

const USAGE = `Usage: rvos experiment NAME [key=value ...] [--sweep-dir DIR] [--resume] [--no-wait] [--config-dir DIR]

Runs every variant × seed of configs/experiment/NAME.yaml (its sweep.params) with the configured
launcher into one sweep folder and writes report.md there. Overrides apply to every run; a
comma-separated value adds a sweep axis. --resume with --sweep-dir re-uses finished runs.
--no-wait (launcher=slurm): submit the job array and return; \`rvos report DIR\` writes the report later.`;

export async function run(argv: string[]): Promise<number> {
  const { flags: values, positionals, help } = parseFlags(
    argv,
    { 'sweep-dir': { type: 'string', placeholder: 'DIR' }, resume: { type: 'boolean' }, overwrite: { type: 'boolean' }, 'no-wait': { type: 'boolean' }, 'config-dir': { type: 'string', placeholder: 'DIR' } },
    { command: 'experiment', usage: USAGE, positionals: true },
  );
  const configDir = values['config-dir'] ?? 'configs';
  const [name, ...overrides] = positionals;
  if (help || name === undefined) {
    const names = fs.existsSync(path.join(configDir, 'experiment')) ? listGroupOptions(configDir, 'experiment') : [];
    console.log(`${USAGE}\n\nExperiments: ${names.join(', ') || '(none)'}`);
    return help ? 0 : 2;
  }
  const { runExperiment } = await import('../../experiments/experiment.js');
  const result = await runExperiment({ name, configDir, overrides, sweepDir: values['sweep-dir'], resume: values.resume ?? false, overwrite: values.overwrite ?? false, wait: !(values['no-wait'] ?? false), log: (l) => console.log(l) });
  if (result.report === '') {
    console.log(`submitted; when the tasks have ended, \`rvos report ${result.sweepDir}\` collects them and writes the report`);
    return 0;
  }
  const failed = result.outcomes.filter((o) => o.status === 'failed').length;
  console.log(`\nreport: ${path.resolve(result.report)}`);
  console.log(fs.readFileSync(result.report, 'utf8').split('\n## Runs')[0]);
  return failed > 0 ? 1 : 0;
}
