/**
 * Config → datasets: makes the synthetic dataset on first use and opens the train, val and test
 * splits with the reader the config names (docs/protocol.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DataConfig } from '../../config/index.js';
import {
  DIFFICULTY_PRESETS,
  generateSyntheticDataset,
  type SynthDifficulty,
  type SynthSetting,
  type SynthVariety,
  openDavis2016,
  openDavis2017,
  openYouTubeVOS,
  openFrameFolder,
  type EvalTask,
  type VideoDataset,
  listPhotos,
  type PhotoEffects,
} from '../../data/index.js';
import type { DavisProtocol } from '../../eval/davis2016.js';
import { ConfigError } from '../../utils/errors.js';

/** True when `root` already holds a complete generated dataset (every split's list). */
function syntheticReady(root: string, splits: readonly string[] = ['train', 'val', 'test']): boolean {
  return splits.every((s) => fs.existsSync(path.join(root, 'ImageSets', '2017', `${s}.txt`)));
}

/** The generator's options for data.synth and data.size (everything but where it goes). */
function synthOptionsOf(data: DataConfig) {
  return {
    trainVideos: data.synth.train_videos,
    valVideos: data.synth.val_videos,
    testVideos: data.synth.test_videos,
    frames: data.synth.frames,
    size: data.size,
    objects: data.synth.objects,
    seed: data.synth.seed,
    difficulty: DIFFICULTY_PRESETS[data.synth.difficulty],
    variety: varietyOf(data.synth.variety),
    ...(data.synth.photos === null ? {} : { photos: { dir: data.synth.photos, effects: data.synth.photo_effects as Partial<PhotoEffects> } }),
  };
}

/**
 * Generates the synthetic dataset at data.root unless it is there. Safe when two runs start at
 * once: the generator writes to a temporary folder and renames it, and the loser of that race
 * uses the winner's (identical, same seed) dataset.
 */
export async function ensureSyntheticDataset(data: DataConfig): Promise<boolean> {
  if (data.dataset !== 'synthetic') return false;
  const wanted = synthOptionsOf(data);
  if (syntheticReady(data.root)) {
    checkSameSynthetic(data.root, wanted);
    return false;
  }
  try {
    await generateSyntheticDataset({ out: data.root, ...wanted });
  } catch (err) {
    if (!syntheticReady(data.root)) throw err;
  }
  return true;
}

/** The list of the training-setting videos (docs/protocol.md, "Training-setting videos"). */
export const SEEN_SPLIT = 'seen';

/** Where the training-setting videos of a run's data go: a folder beside data.root. */
export function seenDatasetRoot(data: Pick<DataConfig, 'root'>): string {
  return `${data.root.replace(/[/\\]+$/, '')}-seen`;
}

/**
 * The options of `videos` held-out videos of the training setting: the run's generator, seed and
 * setting, no training, val or test videos, so nothing about the run's own dataset changes.
 */
function seenOptionsOf(data: DataConfig, videos: number) {
  return { ...synthOptionsOf(data), trainVideos: 0, valVideos: 0, testVideos: 0, seenVideos: videos };
}

const SEEN_KEY = 'report.seen_videos';

/**
 * Refuses (one line) an existing training-setting folder made with other options than the run's
 * data and `videos` ask for; nothing is generated. Called before training, so a sweep does not
 * find out after hours.
 */
export function checkSeenDataset(data: DataConfig, videos: number): void {
  if (data.dataset !== 'synthetic') {
    throw new ConfigError(`${SEEN_KEY}=${videos} needs synthetic data (data.dataset is ${data.dataset}); set ${SEEN_KEY}=0`);
  }
  const root = seenDatasetRoot(data);
  if (syntheticReady(root, [SEEN_SPLIT])) checkSameSynthetic(root, seenOptionsOf(data, videos), SEEN_KEY);
}

/**
 * Generates `videos` training-setting videos (split `seen`) into seenDatasetRoot(data) unless they
 * are there (same race rule as ensureSyntheticDataset). Returns the folder.
 */
export async function ensureSeenDataset(data: DataConfig, videos: number): Promise<{ root: string; generated: boolean }> {
  checkSeenDataset(data, videos);
  const root = seenDatasetRoot(data);
  if (syntheticReady(root, [SEEN_SPLIT])) return { root, generated: false };
  try {
    await generateSyntheticDataset({ out: root, ...seenOptionsOf(data, videos) });
  } catch (err) {
    if (!syntheticReady(root, [SEEN_SPLIT])) throw err;
  }
  return { root, generated: true };
}

/** data.synth.variety → the generator's options (kind names are checked by the generator). */
function varietyOf(v: DataConfig['synth']['variety']): SynthVariety | undefined {
  if (v === null) return undefined;
  const setting = (s: NonNullable<DataConfig['synth']['variety']>['train']): SynthSetting => ({
    sizes: s.sizes,
    shapes: s.shapes as SynthSetting['shapes'],
    textures: s.textures as SynthSetting['textures'],
    ...(s.objects === null ? {} : { objects: s.objects }),
    difficulty: s.difficulty as Partial<SynthDifficulty>,
  });
  return { train: setting(v.train), held_out: setting(v.held_out) };
}

