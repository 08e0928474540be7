/**
 * Which variants of a sweep the report compares, seed by seed and video by video
 * (src/experiments/report/paired_comparison.ts):
 * every variant against the experiment's baseline (`report.baseline`), and the paper's claimed
 * directions (`report.claims`). Variants are picked by selectors: a sweep.variants name (`ST`) or
 * a `key=value` setting (`model.mode=one_shot`, matched against the variant's overrides or its
 * resolved config). Two variants are compared only in the same context: the same overrides once
 * the ones that define the compared variants are set aside (e.g. `global` and `none` of the same
 * mode in matching_inputs). The page's tests (rows and claims, a pair tested once) share one Holm
 * correction; a comparison with a variant that has not cleared its floor is not drawn and not
 * counted (src/experiments/report/floor_check.ts).
 */
import { composeConfig, loadRunConfig, type ClaimConfig, type ReportConfig, type RvosConfig } from '../../config/index.js';
import { holm } from '../../eval/bootstrap.js';
import { floorChecks, type FloorCheck } from './floor_check.js';
import type { SweepFloors } from './sweep_floors.js';
import { MIN_SEEDS, pairedComparison, runScores, type PairedComparison } from './paired_comparison.js';
import type { Variant } from './sweep_results.js';

/** The score compared across seeds. */
export const COMPARED_MEASURE = 'J&F-Mean';

export interface ComparisonSettings extends Pick<ReportConfig, 'baseline' | 'claims'> {
  /** sweep.variants: name → its override bundle. */
  bundles: ReadonlyMap<string, readonly string[]>;
}

export interface ComparisonRow {
  variant: Variant;
  baseline: Variant;
  result: PairedComparison;
  /** The same pair scored with the last step's weights (no verdict: the reported score is the selected checkpoint's). */
  final: PairedComparison;
  /** Holm-adjusted p over the page's drawn tests (NaN when not drawn). */
  adjustedP: number;
  /** Why no claim is drawn (a side has not learned the task). */
  excluded?: string;
  /** The two were scored with different protocols (semi-supervised vs unsupervised). */
  crossTask: boolean;
}

export interface ClaimRow {
  claim: ClaimConfig;
  better?: Variant;
  worse?: Variant;
  result?: PairedComparison;
  final?: PairedComparison;
  adjustedP?: number;
  excluded?: string;
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
  /** Each variant's floor and whether it clears it. */
  floors: Map<Variant, FloorCheck>;
  /** Tests in the page's Holm family. */
  tests: number;
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

/** Why a comparison of a and b draws no claim ('' when it does). */
function exclusion(a: Variant, b: Variant, floors: Map<Variant, FloorCheck>, labels: Map<Variant, string>): string {
  const below = [a, b].filter((v) => floors.get(v)?.learned === false).map((v) => labels.get(v)!);
  return below.length === 0 ? '' : `not drawn: ${below.join(' and ')} ${below.length > 1 ? 'have' : 'has'} not learned the task (not above the floor)`;
}

export function compareVariants(
  variants: Variant[],
  settings: ComparisonSettings,
  configOf: ConfigOf,
  sweepFloors: SweepFloors | null = null,
  runConfigOf: (v: Variant) => RvosConfig | null = (v) => configOf(v) as RvosConfig | null,
): ReportComparisons {
  const floors = floorChecks(variants, sweepFloors, runConfigOf);
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
      const excluded = exclusion(variant, base, floors, labels);
      rows.push({
        variant,
        baseline: base,
        result: pairedComparison(runScores(variant), runScores(base)),
        final: pairedComparison(runScores(variant, 'final'), runScores(base, 'final')),
        adjustedP: NaN,
        ...(excluded === '' ? {} : { excluded }),
        crossTask: taskOf(variant) !== taskOf(base),
      });
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
    return found.map(([b, w]): ClaimRow => {
      const excluded = exclusion(b, w, floors, labels);
      return {
        claim,
        better: b,
        worse: w,
        result: pairedComparison(runScores(b), runScores(w)),
        final: pairedComparison(runScores(b, 'final'), runScores(w, 'final')),
        adjustedP: NaN,
        ...(excluded === '' ? {} : { excluded }),
      };
    });
  });
  // One Holm family per page: every drawn test with enough seeds, each unordered pair once.
  const pairKey = (a: Variant, b: Variant) => [variants.indexOf(a), variants.indexOf(b)].sort((x, y) => x - y).join('|');
  const family = new Map<string, number>();
  const tested = (r: { result?: PairedComparison; excluded?: string }) => r.result !== undefined && r.excluded === undefined && r.result.seeds >= MIN_SEEDS;
  for (const r of rows) if (tested(r)) family.set(pairKey(r.variant, r.baseline), r.result.p);
  for (const r of claims) if (tested(r)) family.set(pairKey(r.better!, r.worse!), r.result!.p);
  const keys = [...family.keys()];
  const adjusted = new Map(holm(keys.map((k) => family.get(k)!)).map((p, i) => [keys[i]!, p] as const));
  for (const r of rows) if (tested(r)) r.adjustedP = adjusted.get(pairKey(r.variant, r.baseline))!;
  for (const r of claims) if (tested(r)) r.adjustedP = adjusted.get(pairKey(r.better!, r.worse!))!;
  return { baseline, rows, claims, labels, floors, tests: keys.length };
}

