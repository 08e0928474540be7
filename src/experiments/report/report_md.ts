/** report.md for a sweep: per-variant metrics (mean ± std over seeds), runs, per-sequence table. */
import path from 'node:path';
import { GLOBAL_MEASURES } from '../../eval/report.js';
import { writeFileAtomic } from '../../utils/fs.js';
import { groupVariants, jobScoreCells, jobSeed, jobStatusText, readSweep, type Stat, type Variant } from './sweep_results.js';
import { breakdownTables } from './breakdown_tables.js';
import { sweepComparisons, type ReportComparisons } from './comparisons.js';
import { comparisonsMarkdown } from './report_comparisons.js';
import { departuresMarkdown } from './departures.js';
import { readSweepFloors } from './sweep_floors.js';
import { floorRows, SELECTION_HEADER, SELECTION_NOTE, selectionRows, splitSentence } from './selection_table.js';
import { hasSpeed, SPEED_HEADER, speedCells } from './speed_columns.js';
import { readRealVideo, realVideoTable, type RealVideo } from './real_video.js';
import { readSeenVideos, seenVideosTable, type SeenVideos } from './seen_videos.js';

export function formatStat(s: Stat): string {
  if (s.n === 0) return '–';
  return s.n > 1 ? `${s.mean.toFixed(3)} ± ${s.std.toFixed(3)}` : s.mean.toFixed(3);
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function renderMarkdown(
  title: string,
  variants: Variant[],
  context?: string,
  comparisons?: ReportComparisons,
  real?: RealVideo | null,
  seen?: SeenVideos | null,
): string {
  const parts = [`# ${title}`, ''];
  // Short labels (variant name, overrides not shared by all) when the comparisons computed them.
  const labelOf = (v: Variant): string => comparisons?.labels.get(v) ?? v.label;
  parts.push(
    `Metrics are the official DAVIS-2017 ones (semi-supervised protocol for one-shot runs, unsupervised for zero-shot runs) ${splitSentence(variants)}, mean ± sample std over seeds (n = seeds that finished). Floor rows: what a predictor that learned nothing scores on the same test videos.`,
    '',
  );
  const speed = hasSpeed(variants);
  parts.push(
    table(
      ['variant', 'task', 'n', ...GLOBAL_MEASURES, ...(speed ? SPEED_HEADER : [])],
      variants
        .map((v) => [
          `\`${labelOf(v)}\``,
          v.jobs.find((j) => j.results)?.results?.task ?? '–',
          String(v.metrics['J&F-Mean'].n),
          ...GLOBAL_MEASURES.map((m) => formatStat(v.metrics[m])),
          ...(speed ? speedCells(v) : []),
        ])
        .concat(
          (comparisons === undefined ? [] : floorRows(variants, comparisons)).map((f) => [
            f.label,
            f.task,
            '–',
            ...GLOBAL_MEASURES.map((m) => f.global[m].toFixed(3)),
            ...(speed ? SPEED_HEADER.map(() => '–') : []),
          ]),
        ),
    ),
  );
  if (comparisons !== undefined) {
    parts.push('', '## Test score, checkpoint and floor', '', SELECTION_NOTE, '');
    parts.push(
      table(
        SELECTION_HEADER,
        selectionRows(variants, comparisons, (v) => `\`${labelOf(v)}\``).map((r) => r.map((c) => c.replace(/\|/g, '\\|'))),
      ),
    );
  }
  const compared = comparisons === undefined ? '' : comparisonsMarkdown(comparisons);
  if (compared !== '') parts.push('', compared);
  if (real !== undefined && real !== null) {
    const t = realVideoTable(variants, real, (v) => `\`${labelOf(v)}\``);
    parts.push('', `## ${t.title}`, '', t.note, '', table(t.header, t.rows));
  }
  if (seen !== undefined && seen !== null) {
    const t = seenVideosTable(variants, seen, (v) => `\`${labelOf(v)}\``);
    parts.push('', `## ${t.title}`, '', t.note, '', table(t.header, t.rows));
  }
  // What the means hide (frame 0, objects found by rank, per object count): src/eval/breakdown.ts.
  for (const t of breakdownTables(variants, (v) => `\`${labelOf(v)}\``)) parts.push('', `## ${t.title}`, '', t.note, '', table(t.header, t.rows));
  const departures = departuresMarkdown(variants, (v) => `\`${labelOf(v as Variant)}\``);
  if (departures !== '') parts.push('', departures);
  parts.push('', '## Runs', '');
  parts.push(
    table(
      ['job', 'variant', 'seed', 'status', 'J&F-Mean', 'final step J&F', 'best step', 'steps', 'train s', 'folder'],
      variants.flatMap((v) =>
        v.jobs.map((j) => [
          String(j.index),
          `\`${labelOf(v)}\``,
          jobSeed(j) ?? '–',
          jobStatusText(j),
          ...jobScoreCells(j),
          String(j.results?.bestStep ?? '–'),
          String(j.results?.steps ?? '–'),
          j.results ? j.results.trainSeconds.toFixed(0) : '–',
          path.basename(j.runDir),
        ]),
      ),
    ),
  );
  const names = [...new Set(variants.flatMap((v) => [...v.perObject.keys()]))].sort();
  if (names.length > 0) {
    parts.push('', '## Per sequence (J-Mean / F-Mean, mean over seeds)', '');
    parts.push(
      table(
        ['object', ...variants.map((v) => `\`${labelOf(v)}\``)],
        names.map((n) => [
          n,
          ...variants.map((v) => {
            const o = v.perObject.get(n);
            return o === undefined ? '–' : `${o.J.mean.toFixed(3)} / ${o.F.mean.toFixed(3)}`;
          }),
        ]),
      ),
    );
  }
  if (context !== undefined) parts.push('', '## Context', '', context);
  return parts.join('\n') + '\n';
}

/** Writes <sweepDir>/report.md and returns its path. */
export function writeSweepReport(sweepDir: string, title: string, context?: string): string {
  const variants = groupVariants(readSweep(sweepDir));
  const file = path.join(sweepDir, 'report.md');
  const comparisons = sweepComparisons(variants, readSweepFloors(sweepDir));
  writeFileAtomic(file, renderMarkdown(title, variants, context, comparisons, readRealVideo(sweepDir), readSeenVideos(sweepDir)));
  return file;
}
