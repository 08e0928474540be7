/**
 * Report charts as SVG strings: Vega-Lite specs compiled and rendered headless in Node
 * (vega.View(...).toSVG(), no browser and no network), so report.html embeds them inline.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';

/** Compiles a Vega-Lite spec and renders it to a standalone SVG string. */
export async function renderVegaLite(spec: vl.TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface BarRow {
  variant: string;
  measure: string;
  mean: number;
  std: number;
}

/** Grouped bars (one group per variant, one bar per measure) with ± std error bars. */
export function barChartSpec(rows: BarRow[], title: string, unitRange = true): vl.TopLevelSpec {
  const data = rows.filter((r) => Number.isFinite(r.mean)).map((r) => ({ ...r, lo: r.mean - (r.std || 0), hi: r.mean + (r.std || 0) }));
  const x = { field: 'variant', type: 'nominal', title: null, sort: null, axis: { labelAngle: -30, labelLimit: 240 } } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: { step: 18 }, // per bar (with xOffset the step is the sub-band)
    height: 220,
    data: { values: data },
    encoding: { x, xOffset: { field: 'measure', sort: null }, color: { field: 'measure', type: 'nominal', sort: null, title: null } },
    layer: [
      {
        mark: 'bar',
        encoding: { y: { field: 'mean', type: 'quantitative', title: 'mean over seeds', scale: unitRange ? { domain: [0, 1] } : { zero: true } } },
      },
      { mark: { type: 'rule', color: 'black' }, encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color: { value: 'black' } } },
    ],
  } as vl.TopLevelSpec;
}

export interface CurvePoint {
  variant: string;
  run: string;
  step: number;
  value: number;
}

/** One line per run, coloured by variant. */
export function curveChartSpec(points: CurvePoint[], title: string, yTitle: string): vl.TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 360,
    height: 200,
    data: { values: points.filter((p) => Number.isFinite(p.value)) },
    mark: { type: 'line', point: points.length < 200, strokeWidth: 1.5 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } },
      color: { field: 'variant', type: 'nominal', sort: null, title: null },
      detail: { field: 'run', type: 'nominal' },
    },
  } as vl.TopLevelSpec;
}

export interface LearningCurvePoint {
  variant: string;
  step: number;
  /** Mean over the seeds that validated at this step, and their lowest and highest value. */
  mean: number;
  lo: number;
  hi: number;
  seeds: number;
}

/** Per-variant learning curves: validation J&F mean over seeds (line) with the seeds' range (band). */
export function learningCurveSpec(points: LearningCurvePoint[], title: string, yTitle: string): vl.TopLevelSpec {
  const color = { field: 'variant', type: 'nominal', sort: null, title: null } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 420,
    height: 220,
    data: { values: points.filter((p) => Number.isFinite(p.mean)) },
    encoding: { x: { field: 'step', type: 'quantitative', title: 'step' }, color },
    layer: [
      {
        mark: { type: 'area', opacity: 0.18 },
        encoding: { y: { field: 'lo', type: 'quantitative', title: yTitle, scale: { zero: false } }, y2: { field: 'hi' } },
      },
      { mark: { type: 'line', point: true, strokeWidth: 1.8 }, encoding: { y: { field: 'mean', type: 'quantitative' } } },
    ],
  } as vl.TopLevelSpec;
}

/** Groups per-run curves (variant, run, step, value) into per-variant mean / min / max by step. */
export function learningCurves(points: CurvePoint[]): LearningCurvePoint[] {
  const groups = new Map<string, Map<number, number[]>>();
  for (const p of points) {
    if (!Number.isFinite(p.value)) continue;
    const byStep = groups.get(p.variant) ?? new Map<number, number[]>();
    byStep.set(p.step, [...(byStep.get(p.step) ?? []), p.value]);
    groups.set(p.variant, byStep);
  }
  return [...groups].flatMap(([variant, byStep]) =>
    [...byStep]
      .sort((a, b) => a[0] - b[0])
      .map(([step, v]) => ({ variant, step, mean: v.reduce((a, b) => a + b, 0) / v.length, lo: Math.min(...v), hi: Math.max(...v), seeds: v.length })),
  );
}