/**
 * The config the sweep's own report settings (report.*, sweep.variants) are read from: a run it
 * trained itself, not a copy (a re-used run's record holds the settings of the experiment that
 * trained it); when every run is a copy or none has a record, the first job's overrides composed
 * with `configDir`.
 */
function sweepSettingsConfig(variants: Variant[], configDir: string): Record<string, unknown> | undefined {
  const jobs = variants.flatMap((v) => v.jobs);
  for (const j of jobs) {
    if (j.reusedFrom !== undefined) continue;
    try {
      return loadRunConfig(j.runDir).config as unknown as Record<string, unknown>;
    } catch {
      // A run that never started has no saved config; try the next one.
    }
  }
  if (jobs[0] === undefined) return undefined;
  try {
    return composeConfig({ configDir, overrides: jobs[0].overrides }).config as unknown as Record<string, unknown>;
  } catch {
    return undefined; // overrides today's configs no longer accept: no settings
  }
}

/**
 * The report settings and config lookup of a sweep, from its runs' saved configs (.hydra/; a
 * committed summary's page is regenerated with the configs the summary records). An older
 * summary records none: its settings are then composed from the jobs' overrides with `configDir`
 * (today's experiment configs), and floors are matched by task alone.
 */
export function sweepComparisons(variants: Variant[], floors: SweepFloors | null = null, configDir = 'configs'): ReportComparisons {
  const saved = new Map<Variant, Record<string, unknown> | null>();
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
    saved.set(v, config);
    if (config === null && v.jobs[0] !== undefined) {
      try {
        config = composeConfig({ configDir, overrides: v.jobs[0].overrides }).config as unknown as Record<string, unknown>;
      } catch {
        // Overrides today's configs no longer accept: no settings from this variant.
      }
    }
    configs.set(v, config);
  }
  const first = sweepSettingsConfig(variants, configDir) as
    | { report?: ReportConfig; sweep?: { variants?: { name: string; overrides: string[] }[] } }
    | undefined;
  const settings: ComparisonSettings = {
    baseline: first?.report?.baseline ?? null,
    claims: first?.report?.claims ?? [],
    bundles: new Map((first?.sweep?.variants ?? []).map((b) => [b.name, b.overrides] as const)),
  };
  return compareVariants(
    variants,
    settings,
    (v) => configs.get(v) ?? null,
    floors,
    (v) => (saved.get(v) ?? null) as RvosConfig | null,
  );
}
