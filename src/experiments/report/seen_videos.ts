/**
 * The "Training-setting videos" section of a sweep report (docs/protocol.md): with
 * report.seen_videos = N > 0, every finished run is also scored on N held-out synthetic videos of
 * its data's *training* setting (split `seen`, generated once into `<data.root>-seen`), beside its
 * test score on the unseen settings. A run that fails here did not learn the task; one that
 * scores here but not on the test split did not generalise to the unseen settings.
 *
 * Same rules as the test split (DAVIS-2017: one-shot runs semi-supervised, zero-shot runs
 * unsupervised) with the run's validation-chosen checkpoint; floors on the same videos: copy-first
 * (one-shot), `empty` and `motion_blob` (zero-shot). Written per run to `<runDir>/seen.json` and
 * for the sweep to `<sweepDir>/seen_videos.json`; a committed summary.json carries it as `seen`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RvosConfig } from '../../config/index.js';
import type { EvalTask } from '../../data/types.js';
import { writeFileAtomic } from '../../utils/fs.js';
import { ensureSeenDataset, SEEN_SPLIT } from '../run/datasets.js';
import {
  readSweepVideoScores,
  floorLabel,
  groupedMean,
  interval,
  LEVEL,
  meanOf,
  scoreSweepOnVideos,
  signed,
  videoMean,
  type RunVideoScore,
  type VideoFloorScore,
  type VideoScoresTable,
} from './score_videos.js';
import { readReused } from '../run/sweep_job.js';
import { perVideoScores, type SweepJobResult, type Variant } from './sweep_results.js';

export const SEEN_VIDEOS_FILE = 'seen_videos.json';
export const RUN_SEEN_FILE = 'seen.json';

/** A run's score on the training-setting videos, as seen.json holds it. */
type RunSeenScore = Omit<RunVideoScore, 'index' | 'runDir'>;

export interface SeenVideos {
  /** The generated folder of training-setting videos. */
  root: string;
  split: typeof SEEN_SPLIT;
  protocol: 'davis2017';
  /** What the videos were drawn from: the varied generator's training setting, or the plain generator (one setting for every split). */
  setting: 'variety.train' | 'plain';
  /** report.seen_videos. */
  videos: number;
  runs: RunVideoScore[];
  floors: VideoFloorScore[];
  missing: { what: string; reason: string }[];
}

/** The data keys that make the training-setting videos: runs that differ in them were not trained on these. */
const dataOf = (c: RvosConfig): string => JSON.stringify({ dataset: c.data.dataset, root: c.data.root, synth: c.data.synth });

/**
 * The sweep's report.seen_videos: its first finished job's overrides composed with today's configs
 * (the experiment's file and the command line decide, not the value a re-used or resumed run was
 * trained with: report.* changes no run), else that run's saved config; 0 when no job finished.
 */
export async function sweepSeenVideos(jobs: SweepJobResult[], configDir: string): Promise<number> {
  const { composeConfig, loadRunConfig } = await import('../../config/index.js');
  const job = jobs.find((j) => j.results !== undefined);
  if (job === undefined) return 0;
  try {
    return composeConfig({ configDir, overrides: job.overrides }).config.report.seen_videos;
  } catch {
    return loadRunConfig(job.runDir).config.report.seen_videos;
  }
}

/**
 * With `videos` > 0 (report.seen_videos): generates the training-setting videos of the first
 * finished run's data (once) and scores every finished run and the floors on them, writing
 * `<runDir>/seen.json` and `<sweepDir>/seen_videos.json`. Null (nothing written or generated) when
 * `videos` is 0 or no run finished. An existing folder made with other options is a ConfigError.
 */
export async function writeSeenVideos(
  sweepDir: string,
  jobs: SweepJobResult[],
  videos: number,
  log: (line: string) => void = () => {},
): Promise<SeenVideos | null> {
  const { loadRunConfig } = await import('../../config/index.js');
  const finished = jobs.filter((j) => j.results !== undefined);
  if (finished.length === 0 || videos === 0) return null;
  const first = loadRunConfig(finished[0]!.runDir).config;
  const { root, generated } = await ensureSeenDataset(first.data, videos);
  if (generated) log(`generated ${videos} training-setting video(s) in ${root}`);
  const setting: SeenVideos['setting'] = first.data.synth.variety === null ? 'plain' : 'variety.train';
  const fields = { root, split: SEEN_SPLIT, protocol: 'davis2017', setting } as const;
  // A run re-used from a committed summary has no weights: the summary's own training-setting
  // score when it carries one for these videos, else it is listed as missing.
  const precomputed = (job: SweepJobResult): RunSeenScore | null => {
    if (readReused(job.runDir)?.scoresOnly !== true) return null;
    const file = path.join(job.runDir, RUN_SEEN_FILE);
    if (!fs.existsSync(file)) return null;
    try {
      const run = JSON.parse(fs.readFileSync(file, 'utf8')) as RunSeenScore & Partial<typeof fields> & { videos?: number };
      const same = path.basename(String(run.root)) === path.basename(root) && run.split === SEEN_SPLIT && run.setting === setting && run.videos === videos;
      return same ? run : null;
    } catch {
      return null;
    }
  };
  const skip = (job: SweepJobResult): string | null => {
    const reused = readReused(job.runDir);
    if (reused?.scoresOnly === true) return `re-used from ${reused.from}, which holds scores without weights and no training-setting score for these videos`;
    try {
      return dataOf(loadRunConfig(job.runDir).config) === dataOf(first) ? null : `trained on other data than job ${finished[0]!.index}`;
    } catch (err) {
      return ((err as Error).message ?? String(err)).split('\n')[0]!;
    }
  };
  const source = { dataset: 'davis2017' as const, root, split: SEEN_SPLIT, protocol: 'davis2017' as const };
  const scores = await scoreSweepOnVideos(jobs, source, {
    runFile: RUN_SEEN_FILE,
    fields: { ...fields, videos },
    label: 'training-setting videos',
    precomputed,
    skip,
    log,
  });
  const out: SeenVideos = { ...fields, videos, ...scores };
  writeFileAtomic(path.join(sweepDir, SEEN_VIDEOS_FILE), `${JSON.stringify(out, null, 2)}\n`);
  return out;
}

