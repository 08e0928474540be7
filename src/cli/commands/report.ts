/** `rvos report SWEEP_DIR [--title T]`: (re)writes report.md and report.html for a sweep folder. */
import path from 'node:path';
import { parseFlags } from '../args.js';
import { writeSweepReport } from '../../experiments/report/report_md.js';
import { writeHtmlReport } from '../../experiments/report/report_html.js';

export async function run(argv: string[]): Promise<number> {
  const usage =
    'Usage: rvos report SWEEP_DIR [--title TITLE] [--results-md docs/results/NAME.md]\n       rvos report docs/results/NAME.summary.json\n' +
    'Writes SWEEP_DIR/report.md and SWEEP_DIR/report.html (self-contained: tables, SVG charts, training curves, mask overlays): per-variant J&F, J, F (mean ± std over seeds), ' +
    'floors, the validation-selected and final-step test scores with bootstrap intervals, paired comparisons with the baseline and the paper\'s claims (Holm-corrected), learning curves, runs, per-sequence table; with data.real_root or DAVIS2016_ROOT / DAVIS_ROOT set, the runs scored on that DAVIS-2016 folder ("Real video").\n' +
    '--results-md FILE also writes the committed form (docs/results/README.md): FILE (provenance, tables, how to re-run; its "## Notes" kept) and FILE\'s .summary.json.\n' +
    'rvos report docs/results/NAME.summary.json regenerates docs/results/NAME.md from the committed summary alone (its provenance table and notes kept).';
  const {
    flags: values,
    positionals,
    help,
  } = parseFlags(
    argv,
    {
      title: { type: 'string', placeholder: 'TITLE' },
      'results-md': { type: 'string', placeholder: 'FILE' },
      'config-dir': { type: 'string', placeholder: 'DIR' },
    },
    { command: 'report', usage, positionals: 1 },
  );
  const dir = positionals[0];
  if (help || dir === undefined) {
    console.log(usage);
    return help ? 0 : 2;
  }
  if (dir.endsWith('.summary.json')) {
    // A committed summary: regenerate its page (tables only; provenance and notes kept).
    const target = values['results-md'] ?? dir.replace(/\.summary\.json$/, '.md');
    const { regenerateResultsMarkdown } = await import('../../experiments/report/results_md.js');
    console.log(path.resolve(regenerateResultsMarkdown(dir, target, { configDir: values['config-dir'] ?? 'configs' })));
    return 0;
  }
  // A Slurm sweep submitted with --no-wait: bring summary.json up to date from its tasks first.
  await (await import('../../experiments/launch/slurm/launch.js')).collectSlurmSweep(dir);
  // The floors (computed once per sweep; they need the data the runs were scored on).
  const floors = await import('../../experiments/report/sweep_floors.js');
  if (floors.readSweepFloors(dir) === null) {
    const { readSweep } = await import('../../experiments/report/sweep_results.js');
    await floors.writeSweepFloors(dir, readSweep(dir), (l) => console.log(l));
  }
  // The runs on real video (computed once per sweep, when a DAVIS-2016 folder is configured: the
  // runs' data.real_root, else DAVIS2016_ROOT / DAVIS_ROOT), so an existing sweep can gain the section.
  const real = await import('../../experiments/report/real_video.js');
  if (real.readRealVideo(dir) === null) {
    const { readSweep } = await import('../../experiments/report/sweep_results.js');
    const { loadRunConfig } = await import('../../config/index.js');
    const jobs = readSweep(dir);
    const finished = jobs.find((j) => j.results !== undefined);
    const root = real.realVideoRoot(finished === undefined ? {} : loadRunConfig(finished.runDir).config.data);
    if (root !== null) {
      real.checkRealVideoRoot(root);
      await real.writeRealVideo(dir, jobs, root, (l) => console.log(l));
    }
  }
  // The runs on training-setting videos (computed once per sweep, when the runs' report.seen_videos > 0).
  const seen = await import('../../experiments/report/seen_videos.js');
  if (seen.readSeenVideos(dir) === null) {
    const { readSweep } = await import('../../experiments/report/sweep_results.js');
    const jobs = readSweep(dir);
    await seen.writeSeenVideos(dir, jobs, await seen.sweepSeenVideos(jobs, values['config-dir'] ?? 'configs'), (l) => console.log(l));
  }
  if (values['results-md'] !== undefined) {
    const { writeResultsMarkdown } = await import('../../experiments/report/results_md.js');
    const written = writeResultsMarkdown(dir, values['results-md'], { configDir: values['config-dir'] ?? 'configs' });
    console.log(path.resolve(written.md));
    console.log(path.resolve(written.summary));
  }
  const file = writeSweepReport(dir, values.title ?? `Sweep ${path.basename(dir)}`);
  const html = await writeHtmlReport(dir, values.title === undefined ? {} : { title: values.title });
  console.log(path.resolve(file));
  console.log(path.resolve(html));
  return 0;
}
