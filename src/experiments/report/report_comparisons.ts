/**
 * The report sections of the paired comparisons (src/experiments/report/comparisons.ts): each variant
 * against the baseline, and the paper's claimed directions, as markdown and as HTML.
 */
import { BOOTSTRAP_RESAMPLES, CONFIDENCE } from '../../eval/bootstrap.js';
import { ALPHA, claimVerdict, differenceVerdict, formatDifference, formatEffect, formatP, formatUnits, MIN_SEEDS } from './paired_comparison.js';
import { COMPARED_MEASURE, type ReportComparisons } from './comparisons.js';

const LEVEL = `${Math.round(CONFIDENCE * 100)}%`;

/** How to read the tables; the same words in report.md, report.html and docs/results/. */
export const COMPARISON_NOTE =
  `Δ = variant − baseline ${COMPARED_MEASURE}, paired: the same seed (same initialisation and data order) and the same test video for both. ` +
  `Mean of Δ over seeds and videos, with a ${LEVEL} interval from a bootstrap that resamples the seeds, then the videos within each seed ` +
  `(${BOOTSTRAP_RESAMPLES} resamples, fixed generator seed: the same report every time); runs that list no per-video scores pair by seed only ("n seeds"). ` +
  `d_z = mean Δ / sd of Δ over the paired (seed, video) units. p: two-sided, the larger of the bootstrap's p-value and a paired t-test's on the per-seed mean Δ (df = seeds − 1; ` +
  'a bootstrap over 3 seeds calls any same-sign difference certain, the t-test does not), Holm-corrected over every test on this page ' +
  `(the comparisons and the claims; a pair counted once; comparisons with a variant below its floor are not drawn and not counted). ` +
  `"yes" means Holm p < ${ALPHA.toFixed(2)} (needs ≥ ${MIN_SEEDS} seeds). A difference that is not clear is not evidence of either direction. ` +
  '"Δ at the final step": the same pair with the last step\'s weights (old-protocol runs: their last validation scores), for how much the checkpoint choice moved it; no verdict is drawn from it.';

export const CLAIMS_NOTE =
  "The paper's directions (its numbers are on other data and at another scale, quoted for orientation) against ours: " +
  `Δ = the paper's better variant − its worse one, paired as above. "holds" means Δ > 0 with Holm p < ${ALPHA.toFixed(2)}, "reversed" Δ < 0 with Holm p < ${ALPHA.toFixed(2)}.`;

const CROSS_TASK = 'different protocols (semi-supervised vs unsupervised): Δ mixes the task and the protocol';

/** A markdown table; a `|` inside a cell (|Δ|) is escaped so it does not split the cell. */
function mdTable(header: string[], rows: string[][]): string {
  const row = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [row(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(row)].join('\n');
}

/** The comparison rows as text cells (shared by markdown and HTML). */
export function comparisonCells(c: ReportComparisons): string[][] {
  return c.rows.map((r) => [
    c.labels.get(r.variant)!,
    c.labels.get(r.baseline)!,
    formatDifference(r.result),
    formatUnits(r.result),
    formatEffect(r.result),
    formatP(r.adjustedP),
    (r.excluded ?? differenceVerdict(r.result, r.adjustedP)) + (r.crossTask ? `; ${CROSS_TASK}` : ''),
    formatDifference(r.final),
  ]);
}

export function claimCells(c: ReportComparisons): string[][] {
  return c.claims.map((r) => {
    const direction = `${r.claim.better} > ${r.claim.worse}${r.claim.where === null ? '' : ` (${r.claim.where})`}`;
    if (r.result === undefined) return [direction, r.claim.paper, '–', '0', '–', r.missing ?? '–', '–'];
    const ours = `${c.labels.get(r.better!)} vs ${c.labels.get(r.worse!)}: ${formatDifference(r.result)}`;
    return [
      direction,
      r.claim.paper,
      ours,
      formatUnits(r.result),
      formatEffect(r.result),
      r.excluded ?? claimVerdict(r.result, r.adjustedP ?? NaN),
      r.final === undefined ? '–' : formatDifference(r.final),
    ];
  });
}

const COMPARISON_HEADER = [
  'variant',
  'baseline',
  `Δ ${COMPARED_MEASURE} (mean [${LEVEL} interval])`,
  'seeds × videos',
  'd_z',
  'p (Holm)',
  'clear?',
  'Δ at the final step',
];
const CLAIM_HEADER = [
  'paper direction',
  'paper',
  `ours: Δ (mean [${LEVEL} interval])`,
  'seeds × videos',
  'd_z',
  'verdict (Holm-corrected)',
  'Δ at the final step',
];

/** The two markdown sections ('' when there is nothing to compare). */
export function comparisonsMarkdown(c: ReportComparisons): string {
  const parts: string[] = [];
  if (c.rows.length > 0) {
    parts.push(
      `## Paired comparison with the baseline (\`${c.baseline}\`)`,
      '',
      COMPARISON_NOTE,
      '',
      mdTable(
        COMPARISON_HEADER,
        comparisonCells(c).map((r) => [`\`${r[0]}\``, `\`${r[1]}\``, ...r.slice(2)]),
      ),
    );
  }
  if (c.claims.length > 0) {
    if (parts.length > 0) parts.push('');
    parts.push("## The paper's claims", '', CLAIMS_NOTE, '', mdTable(CLAIM_HEADER, claimCells(c)));
  }
  return parts.join('\n');
}

/** The same sections as HTML; `esc` escapes text for HTML. */
export function comparisonsHtml(c: ReportComparisons, esc: (s: string) => string): string {
  const table = (header: string[], rows: string[][]) =>
    `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((x) => `<td>${esc(x)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  const out: string[] = [];
  if (c.rows.length > 0)
    out.push(
      `<h2>Paired comparison with the baseline (${esc(c.baseline ?? '')})</h2><p class="note">${esc(COMPARISON_NOTE)}</p>${table(COMPARISON_HEADER, comparisonCells(c))}`,
    );
  if (c.claims.length > 0) out.push(`<h2>The paper's claims</h2><p class="note">${esc(CLAIMS_NOTE)}</p>${table(CLAIM_HEADER, claimCells(c))}`);
  return out.join('\n');
}
