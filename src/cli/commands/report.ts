/** `rvos report SWEEP_DIR [--title T]`: (re)writes report.md for a sweep folder. */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeSweepReport } from '../../experiments/report_md.js';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { title: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  const dir = positionals[0];
  if (values.help || dir === undefined) {
    console.log('Usage: rvos report SWEEP_DIR [--title TITLE]\nWrites SWEEP_DIR/report.md: per-variant J&F, J, F (mean ± std over seeds), runs, per-sequence table.');
    return values.help ? 0 : 2;
  }
  const file = writeSweepReport(dir, values.title ?? `Sweep ${path.basename(dir)}`);
  console.log(path.resolve(file));
  return 0;
}
