/**
 * `rvos data synth ...` generates a synthetic DAVIS-layout dataset; `rvos data info ...` counts
 * the sequences, frames and objects of a dataset (and reports bad videos).
 */
import fs from 'node:fs';
import path from 'node:path';
import { detectDavis2016Layout, openDavis2016 } from '../../data/davis2016.js';
import { openDavis2017 } from '../../data/davis2017.js';
import { generateSyntheticDataset } from '../../data/synth/dataset.js';
import { DIFFICULTY_PRESETS, type SynthOptions } from '../../data/synth/options.js';
import type { PhotoSynthOptions } from '../../data/synth/photo_options.js';
import type { VideoDataset } from '../../data/types.js';
import { openYouTubeVOS } from '../../data/youtube_vos.js';
import { ConfigError } from '../../utils/errors.js';
import { parseFlags, UsageError } from '../args.js';

const USAGE = `Usage:
  rvos data synth --out DIR [--train N] [--val N] [--test N] [--frames T] [--size HxW]
                  [--objects MIN-MAX] [--seed S] [--difficulty easy|default|hard] [--photos DIR]
                  [--overwrite]
      Writes a synthetic multi-object video dataset in the DAVIS-2017 layout (JPEG frames, palette
      annotations, Annotations_unsupervised, ImageSets/2017/{train,val,test}.txt). Each split has
      its own videos and random streams (docs/protocol.md). Same options → same bytes.
      --photos DIR: photographic videos from the photographs in DIR (npm run setup:photos fetches
      some into data/photos); training and held-out (val, test) videos use disjoint photographs.
      Defaults: --train 50 --val 10 --test 10 --frames 12 --size 64x64 --objects 1-3 --seed 0.
  rvos data info --root DIR [--dataset davis2016|davis2017|youtube_vos] [--split NAME] [--check]
      Counts sequences, frames and objects per split; --check decodes every file. Bad videos are
      listed (exit code 1).`;

const SYNTH_USAGE = USAGE.split('\n')
  .slice(1, 3)
  .map((l) => l.trim())
  .join(' ');
const INFO_USAGE = USAGE.split('\n')
  .find((l) => l.includes('rvos data info'))!
  .trim();

function pairOption(value: string | undefined, fallback: [number, number], sep: RegExp, flag: string, form: string): [number, number] {
  if (value === undefined) return fallback;
  const parts = value.split(sep).map(Number);
  if (parts.length !== 2 || !parts.every((n) => Number.isInteger(n) && n > 0))
    throw new UsageError(`${flag} must look like ${form} (got '${value}')`, SYNTH_USAGE, 'data synth');
  return [parts[0]!, parts[1]!];
}

/** Parses `rvos data synth` arguments into generator options. */
export function parseSynthArgs(argv: string[]): SynthOptions & { photos?: PhotoSynthOptions } {
  const { flags: values } = parseFlags(
    argv,
    {
      out: { type: 'string', placeholder: 'DIR' },
      train: { type: 'int', min: 1 },
      test: { type: 'int', min: 0 },
      frames: { type: 'int', min: 1 },
      size: { type: 'string', placeholder: 'HxW' },
      objects: { type: 'string', placeholder: 'MIN-MAX' },
      seed: { type: 'int' },
      val: { type: 'int', min: 0 },
      difficulty: { type: 'string', choices: Object.keys(DIFFICULTY_PRESETS) },
      photos: { type: 'string', placeholder: 'DIR' },
      overwrite: { type: 'boolean' },
    },
    { command: 'data synth', usage: SYNTH_USAGE },
  );
  if (values.out === undefined) throw new ConfigError('rvos data synth needs --out DIR');
  const preset = values.difficulty ?? 'default';
  return {
    out: values.out,
    trainVideos: values.train ?? 50,
    frames: values.frames ?? 12,
    size: pairOption(values.size, [64, 64], /x/i, '--size', 'HxW, e.g. 64x96'),
    objects: pairOption(values.objects, [1, 3], /-/, '--objects', 'MIN-MAX, e.g. 1-3'),
    seed: values.seed ?? 0,
    valVideos: values.val ?? 10,
    testVideos: values.test ?? 10,
    difficulty: DIFFICULTY_PRESETS[preset as keyof typeof DIFFICULTY_PRESETS],
    overwrite: values.overwrite ?? false,
    ...(values.photos === undefined ? {} : { photos: { dir: values.photos } }),
  };
}

