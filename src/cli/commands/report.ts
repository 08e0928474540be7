/** `rvos report SWEEP_DIR [--title T]`: (re)writes report.md and report.html for a sweep folder. */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeSweepReport } from '../../experiments/report_md.js';
import { writeHtmlReport } from '../../experiments/report_html.js';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { title: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  const dir = positionals[0];
  if (values.help || dir === undefined) {
    console.log('Usage: rvos report SWEEP_DIR [--title TITLE]\nWrites SWEEP_DIR/report.md and SWEEP_DIR/report.html (self-contained: tables, SVG charts, training curves, mask overlays): per-variant J&F, J, F (mean ± std over seeds), runs, per-sequence table.');
    return values.help ? 0 : 2;
  }
  // A Slurm sweep submitted with --no-wait: bring summary.json up to date from its tasks first.
  await (await import('../../experiments/slurm/launch.js')).collectSlurmSweep(dir);
  const file = writeSweepReport(dir, values.title ?? `Sweep ${path.basename(dir)}`);
  const html = await writeHtmlReport(dir, values.title === undefined ? {} : { title: values.title });
  console.log(path.resolve(file));
  console.log(path.resolve(html));
  return 0;
}
