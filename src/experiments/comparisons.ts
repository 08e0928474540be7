/**
 * Which variants of a sweep the report compares, seed by seed (src/experiments/paired_comparison.ts):
 * every variant against the experiment's baseline (`report.baseline`), and the paper's claimed
 * directions (`report.claims`). Variants are picked by selectors: a sweep.variants name (`ST`) or
 * a `key=value` setting (`model.mode=one_shot`, matched against the variant's overrides or its
 * resolved config). Two variants are compared only in the same context: the same overrides once
 * the ones that define the compared variants are set aside (e.g. `global` and `none` of the same
 * mode in matching_inputs).
 */
import { loadRunConfig, type ClaimConfig, type ReportConfig } from '../config/index.js';
import { pairedComparison, type PairedComparison } from './paired_comparison.js';
import type { Variant } from './sweep_results.js';

/** The score compared across seeds. */
export const COMPARED_MEASURE = 'J&F-Mean';

export interface ComparisonSettings extends ReportConfig {
  /** sweep.variants: name → its override bundle. */
  bundles: ReadonlyMap<string, readonly string[]>;
}

export interface ComparisonRow {
  variant: Variant;
  baseline: Variant;
  result: PairedComparison;
  /** The two were scored with different protocols (semi-supervised vs unsupervised). */
  crossTask: boolean;
}

export interface ClaimRow {
  claim: ClaimConfig;
  better?: Variant;
  worse?: Variant;
  result?: PairedComparison;
  /** Why there is no result (nothing in the sweep matches). */
  missing?: string;
}

export interface ReportComparisons {
  /** The baseline selector used (null: fewer than two variants). */
  baseline: string | null;
  rows: ComparisonRow[];
  claims: ClaimRow[];
  /** Display label per variant: its name (if any) and its context overrides. */
  labels: Map<Variant, string>;
}

/** The resolved config of a variant as a plain object (null when its runs have none). */
export type ConfigOf = (v: Variant) => Record<string, unknown> | null;

const stripPlus = (o: string): string => o.replace(/^\+{1,2}/, '');
const keyOf = (o: string): string => stripPlus(o).split('=')[0]!;

/** A variant's sweep.variants name (its `run.name=` override), if it has one. */
export function variantName(v: Variant): string | undefined {
  const o = v.jobs[0]?.overrides.find((x) => /^\+{0,2}run\.name=/.test(x));
  return o === undefined ? undefined : o.slice(o.indexOf('=') + 1);
}

