/**
 * Committed results (docs/results/README.md): a finished sweep folder → `docs/results/<name>.md`
 * (provenance: command, commit, machine, wall time; the report's tables: mean ± std over seeds,
 * paired comparisons, the paper's claims, runs; how to re-run one job) and `<name>.summary.json`
 * (the sweep's summary.json with run folders made relative). The `## Notes` section of an
 * existing file is written by people and kept when the file is regenerated.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  composeConfig,
  loadRunConfig,
  runConfigFromRecord,
  runConfigRecord,
  saveRunConfig,
  type RunConfigRecord,
  type RvosConfig,
} from '../../config/index.js';
import { formatDuration } from '../../logging/index.js';
import { writeFileAtomic } from '../../utils/fs.js';
import { sweepComparisons } from './comparisons.js';
import { readSweepFloors } from './sweep_floors.js';
import { PAPER_CONTEXT } from './paper_context.js';
import { renderMarkdown } from './report_md.js';
import { readRealVideo } from './real_video.js';
import { readSeenVideos } from './seen_videos.js';
import { readSweepInfo, shellQuote } from './sweep_info.js';
import type { RunResults } from '../run/run.js';
import { readReused, REUSED_FILE, type ReusedRecord } from '../run/sweep_job.js';
import { groupVariants, readSweep, type SweepJobResult } from './sweep_results.js';

export const NOTES_HEADING = '## Notes';

const NOTES_PLACEHOLDER = `${NOTES_HEADING}

<!-- Written by people, kept when this file is regenerated: for each paper claim that does not
hold, what we think explains it (scale, data, CPU budget), and anything unusual about these runs. -->
`;

export interface ResultsMarkdownOptions {
  /** Experiment name (default: sweep.json / multirun.yaml, else the file's name). */
  name?: string;
  /** Where to look for configs/experiment/<name>.yaml to tell a shortened run from a full one. */
  configDir?: string;
  /** The summary file's name, linked from the text (default <name>.summary.json). */
  summaryFile?: string;
}

function experimentOf(sweepDir: string): string | undefined {
  const info = readSweepInfo(sweepDir);
  if (info?.experiment) return info.experiment;
  const file = path.join(sweepDir, 'multirun.yaml');
  const m = fs.existsSync(file) ? /^experiment: *(\S+)/m.exec(fs.readFileSync(file, 'utf8')) : null;
  return m?.[1];
}

function firstConfig(jobs: SweepJobResult[]): RvosConfig | null {
  for (const j of jobs) {
    try {
      return loadRunConfig(j.runDir).config;
    } catch {
      // A job that never started has no saved config.
    }
  }
  return null;
}

/** "600 (the experiment's length)" or "40: shortened (the experiment's own is 600)". */
function lengthNote(config: RvosConfig | null, name: string, configDir: string): string {
  if (config === null) return '–';
  try {
    const own = composeConfig({ configDir, overrides: [`experiment=${name}`] }).config.train.steps;
    return own === config.train.steps
      ? `${config.train.steps} steps (the experiment's full length)`
      : `${config.train.steps} steps: **shortened** (the experiment's own length is ${own}); not the full comparison`;
  } catch {
    return `${config.train.steps} steps`;
  }
}

