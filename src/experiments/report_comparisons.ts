/**
 * The report sections of the paired comparisons (src/experiments/comparisons.ts): each variant
 * against the baseline, and the paper's claimed directions, as markdown and as HTML.
 */
import { CLEAR_DIFFERENCE_STDS, claimVerdict, formatClear, formatDifference } from './paired_comparison.js';
import { COMPARED_MEASURE, type ReportComparisons } from './comparisons.js';

/** How to read the tables; the same words in report.md, report.html and docs/results/. */
export const COMPARISON_NOTE =
  `Δ = variant − baseline ${COMPARED_MEASURE}, computed per seed (the same seed gives both runs the same initialisation and data order), ` +
  `then mean ± sample std (n − 1) of those per-seed differences over the n seeds both finished. ` +
  `"Clear" means |mean Δ| > ${CLEAR_DIFFERENCE_STDS} × that std (needs n ≥ 2); with 3 seeds this is a paired t above 3.46 (two-sided p ≈ 0.07), ` +
  'a screening rule, not a formal test. A difference that is not clear is not evidence of either direction.';

export const CLAIMS_NOTE =
  "The paper's directions (its numbers are on other data and at another scale, quoted for orientation) against ours: " +
  `Δ = the paper's better variant − its worse one, per seed, as above. "holds" means Δ > 0 and |mean Δ| > ${CLEAR_DIFFERENCE_STDS} std.`;

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
    String(r.result.n),
    formatClear(r.result) + (r.crossTask ? `; ${CROSS_TASK}` : ''),
  ]);
}

export function claimCells(c: ReportComparisons): string[][] {
  return c.claims.map((r) => {
    const direction = `${r.claim.better} > ${r.claim.worse}${r.claim.where === null ? '' : ` (${r.claim.where})`}`;
    if (r.result === undefined) return [direction, r.claim.paper, '–', '0', r.missing ?? '–'];
    const ours = `${c.labels.get(r.better!)} vs ${c.labels.get(r.worse!)}: ${formatDifference(r.result)}`;
    return [direction, r.claim.paper, ours, String(r.result.n), claimVerdict(r.result)];
  });
}

const COMPARISON_HEADER = ['variant', 'baseline', `Δ ${COMPARED_MEASURE} (mean ± std)`, 'n', `|Δ| > ${CLEAR_DIFFERENCE_STDS} std?`];
const CLAIM_HEADER = ['paper direction', 'paper', 'ours (Δ mean ± std)', 'n', 'holds at ≥ 2 std?'];

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