/**
 * A sweep's training-setting scores: seen_videos.json, else the `seen` of its summary.json (a
 * committed summary); null when neither has them (report.seen_videos was 0) or the file is unreadable.
 */
export function readSeenVideos(sweepDir: string): SeenVideos | null {
  return readSweepVideoScores<SeenVideos>(sweepDir, SEEN_VIDEOS_FILE, 'seen');
}

const TASK_NAMES: Record<EvalTask, string> = { semi_supervised: 'semi-supervised', unsupervised: 'unsupervised' };

/**
 * The floor a task's runs are held against on these videos: copy-first for one-shot; for
 * zero-shot the higher of `empty` and `motion_blob` here (the harder bar; nothing is chosen on it).
 */
export function seenFloorOf(seen: SeenVideos, task: EvalTask): VideoFloorScore | undefined {
  const floors = seen.floors.filter((f) => f.task === task);
  return floors.reduce<VideoFloorScore | undefined>(
    (best, f) => (best === undefined || meanOf(videoMean(f.perSequence, 'jAndF')) > meanOf(videoMean(best.perSequence, 'jAndF')) ? f : best),
    undefined,
  );
}

/** A job's test J&F per video (results.json), else its test J&F-Mean alone. */
function testScores(job: SweepJobResult): number[] {
  const perVideo = perVideoScores(job);
  if (perVideo !== null) return [...perVideo.values()];
  return job.results === undefined ? [] : [job.results.global['J&F-Mean']];
}

/**
 * The section's table: one row per variant scored on the training-setting videos (J&F with its
 * bootstrap interval over seeds, then videos; the same runs' test J&F on the unseen settings; the
 * difference from its floor here), then one row per floor.
 */
export function seenVideosTable(variants: Variant[], seen: SeenVideos, label: (v: Variant) => string): VideoScoresTable {
  const byIndex = new Map(seen.runs.map((r) => [r.index, r]));
  const videos = new Set([...seen.runs, ...seen.floors].flatMap((s) => s.perSequence.map((p) => p.name))).size;
  const header = ['variant', 'task', 'n', `J&F, training setting [${LEVEL}]`, `J&F, test: unseen settings [${LEVEL}]`, 'J&F − floor (training setting)'];
  const rows: string[][] = [];
  for (const v of variants) {
    const scored = v.jobs.filter((j) => byIndex.has(j.index));
    if (scored.length === 0) continue;
    const runs = scored.map((j) => byIndex.get(j.index)!);
    const task = runs[0]!.task;
    const jf = runs.map((r) => videoMean(r.perSequence, 'jAndF'));
    const floor = seenFloorOf(seen, task);
    rows.push([
      label(v),
      TASK_NAMES[task],
      String(runs.length),
      interval(jf),
      interval(scored.map(testScores)),
      floor === undefined ? '–' : `${signed(groupedMean(jf) - meanOf(videoMean(floor.perSequence, 'jAndF')))} (${floor.name})`,
    ]);
  }
  for (const f of seen.floors) rows.push([floorLabel(f), TASK_NAMES[f.task], '–', meanOf(videoMean(f.perSequence, 'jAndF')).toFixed(3), '–', '–']);
  const drawn =
    seen.setting === 'plain'
      ? 'the plain generator (every split draws from the same options, so these match the test distribution)'
      : 'data.synth.variety.train, the setting the runs trained on';
  const missing = seen.missing.length === 0 ? '' : ` Not scored: ${seen.missing.map((m) => `${m.what} (${m.reason})`).join('; ')}.`;
  const note =
    `Every run's validation-chosen checkpoint on ${videos} held-out videos drawn from ${drawn} (split '${seen.split}' of ${seen.root}; report.seen_videos, docs/protocol.md), with the test split's rules (DAVIS-2017; one-shot semi-supervised, zero-shot unsupervised). ` +
    `Nothing was trained or chosen on these videos, and none shares a random stream with a training video. Beside it, the same runs' test J&F on the unseen settings: a variant low on both did not learn the task; high here and low on test, it did not generalise. ` +
    `Mean over seeds and videos (each video weighs the same) with a ${LEVEL} bootstrap interval over seeds, then videos. Floors on the same videos: copy-first (one-shot) repeats the given first mask at each video's own resolution; empty and motion_blob are the non-learned zero-shot predictors at the zero-shot runs' frame size, and zero-shot rows are held against the higher of the two.${missing}`;
  return { title: 'Training-setting videos', note, header, rows };
}