const table = (rows: [string, string][]) => ['| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '\\|')} |`)].join('\n');

/** The markdown text (without reading or writing the notes). */
export function renderResultsMarkdown(sweepDir: string, opts: ResultsMarkdownOptions = {}): string {
  const jobs = readSweep(sweepDir);
  const variants = groupVariants(jobs);
  const name = opts.name ?? experimentOf(sweepDir) ?? path.basename(sweepDir);
  const info = readSweepInfo(sweepDir);
  const config = firstConfig(jobs);
  const done = jobs.filter((j) => j.results !== undefined);
  const seeds = [...new Set(done.map((j) => j.results!.seed))].sort((a, b) => a - b);
  const failed = jobs.filter((j) => j.status === 'failed').map((j) => j.index);
  const backends = [...new Set(done.map((j) => backendLabel(j.results!)))];
  const provenance = table([
    ['command', info ? `\`${info.command}\`` : 'not recorded (sweep run before sweep.json existed)'],
    ['commit', info?.commit ? `\`${info.commit}\`${info.dirty ? ' with uncommitted changes' : ''}` : 'not recorded'],
    ['machine', `${info?.machine ?? 'not recorded'}; backend ${backends.join(', ') || '–'}`],
    [
      'wall time',
      info?.wallSeconds != null
        ? `${formatDuration(info.wallSeconds)} (${jobs.length} runs, ${info.parallel} at a time; finished ${info.finished})${info.resumed ? '; resumed: the last session only' : ''}`
        : 'not recorded',
    ],
    ['runs', `${done.length} of ${jobs.length} finished${failed.length > 0 ? `; failed: job ${failed.join(', ')}` : ''}`],
    ['seeds', seeds.join(', ') || '–'],
    ['training', lengthNote(config, name, opts.configDir ?? 'configs')],
  ]);
  const comparisons = sweepComparisons(variants, readSweepFloors(sweepDir), opts.configDir ?? 'configs');
  let body = renderMarkdown(`Results: ${name}`, variants, PAPER_CONTEXT[name], comparisons, readRealVideo(sweepDir), readSeenVideos(sweepDir));
  // The per-sequence table stays in the sweep's own report.md; here it would drown the summary.
  body = body.replace(/\n## Per sequence[^\n]*\n[\s\S]*?(?=\n## |$)/, '\n');
  const [title, ...rest] = body.split('\n');
  const first = done[0] ?? jobs[0];
  const summaryFile = opts.summaryFile ?? `${name}.summary.json`;
  const reproduce =
    first === undefined
      ? ''
      : [
          '## Re-running one run',
          '',
          `Job ${first.index} (seed ${first.results?.seed ?? '–'}, J&F-Mean ${first.results?.global['J&F-Mean'].toFixed(3) ?? '–'}), alone:`,
          '',
          '```sh',
          `${threadsPrefix(first.results)}node bin/rvos.mjs train ${first.overrides.map(shellQuote).join(' ')}`,
          '```',
          '',
          `Every run's overrides are in [${summaryFile}](${summaryFile}) (\`jobs[].overrides\`); the same overrides and seed give the same numbers on the same backend.`,
          '',
        ].join('\n');
  const generated = `<!-- Generated by \`rvos report SWEEP_DIR --results-md\`; everything above "${NOTES_HEADING}" is rewritten when it is regenerated. -->`;
  return [title, '', generated, '', provenance, ...rest, reproduce].join('\n').replace(/\n{3,}/g, '\n\n');
}

/** The backend a run trained on, with the oneDNN convolutions' threads when they ran. */
function backendLabel(results: RunResults): string {
  return results.nativeThreads != null
    ? `${results.backend} + oneDNN convolutions (${results.nativeThreads} thread${results.nativeThreads === 1 ? '' : 's'} per job)`
    : results.backend;
}

/**
 * A job of a sweep shares the cores with the jobs beside it, so its oneDNN convolutions ran on
 * fewer threads than a run alone gets; the thread count changes float sums, so a re-run sets it.
 */
function threadsPrefix(results: RunResults | undefined): string {
  return results?.nativeThreads != null ? `RVOS_NATIVE_THREADS=${results.nativeThreads} ` : '';
}

/**
 * The sweep's summary.json with run folders relative to the sweep (the absolute paths are
 * machine-specific), each job's resolved config and group choices and its re-use record, and the
 * sweep's floors (floors.json), so the committed page renders them.
 */
export function portableSummary(sweepDir: string): string {
  const summary = JSON.parse(fs.readFileSync(path.join(sweepDir, 'summary.json'), 'utf8')) as { jobs: { runDir: string }[] };
  const floors = readSweepFloors(sweepDir);
  const real = readRealVideo(sweepDir);
  // The real-video folder by name only: where it lies on this machine says nothing to a reader.
  const portableReal =
    real === null ? {} : { real: { ...real, root: path.basename(real.root), runs: real.runs.map((r) => ({ ...r, runDir: path.basename(r.runDir) })) } };
  // The training-setting videos likewise: the folder by name, run folders relative to the sweep.
  const seen = readSeenVideos(sweepDir);
  const portableSeen =
    seen === null ? {} : { seen: { ...seen, root: path.basename(seen.root), runs: seen.runs.map((r) => ({ ...r, runDir: path.basename(r.runDir) })) } };
  // Each run's resolved config beside its overrides: what it computed, however the experiment
  // files that composed it change later (--reuse of the summary matches on it); and where a
  // re-used run came from, so a page regenerated from the summary says so too.
  const jobs = summary.jobs.map((j) => {
    const reused = readReused(j.runDir);
    return { ...j, runDir: path.basename(j.runDir), ...runConfigRecord(j.runDir), ...(reused && { reused }) };
  });
  return `${JSON.stringify({ jobs, ...(floors === null ? {} : floors), ...portableReal, ...portableSeen }, null, 2)}\n`;
}

/** A job of a committed summary, as far as regenerating its page reads it. */
interface SummaryJob extends Partial<RunConfigRecord> {
  index: number;
  runDir: string;
  overrides: string[];
  reused?: ReusedRecord;
}

/** The provenance table of a results page: the lines of the first table whose header is `| | |`. */
function provenanceBlock(text: string): string | null {
  const lines = text.split('\n');
  const start = lines.indexOf('| | |');
  if (start < 0) return null;
  let end = start;
  while (end < lines.length && lines[end]!.startsWith('|')) end++;
  return lines.slice(start, end).join('\n');
}

/**
 * Regenerates a committed page from its committed summary alone (no run folders, no sweep.json):
 * the tables are rewritten from `summaryFile` with today's report code, the provenance table and
 * the `## Notes` of the existing `mdFile` are kept. Returns mdFile.
 */
export function regenerateResultsMarkdown(summaryFile: string, mdFile: string, opts: ResultsMarkdownOptions = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-results-'));
  try {
    const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as { jobs: SummaryJob[] };
    // Run folders point inside the empty temporary sweep: nothing is read from the current folder.
    fs.writeFileSync(
      path.join(dir, 'summary.json'),
      JSON.stringify({ ...summary, jobs: summary.jobs.map((j) => ({ ...j, runDir: path.join(dir, j.runDir) })) }),
    );
    // What the summary recorded of each run folder (its config, where a copy came from) is put
    // back, so the page's settings, departures and re-use notes are the runs' own.
    for (const j of summary.jobs) {
      const runDir = path.join(dir, j.runDir);
      if (j.config !== undefined) {
        saveRunConfig(runDir, runConfigFromRecord({ config: j.config, choices: j.choices ?? {} }, j.overrides, `${summaryFile} job ${j.index}`));
      }
      if (j.reused !== undefined) writeFileAtomic(path.join(runDir, REUSED_FILE), JSON.stringify(j.reused));
    }
    const name = opts.name ?? path.basename(mdFile).replace(/\.md$/, '');
    let text = renderResultsMarkdown(dir, { ...opts, name, summaryFile: path.basename(summaryFile) })
      .split(dir + path.sep)
      .join('');
    const old = fs.existsSync(mdFile) ? fs.readFileSync(mdFile, 'utf8') : '';
    const [oldProvenance, newProvenance] = [provenanceBlock(old), provenanceBlock(text)];
    if (oldProvenance !== null && newProvenance !== null) text = text.replace(newProvenance, oldProvenance);
    const at = old.indexOf(`\n${NOTES_HEADING}\n`);
    const notes = at >= 0 ? old.slice(at + 1) : NOTES_PLACEHOLDER;
    writeFileAtomic(mdFile, `${text.trimEnd()}\n\n${notes.trimEnd()}\n`);
    return mdFile;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes `mdFile` and `<mdFile without .md>.summary.json`, keeping mdFile's `## Notes`; returns both paths. */
export function writeResultsMarkdown(sweepDir: string, mdFile: string, opts: ResultsMarkdownOptions = {}): { md: string; summary: string } {
  const base = path.basename(mdFile).replace(/\.md$/, '');
  const summary = path.join(path.dirname(mdFile), `${base}.summary.json`);
  const text = renderResultsMarkdown(sweepDir, { ...opts, name: opts.name ?? experimentOf(sweepDir) ?? base, summaryFile: path.basename(summary) });
  const old = fs.existsSync(mdFile) ? fs.readFileSync(mdFile, 'utf8') : '';
  const at = old.indexOf(`\n${NOTES_HEADING}\n`);
  const notes = at >= 0 ? old.slice(at + 1) : NOTES_PLACEHOLDER;
  writeFileAtomic(summary, portableSummary(sweepDir));
  writeFileAtomic(mdFile, `${text.trimEnd()}\n\n${notes.trimEnd()}\n`);
  return { md: mdFile, summary };
}