function describe(ds: VideoDataset): string {
  const frames = ds.sequences.reduce((n, s) => n + s.frameNames.length, 0);
  const annotated = ds.sequences.reduce((n, s) => n + (s.annotated ?? s.frameNames.map(() => true)).filter(Boolean).length, 0);
  const objects = ds.sequences.reduce((n, s) => n + s.objectIds.length, 0);
  const sizes = [...new Set(ds.sequences.map((s) => `${s.width}x${s.height}`))].join(', ');
  return `${ds.split}: ${ds.sequences.length} sequences, ${frames} frames (${annotated} annotated), ${objects} objects, sizes ${sizes || '-'}`;
}

async function info(argv: string[]): Promise<number> {
  const { flags: values } = parseFlags(
    argv,
    {
      root: { type: 'string', placeholder: 'DIR' },
      dataset: { type: 'string', choices: ['davis2016', 'davis2017', 'youtube_vos'] },
      split: { type: 'string' },
      check: { type: 'boolean' },
    },
    { command: 'data info', usage: INFO_USAGE },
  );
  if (values.root === undefined) throw new ConfigError('rvos data info needs --root DIR');
  const kind = values.dataset ?? 'davis2017';
  const validate = values.check ? 'decode' : 'headers';
  let datasets: VideoDataset[];
  if (kind === 'davis2017' || kind === 'davis2016') {
    // DAVIS-2016 lists its splits in ImageSets/480p (official layout) or ImageSets/2016 (DAVIS-2017 layout).
    const sets = kind === 'davis2017' ? '2017' : detectDavis2016Layout(values.root) === 'official' ? '480p' : '2016';
    const setsDir = path.join(values.root, 'ImageSets', sets);
    const splits =
      values.split !== undefined
        ? [values.split]
        : fs.existsSync(setsDir)
          ? fs
              .readdirSync(setsDir)
              .filter((f) => f.endsWith('.txt'))
              .map((f) => f.slice(0, -4))
              .sort()
          : ['train'];
    datasets = [];
    const open = kind === 'davis2017' ? openDavis2017 : openDavis2016;
    for (const split of splits) datasets.push(await open(values.root, { split, onError: 'skip', validate, scan: 'all' }));
  } else if (kind === 'youtube_vos') {
    const splits = values.split !== undefined ? [values.split] : ['train', 'valid'].filter((s) => fs.existsSync(path.join(values.root!, s)));
    if (splits.length === 0) throw new ConfigError(`${values.root} has neither train/ nor valid/; is it a YouTube-VOS root?`);
    datasets = [];
    for (const split of splits) {
      if (split !== 'train' && split !== 'valid') throw new ConfigError(`--split for youtube_vos must be train or valid (got '${split}')`);
      datasets.push(await openYouTubeVOS(values.root, { split, onError: 'skip', validate }));
    }
  } else {
    throw new ConfigError(`--dataset must be davis2016, davis2017 or youtube_vos (got '${kind}')`);
  }
  let bad = 0;
  console.log(`${kind} at ${values.root}`);
  for (const ds of datasets) {
    console.log(`  ${describe(ds)}`);
    for (const s of ds.skipped ?? []) {
      bad++;
      console.log(`    skipped ${s.name}: ${s.reason}`);
    }
    for (const w of ds.warnings ?? []) console.log(`    warning: ${w}`);
  }
  return bad > 0 ? 1 : 0;
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || rest.includes('--help') || rest.includes('-h')) {
    console.log(USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'synth') {
    const opts = parseSynthArgs(rest);
    const t0 = performance.now();
    const summary = await generateSyntheticDataset(opts);
    const seconds = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(
      `wrote ${summary.train.length} train + ${summary.val.length} val + ${summary.test.length} test videos (${summary.frames} frames, ${summary.objects} objects) to ${summary.out} in ${seconds} s`,
    );
    return 0;
  }
  if (sub === 'info') return info(rest);
  throw new UsageError(`unknown subcommand '${sub}'`, 'rvos data synth|info [options]', 'data');
}
