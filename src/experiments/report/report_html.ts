/**
 * report.html for a sweep: one self-contained file (inline CSS, inline SVG charts rendered by
 * Vega-Lite in Node, PNG overlay strips as data: URIs; no script, no network) with per-variant
 * J&F / J / F mean, recall and decay as mean ± std over seeds, bar charts, training curves
 * (validation J&F from results.json, training loss from the TensorBoard events), a strip of
 * predicted-mask overlays per variant, per-sequence and per-run tables, and the RVOS paper's
 * numbers for the same ablation as context (different data).
 */
import fs from 'node:fs';
import path from 'node:path';
import { breakdownTables } from './breakdown_tables.js';
import { parse as parseYaml } from 'yaml';
import { loadRunConfig, type RvosConfig } from '../../config/index.js';
import { readLabelPng, type LabelMap } from '../../data/index.js';
import { GLOBAL_MEASURES } from '../../eval/report.js';
import { writeFileAtomic } from '../../utils/fs.js';
import { barChartSpec, curveChartSpec, learningCurves, learningCurveSpec, renderVegaLite, type BarRow, type CurvePoint } from './charts.js';
import { readSweepFloors, reportedSplit } from './sweep_floors.js';
import { floorRows, SELECTION_HEADER, SELECTION_NOTE, selectionRows, splitSentence } from './selection_table.js';
import { readScalars } from './charts_scalars.js';
import { openSplit } from '../run/datasets.js';
import { overlayStripPng } from '../run/overlay_strip.js';
import { PAPER_CONTEXT } from './paper_context.js';
import { formatStat } from './report_md.js';
import { groupVariants, jobScoreCells, jobSeed, jobStatusText, readSweep, type SweepJobResult, type Variant } from './sweep_results.js';
import { sweepComparisons } from './comparisons.js';
import { comparisonsHtml } from './report_comparisons.js';
import { hasSpeed, SPEED_HEADER, speedCells } from './speed_columns.js';
import { readRealVideo, realVideoTable } from './real_video.js';
import { readSeenVideos, seenVideosTable } from './seen_videos.js';