/**
 * An existing generated dataset must have been made with the requested settings; otherwise a
 * changed data.synth.* or data.size would silently train on the old videos.
 */
function checkSameSynthetic(root: string, wanted: Record<string, unknown>, seenKey?: string): void {
  const file = path.join(root, 'synth.json');
  if (!fs.existsSync(file)) return;
  const made = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  const photos = wanted.photos as { dir: string } | undefined;
  if (photos !== undefined && made.photoLibrary === null && listPhotos(photos.dir).length > 0) {
    console.log(`note: data.root=${root} was generated with procedural textures before ${photos.dir} held photographs; delete it to regenerate with them`);
  }
  const differing = Object.keys(wanted).filter((k) => JSON.stringify(made[k]) !== JSON.stringify(wanted[k]));
  if (differing.length > 0) {
    throw new ConfigError(
      seenKey === undefined
        ? `data.root=${root} holds a synthetic dataset generated with different ${differing.join(', ')} than data.synth/data.size ask for; ` +
          'point data.root at another folder (or delete this one) to generate the requested videos'
        : `${seenKey}: ${root} holds training-setting videos generated with different ${differing.join(', ')} than data.synth/data.size and ${seenKey} ask for; ` +
          'delete it to generate the requested videos',
    );
  }
}

/** The scoring rules of a dataset: DAVIS-2016's binary foreground protocol, or DAVIS-2017's. */
export function evalProtocolOf(dataset: DataConfig['dataset']): DavisProtocol {
  return dataset === 'davis2016' ? 'davis2016' : 'davis2017';
}

/**
 * Opens `split` of the configured dataset. `task` picks DAVIS's annotation folder. For training
 * every annotated frame is scanned for objects; for evaluation DAVIS objects are those of frame 0
 * (the semi-supervised protocol gives only the first frame, so objects entering later are not
 * given to the model).
 *
 * data.on_error=skip: training leaves out unreadable videos (the dataset's `skipped`); evaluation
 * refuses them, since a score over fewer videos is not comparable. Headers alone miss a corrupt
 * JPEG body, so with skip every file is decoded up front: the videos are then known before the
 * first step, and the batches stay a function of the step (exact resume).
 */
export async function openSplit(
  data: Pick<DataConfig, 'dataset' | 'root' | 'on_error'>,
  split: string,
  task: EvalTask,
  purpose: 'train' | 'eval',
): Promise<VideoDataset> {
  const onError = purpose === 'train' ? data.on_error : 'raise';
  const validate = data.on_error === 'skip' ? 'decode' : 'headers';
  switch (data.dataset) {
    case 'synthetic':
    case 'davis2017':
      return openDavis2017(data.root, { split, task, onError, validate, scan: purpose === 'train' ? 'all' : 'first' });
    case 'davis2016':
      return openDavis2016(data.root, { split, onError, validate, scan: purpose === 'train' ? 'all' : 'first' });
    case 'youtube_vos':
      if (split !== 'train' && split !== 'valid')
        throw new ConfigError(`data.split/data.val_split: YouTube-VOS splits are 'train' and 'valid' (got '${split}')`);
      return openYouTubeVOS(data.root, { split, onError, validate });
    case 'frames':
      return openFrameFolder(data.root);
  }
}

/** The split a config names for a role: train (data.split), val (data.val_split), test (data.test_split). */
export type SplitRole = 'train' | 'val' | 'test';

export function splitName(data: DataConfig, role: SplitRole): string {
  return role === 'train' ? data.split : role === 'val' ? data.val_split : data.test_split;
}

/**
 * Checks the three splits a run reads: the test split must share no video with the training
 * split (a ConfigError otherwise); a val split that is the test split or overlaps training gives
 * a warning (choosing on reported videos is allowed, for data that has no other labelled videos,
 * but a run must say so).
 */
export function checkSplits(data: DataConfig, sets: Record<SplitRole, VideoDataset>, warn: (line: string) => void): void {
  if (data.dataset === 'frames') return;
  const names = (role: SplitRole) => new Set(sets[role].sequences.map((s) => s.name));
  const train = names('train');
  const shared = (role: SplitRole) => [...names(role)].filter((n) => train.has(n));
  const testShared = shared('test');
  if (testShared.length > 0) {
    throw new ConfigError(
      `data.test_split=${data.test_split} shares ${testShared.length} video(s) with data.split=${data.split} (${testShared.slice(0, 3).join(', ')}); ` +
        'a test split must hold videos training never saw: point data.test_split at another list (docs/protocol.md)',
    );
  }
  const valShared = shared('val');
  if (valShared.length > 0)
    warn(
      `[rvos] warning: data.val_split=${data.val_split} shares ${valShared.length} video(s) with data.split=${data.split}; validation scores are then not held out`,
    );
  if (data.val_split === data.test_split) {
    warn(
      `[rvos] warning: data.val_split and data.test_split are both '${data.test_split}': checkpoints are chosen on the videos the run reports; ` +
        'hold out other videos for data.val_split (docs/protocol.md)',
    );
  }
}
