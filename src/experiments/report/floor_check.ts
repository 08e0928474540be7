/**
 * Which floor each variant of a sweep is held against (src/experiments/report/sweep_floors.ts) and whether it
 * clears it: variant − floor on the same test videos, per seed and video, with the bootstrap
 * interval; a variant whose interval does not lie above 0 "has not learned the task", and the
 * report draws no claim from it. A sweep that runs the copy-first baseline itself
 * (model.family=copy_first, the `baselines` experiment) uses that variant as the one-shot floor
 * when no computed floor is recorded.
 */
import type { RvosConfig } from '../../config/index.js';
import type { EvalTask } from '../../data/index.js';
import { floorKey, type FloorScore, type SweepFloors } from './sweep_floors.js';
import { againstFixed, MIN_SEEDS, runScores, type PairedComparison, type RunScore } from './paired_comparison.js';
import type { Variant } from './sweep_results.js';

export interface FloorRef {
  /** What the floor is, for the tables: "copy first mask", "motion blob (chosen on validation over empty)". */
  label: string;
  task: string;
  score: RunScore;
  /** The floor's own global measures (null for a floor taken from a sweep variant: its table row has them). */
  global: FloorScore['global'] | null;
  /** The computed floor, or the sweep variant that is the floor. */
  source: FloorScore | Variant;
}

export interface FloorCheck {
  floor: FloorRef | null;
  /** Why there is no floor (not recorded, not computable). */
  missing?: string;
  /** variant − floor. */
  test: PairedComparison | null;
  /** true: clears the floor; false: has not learned the task; null: not known (no floor, or < 2 seeds). */
  learned: boolean | null;
  /** The variant is itself the floor (the copy-first baseline). */
  isFloor: boolean;
}

const FLOOR_LABELS: Record<FloorScore['name'], string> = {
  copy_first: 'copy the first mask',
  empty: 'empty (no object)',
  motion_blob: 'one blob of the camera-aligned frame difference',
};

export function floorLabel(f: FloorScore): string {
  if (f.candidates === undefined) return FLOOR_LABELS[f.name];
  const others = f.candidates
    .filter((c) => c.name !== f.name)
    .map((c) => c.name)
    .join(', ');
  const where = f.chosenOn !== undefined && f.chosenOn === f.split ? 'on these same videos (no separate test split)' : 'on validation';
  return `${FLOOR_LABELS[f.name]}, chosen ${where} over ${others}`;
}

function refOf(f: FloorScore): FloorRef {
  return {
    label: floorLabel(f),
    task: f.task,
    score: { global: f.global['J&F-Mean'], videos: new Map(f.perSequence.map((s) => [s.name, s.jAndF])) },
    global: f.global,
    source: f,
  };
}

const taskOf = (v: Variant): EvalTask | undefined => v.jobs.find((j) => j.results)?.results?.task;
const isCopyFirst = (v: Variant): boolean => v.jobs.some((j) => j.results?.family === 'copy_first');

/**
 * Each variant's floor and whether it clears it. `configOf` gives a variant's resolved config
 * (null for an older committed summary, which records no configs: floors are then matched by task
 * alone, when that is unambiguous).
 */
export function floorChecks(variants: Variant[], floors: SweepFloors | null, configOf: (v: Variant) => RvosConfig | null): Map<Variant, FloorCheck> {
  const out = new Map<Variant, FloorCheck>();
  const copyVariant = variants.find(isCopyFirst);
  for (const v of variants) {
    const task = taskOf(v);
    if (task === undefined) {
      out.set(v, { floor: null, missing: 'no finished run', test: null, learned: null, isFloor: false });
      continue;
    }
    if (isCopyFirst(v)) {
      out.set(v, { floor: null, test: null, learned: null, isFloor: true });
      continue;
    }
    const config = configOf(v);
    const sameTask = (floors?.floors ?? []).filter((f) => f.task === task);
    const computed = config !== null ? sameTask.find((f) => f.key === floorKey(config, task)) : sameTask.length === 1 ? sameTask[0] : undefined;
    let floor: FloorRef | null = computed === undefined ? null : refOf(computed);
    if (floor === null && task === 'semi_supervised' && copyVariant !== undefined) {
      const runs = [...runScores(copyVariant).values()];
      // copy_first has no weights: every seed scores the same, so any run is the floor.
      if (runs.length > 0) floor = { label: 'copy the first mask (this sweep’s copy_first runs)', task, score: runs[0]!, global: null, source: copyVariant };
    }
    if (floor === null) {
      const missing = floors?.missing.find((m) => m.task === task && (config === null || m.key === floorKey(config, task)));
      out.set(v, {
        floor: null,
        missing: missing !== undefined ? `not computed: ${missing.reason}` : 'not recorded (results from before floors were computed)',
        test: null,
        learned: null,
        isFloor: false,
      });
      continue;
    }
    const test = againstFixed(runScores(v), floor.score);
    const learned = test.seeds === 0 || (test.seeds < MIN_SEEDS && !test.videos) ? null : test.lo > 0;
    out.set(v, { floor, test, learned, isFloor: false });
  }
  return out;
}

/** The table cell: "clears it: +0.120 [+0.090, +0.150]" / "**has not learned the task**: …" / why unknown. */
export function floorCell(c: FloorCheck, fmt: (t: PairedComparison) => string): string {
  if (c.isFloor) return 'is the floor';
  if (c.floor === null || c.test === null) return `floor ${c.missing ?? 'not recorded'}`;
  const diff = `Δ vs floor ${fmt(c.test)}`;
  if (c.learned === null) return `${diff} (needs ≥ ${MIN_SEEDS} seeds)`;
  return c.learned ? `clears it: ${diff}` : `has not learned the task: ${diff}`;
}