export interface HtmlReportOptions {
  title?: string;
  /** Experiment name (picks the paper context); default: `experiment:` in multirun.yaml. */
  experiment?: string;
  /** Frames per overlay strip (default 4). */
  stripFrames?: number;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** `a.b.c=v` → `c=v`: short enough for chart axes. */
const shortOverride = (o: string): string => {
  const eq = o.indexOf('=');
  return eq < 0 ? o : `${o.slice(0, eq).split('.').pop()}=${o.slice(eq + 1)}`;
};

/**
 * Display names: overrides shared by every variant are left out (they are settings, not
 * variants); a named variant (`run.name=<name>` from sweep.variants) shows its name plus the
 * overrides that differ among the groups of that name (e.g. the mode); others their overrides.
 */
export function displayNames(variants: Variant[]): Map<Variant, string> {
  const nameOf = (v: Variant): string | undefined =>
    v.jobs[0]?.overrides
      .find((o) => /^\+{0,2}run\.name=/.test(o))
      ?.split('=')
      .slice(1)
      .join('=');
  const out = new Map<Variant, string>();
  const shared = (o: string): boolean => variants.length > 1 && variants.every((w) => w.overrides.includes(o));
  for (const v of variants) {
    const name = nameOf(v);
    if (name === undefined) {
      out.set(
        v,
        v.overrides
          .filter((o) => !shared(o))
          .map(shortOverride)
          .join(' ') || v.label,
      );
      continue;
    }
    const siblings = variants.filter((w) => nameOf(w) === name);
    const differing = v.overrides.filter((o) => siblings.some((w) => !w.overrides.includes(o)));
    out.set(v, [name, ...differing.map(shortOverride)].join(' · '));
  }
  return out;
}

function experimentName(sweepDir: string): string | undefined {
  const file = path.join(sweepDir, 'multirun.yaml');
  if (!fs.existsSync(file)) return undefined;
  try {
    const parsed = parseYaml(fs.readFileSync(file, 'utf8')) as { experiment?: unknown } | null;
    return typeof parsed?.experiment === 'string' ? parsed.experiment : undefined;
  } catch {
    return undefined;
  }
}

function runConfig(job: SweepJobResult): RvosConfig | null {
  try {
    return loadRunConfig(job.runDir).config;
  } catch {
    return null;
  }
}

const seedOf = (job: SweepJobResult): string => jobSeed(job) ?? String(job.index);

/** What the decoder of a run saw, and which references its matching maps used (src/models/matching_inputs.ts). */
export function inputsNote(config: RvosConfig): string {
  const inputs = config.model.inputs;
  const oneShot = config.model.mode === 'one_shot';
  const parts: string[] = [];
  if (!oneShot && inputs.includes('own_prev_mask')) parts.push("the slot's own previous-frame prediction");
  else if (inputs.includes('prev_mask')) parts.push(oneShot ? 'previous mask' : 'no mask input (zero-shot has none)');
  if (inputs.includes('global_matching'))
    parts.push(oneShot ? 'global matching vs the given first-frame masks' : "global matching vs the model's own frame-0 predictions per slot");
  if (inputs.includes('local_matching'))
    parts.push(
      oneShot
        ? 'local matching vs the previous-mask input (previous prediction; ground truth in gt_prev training)'
        : "local matching vs the model's own previous-frame predictions per slot",
    );
  if (!oneShot && inputs.includes('slot_canvas')) parts.push("slot canvas (what the frame's earlier slots claimed)");
  if (!oneShot && inputs.includes('foreground')) parts.push('foreground map (a head trained on the union of the masks)');
  if (!oneShot && inputs.includes('motion_proposal')) parts.push('motion proposal (the largest blob of the aligned frame difference)');
  if (!oneShot && inputs.includes('lead_motion_proposal')) parts.push('motion proposal for the first slot only');
  return parts.length > 0 ? parts.join('; ') : 'image only';
}

async function overlayStrip(job: SweepJobResult, frames: number): Promise<{ uri: string; caption: string } | null> {
  const config = runConfig(job);
  const predDir = path.join(job.runDir, 'predictions');
  if (config === null || !fs.existsSync(predDir)) return null;
  const names = fs
    .readdirSync(predDir)
    .filter((n) => fs.statSync(path.join(predDir, n)).isDirectory())
    .sort();
  if (names.length === 0) return null;
  try {
    const dataset = await openSplit(config.data, reportedSplit(config), job.results?.task ?? 'semi_supervised', 'eval');
    const seq = dataset.sequences.find((s) => s.name === names[0]);
    if (seq === undefined) return null;
    const labels: LabelMap[] = seq.frameNames.map((f) => readLabelPng(path.join(predDir, seq.name, `${f}.png`)));
    const strip = await overlayStripPng(seq, labels, frames);
    return { uri: `data:image/png;base64,${Buffer.from(strip.png).toString('base64')}`, caption: `${seq.name}, seed ${seedOf(job)}` };
  } catch {
    return null;
  }
}

function table(header: string[], rows: string[][], cls = ''): string {
  return `<table class="${cls}"><thead><tr>${header.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

/** The paper's context text (markdown lines, '- ' bullets) as HTML. */
function contextHtml(text: string): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const items = lines.filter((l) => l.startsWith('- ')).map((l) => `<li>${esc(l.slice(2))}</li>`);
  const prose = lines.filter((l) => !l.startsWith('- ')).map((l) => `<p>${esc(l)}</p>`);
  return `${prose.join('')}<ul>${items.join('')}</ul>`;
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1180px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}table{border-collapse:collapse;margin:8px 0;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}th{background:#f3f3f3}
.charts{display:flex;flex-wrap:wrap;gap:16px;overflow-x:auto}.charts svg{flex:none}.note{color:#555}.context{background:#fff8e6;border:1px solid #e8c66a;padding:8px 14px}
.strip img{image-rendering:pixelated;height:96px;border:1px solid #ccc}.strip{margin:6px 0}code{font-size:12px}`;

export async function renderHtmlReport(sweepDir: string, opts: HtmlReportOptions = {}): Promise<string> {
  const variants = groupVariants(readSweep(sweepDir));
  const names = displayNames(variants);
  const experiment = opts.experiment ?? experimentName(sweepDir);
  const title = opts.title ?? (experiment ? `Experiment: ${experiment}` : `Sweep ${path.basename(sweepDir)}`);
  const out: string[] = [];
  out.push(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${CSS}</style></head><body>`);
  out.push(
    `<h1>${esc(title)}</h1><p class="note">Sweep folder <code>${esc(path.resolve(sweepDir))}</code>. Metrics: the official DAVIS-2017 measures (semi-supervised protocol for one-shot runs, unsupervised for zero-shot runs) ${esc(splitSentence(variants))}; mean ± sample std over seeds (n = seeds that finished). Floor rows: what a predictor that learned nothing scores on the same test videos.</p>`,
  );

  // Metrics table.
  const configs = new Map(variants.map((v) => [v, v.jobs.map(runConfig).find((c) => c !== null) ?? null]));
  const comparisons = sweepComparisons(variants, readSweepFloors(sweepDir));
  out.push('<h2>Results per variant</h2>');
  const speed = hasSpeed(variants);
  out.push(
    table(
      ['variant', 'task', 'n', ...GLOBAL_MEASURES, 'train s / run', ...(speed ? SPEED_HEADER : [])],
      variants
        .map((v) => {
          const done = v.jobs.filter((j) => j.results);
          const secs = done.map((j) => j.results!.trainSeconds);
          return [
            `<b>${esc(names.get(v)!)}</b>`,
            esc(done[0]?.results?.task ?? '–'),
            String(v.metrics['J&F-Mean'].n),
            ...GLOBAL_MEASURES.map((m) => formatStat(v.metrics[m])),
            secs.length ? (secs.reduce((a, b) => a + b, 0) / secs.length).toFixed(0) : '–',
            ...(speed ? speedCells(v) : []),
          ];
        })
        .concat(
          floorRows(variants, comparisons).map((f) => [
            `<i>${esc(f.label)}</i>`,
            esc(f.task),
            '–',
            ...GLOBAL_MEASURES.map((m) => f.global[m].toFixed(3)),
            '–',
            ...(speed ? SPEED_HEADER.map(() => '–') : []),
          ]),
        ),
    ),
  );
  out.push(`<h2>Test score, checkpoint and floor</h2><p class="note">${esc(SELECTION_NOTE)}</p>`);
  out.push(
    table(
      SELECTION_HEADER.map(esc),
      selectionRows(variants, comparisons, (v) => names.get(v)!).map((r) => r.map(esc)),
    ),
  );
  out.push(
    `<p class="note">Decoder inputs per variant: ${variants.map((v) => `<b>${esc(names.get(v)!)}</b>: ${esc(configs.get(v) ? inputsNote(configs.get(v)!) : '–')}`).join(' · ')}.</p>`,
  );

  out.push(comparisonsHtml(comparisons, esc));

  // Bar charts.
  const bars = (measures: string[]): BarRow[] =>
    variants.flatMap((v) =>
      measures.map((m) => ({
        variant: names.get(v)!,
        measure: m,
        mean: v.metrics[m as keyof Variant['metrics']].mean,
        std: v.metrics[m as keyof Variant['metrics']].std,
      })),
    );
  const charts: string[] = [];
  charts.push(await renderVegaLite(barChartSpec(bars(['J&F-Mean', 'J-Mean', 'F-Mean']), 'Mean (± std over seeds)')));
  charts.push(await renderVegaLite(barChartSpec(bars(['J-Recall', 'F-Recall']), 'Recall')));
  charts.push(await renderVegaLite(barChartSpec(bars(['J-Decay', 'F-Decay']), 'Decay (lower is better)', false)));
  out.push(`<div class="charts">${charts.join('')}</div>`);

  // Training curves.
  const val: CurvePoint[] = [];
  const loss: CurvePoint[] = [];
  for (const v of variants) {
    for (const j of v.jobs) {
      const run = `${names.get(v)} seed ${seedOf(j)}`;
      for (const p of j.results?.validation ?? []) val.push({ variant: names.get(v)!, run, step: p.step, value: p.score });
      for (const p of readScalars(j.runDir).get('train/loss') ?? []) loss.push({ variant: names.get(v)!, run, step: p.step, value: p.value });
    }
  }
  out.push(
    '<h2>Learning curves</h2><p class="note">Per variant: validation J&amp;F during training (the validation split; older runs: the held-out videos they also report), the mean over seeds as a line and the seeds\' lowest to highest value as a band. Then one line per run: validation J&amp;F, and the training loss as logged to TensorBoard (tb/).</p>',
  );
  const curves: string[] = [];
  if (val.length > 0)
    curves.push(await renderVegaLite(learningCurveSpec(learningCurves(val), 'Validation J&F-Mean: mean over seeds, range as band', 'J&F-Mean')));
  if (val.length > 0) curves.push(await renderVegaLite(curveChartSpec(val, 'Validation J&F-Mean per run', 'J&F-Mean')));
  if (loss.length > 0) curves.push(await renderVegaLite(curveChartSpec(loss, 'Training loss', 'loss')));
  out.push(`<div class="charts">${curves.join('') || '<p>No curves recorded.</p>'}</div>`);

  // Qualitative strips.
  out.push(
    '<h2>Predicted masks</h2><p class="note">Per variant, the first reported (test) video of its lowest-seed finished run: evenly spaced frames with the predicted label map overlaid.</p>',
  );
  for (const v of variants) {
    const job = [...v.jobs].filter((j) => j.results).sort((a, b) => Number(seedOf(a)) - Number(seedOf(b)))[0];
    const strip = job === undefined ? null : await overlayStrip(job, opts.stripFrames ?? 4);
    out.push(
      `<div class="strip"><b>${esc(names.get(v)!)}</b>${strip === null ? ' – (no predictions)' : ` <span class="note">${esc(strip.caption)}</span><br><img alt="${esc(names.get(v)!)}" src="${strip.uri}">`}</div>`,
    );
  }

  // Paper context.
  const context = experiment !== undefined ? PAPER_CONTEXT[experiment] : undefined;
  if (context !== undefined)
    out.push(
      `<h2>Context: the paper's numbers</h2><div class="context"><p><b>Different data, different scale:</b> quoted for orientation only, not comparable with the numbers above.</p>${contextHtml(context)}</div>`,
    );

  const real = readRealVideo(sweepDir);
  const seen = readSeenVideos(sweepDir);
  const extra = [
    ...(real === null ? [] : [realVideoTable(variants, real, (v) => esc(names.get(v)!))]),
    ...(seen === null ? [] : [seenVideosTable(variants, seen, (v) => esc(names.get(v)!))]),
  ];
  for (const t of extra) {
    out.push(`<h2>${esc(t.title)}</h2><p class="note">${esc(t.note)}</p>`);
    out.push(
      table(
        t.header.map(esc),
        t.rows.map((r) => r.map((c, i) => (i === 0 ? c : esc(c)))),
      ),
    );
  }

  // What the means hide (frame 0, objects found by rank, per object count): src/eval/breakdown.ts.
  for (const t of breakdownTables(variants, (v) => esc(names.get(v)!))) {
    out.push(`<h2>${esc(t.title)}</h2><p class="note">${esc(t.note)}</p>`);
    out.push(table(t.header.map(esc), t.rows));
  }

  // Per-sequence and per-run tables.
  const objects = [...new Set(variants.flatMap((v) => [...v.perObject.keys()]))].sort();
  if (objects.length > 0) {
    out.push('<h2>Per sequence</h2><p class="note">J-Mean / F-Mean per evaluated object, mean over seeds.</p>');
    out.push(
      table(
        ['object', ...variants.map((v) => esc(names.get(v)!))],
        objects.map((n) => [
          esc(n),
          ...variants.map((v) => {
            const o = v.perObject.get(n);
            return o === undefined ? '–' : `${o.J.mean.toFixed(3)} / ${o.F.mean.toFixed(3)}`;
          }),
        ]),
      ),
    );
  }
  out.push('<h2>Runs</h2>');
  out.push(
    table(
      ['job', 'variant', 'seed', 'status', 'J&F-Mean', 'final step J&F', 'steps', 'best step', 'train s', 'eval s', 'folder'],
      variants.flatMap((v) =>
        v.jobs.map((j) => [
          String(j.index),
          esc(names.get(v)!),
          seedOf(j),
          esc(jobStatusText(j)),
          ...jobScoreCells(j),
          String(j.results?.steps ?? '–'),
          String(j.results?.bestStep ?? '–'),
          j.results ? j.results.trainSeconds.toFixed(0) : '–',
          j.results ? j.results.evalSeconds.toFixed(0) : '–',
          `<code>${esc(path.basename(j.runDir))}</code>`,
        ]),
      ),
    ),
  );
  out.push('</body></html>');
  return out.join('\n');
}

/** Writes <sweepDir>/report.html and returns its path. */
export async function writeHtmlReport(sweepDir: string, opts: HtmlReportOptions = {}): Promise<string> {
  const html = await renderHtmlReport(sweepDir, opts);
  const file = path.join(sweepDir, 'report.html');
  writeFileAtomic(file, html);
  return file;
}