function configValue(config: Record<string, unknown> | null, key: string): unknown {
  let node: unknown = config;
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function matches(v: Variant, selector: string, configOf: ConfigOf): boolean {
  const eq = selector.indexOf('=');
  if (eq < 0) return variantName(v) === selector;
  if (v.overrides.some((o) => stripPlus(o) === selector)) return true;
  const value = configValue(configOf(v), selector.slice(0, eq));
  return value !== undefined && value !== null && typeof value !== 'object' && String(value) === selector.slice(eq + 1);
}

/** The overrides that place a variant, with its own bundle and the selectors' keys set aside. */
function context(v: Variant, selectors: string[], bundles: ComparisonSettings['bundles']): string[] {
  const name = variantName(v);
  const bundle = new Set((name === undefined ? [] : (bundles.get(name) ?? [])).map(stripPlus));
  const keys = new Set(selectors.filter((s) => s.includes('=')).map(keyOf));
  return v.overrides
    .map(stripPlus)
    .filter((o) => !bundle.has(o) && !keys.has(keyOf(o)))
    .sort();
}

const sameContext = (a: string[], b: string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** Seed → compared score, for the finished runs of a variant. */
export function seedScores(v: Variant): Map<number, number> {
  const out = new Map<number, number>();
  for (const j of v.jobs) if (j.results !== undefined) out.set(j.results.seed, j.results.global[COMPARED_MEASURE]);
  return out;
}

const taskOf = (v: Variant): string | undefined => v.jobs.find((j) => j.results)?.results?.task;

/** The default baseline: the first variant's name, or the first of its overrides that tells it apart. */
function defaultBaseline(variants: Variant[]): string | null {
  const first = variants[0];
  if (first === undefined || variants.length < 2) return null;
  const name = variantName(first);
  if (name !== undefined) return name;
  const distinct = first.overrides.find((o) => variants.some((w) => !w.overrides.includes(o)));
  return distinct === undefined ? null : stripPlus(distinct);
}

/** Pairs of (a, b) from two candidate lists that share a context. */
function pairs(as: Variant[], bs: Variant[], selectors: string[], bundles: ComparisonSettings['bundles']): [Variant, Variant][] {
  return as.flatMap((a) =>
    bs.filter((b) => b !== a && sameContext(context(a, selectors, bundles), context(b, selectors, bundles))).map((b): [Variant, Variant] => [a, b]),
  );
}

export function compareVariants(variants: Variant[], settings: ComparisonSettings, configOf: ConfigOf): ReportComparisons {
  // Labels leave out the overrides every variant shares (e.g. a shortened train.steps for all).
  const shared = (o: string) => variants.length > 1 && variants.every((w) => w.overrides.map(stripPlus).includes(o));
  const labels = new Map(
    variants.map((v) => {
      const name = variantName(v);
      const own = name === undefined ? v.overrides.map(stripPlus) : context(v, [], settings.bundles);
      const parts = [...(name === undefined ? [] : [name]), ...own.filter((o) => !shared(o))];
      return [v, parts.length > 0 ? parts.join(' · ') : v.label] as const;
    }),
  );
  const baseline = settings.baseline ?? defaultBaseline(variants);
  const rows: ComparisonRow[] = [];
  if (baseline !== null) {
    const bases = variants.filter((v) => matches(v, baseline, configOf));
    const others = variants.filter((v) => !bases.includes(v));
    for (const [variant, base] of pairs(others, bases, [baseline], settings.bundles)) {
      rows.push({ variant, baseline: base, result: pairedComparison(seedScores(variant), seedScores(base)), crossTask: taskOf(variant) !== taskOf(base) });
    }
  }
  const claims: ClaimRow[] = settings.claims.flatMap((claim): ClaimRow[] => {
    const where = (v: Variant) => claim.where === null || matches(v, claim.where, configOf);
    const better = variants.filter((v) => where(v) && matches(v, claim.better, configOf));
    const worse = variants.filter((v) => where(v) && matches(v, claim.worse, configOf));
    const found = pairs(better, worse, [claim.better, claim.worse], settings.bundles);
    if (found.length === 0) {
      const absent = better.length === 0 ? claim.better : worse.length === 0 ? claim.worse : `${claim.better} and ${claim.worse} in the same setting`;
      return [{ claim, missing: `not in this sweep (no ${absent}${claim.where === null ? '' : ` with ${claim.where}`})` }];
    }
    return found.map(([b, w]) => ({ claim, better: b, worse: w, result: pairedComparison(seedScores(b), seedScores(w)) }));
  });
  return { baseline, rows, claims, labels };
}

/** The report settings and config lookup of a sweep, from its runs' saved configs (.hydra/). */
export function sweepComparisons(variants: Variant[]): ReportComparisons {
  const configs = new Map<Variant, Record<string, unknown> | null>();
  for (const v of variants) {
    let config: Record<string, unknown> | null = null;
    for (const j of v.jobs) {
      try {
        config = loadRunConfig(j.runDir).config as unknown as Record<string, unknown>;
        break;
      } catch {
        // A run that never started has no saved config; try the next seed.
      }
    }
    configs.set(v, config);
  }
  const first = [...configs.values()].find((c) => c !== null) as
    | { report?: ReportConfig; sweep?: { variants?: { name: string; overrides: string[] }[] } }
    | undefined;
  const settings: ComparisonSettings = {
    baseline: first?.report?.baseline ?? null,
    claims: first?.report?.claims ?? [],
    bundles: new Map((first?.sweep?.variants ?? []).map((b) => [b.name, b.overrides] as const)),
  };
  return compareVariants(variants, settings, (v) => configs.get(v) ?? null);
}
