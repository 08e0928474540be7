/**
 * DAVIS-2017 reader. Layout (davis2017-evaluation, see shared reference metrics.md):
 *   JPEGImages/<res>/<seq>/00000.jpg, Annotations/<res>/<seq>/00000.png (palette: 0 background,
 *   1..N objects, 255 void), Annotations_unsupervised/<res>/..., ImageSets/2017/<split>.txt.
 * train/val annotate every frame; test-dev/test-challenge annotate only frame 0.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DataError } from '../utils/errors.js';
import { datasetWarnings, openFileSequence, type ObjectScan, type ValidationLevel } from './file_sequence.js';
import { openSequences } from './open_sequences.js';
import type { EvalTask, OnDataError, VideoDataset } from './types.js';

export interface DavisOptions {
  /** Split file name in ImageSets/2017 without .txt: 'train', 'val', 'test-dev', ... */
  split: string;
  resolution?: '480p' | 'Full-Resolution';
  /** semi_supervised reads Annotations/, unsupervised reads Annotations_unsupervised/. */
  task?: EvalTask;
  onError?: OnDataError;
  /** Which frames must have an annotation; default 'first' for test-* splits, else 'all'. */
  annotated?: 'all' | 'first';
  /** Annotations decoded to find objects: 'first' (default; the semi protocol's set) or 'all'. */
  scan?: ObjectScan;
  /** 'headers' (default) checks every file's header; 'decode' decodes every file. */
  validate?: ValidationLevel;
}

/**
 * The text of a dataset's list file (`what`: "split file", "list file"); a missing one raises a
 * DataError naming the lists its folder does have and `check` (what to look at).
 */
export function readListText(file: string, what: string, check: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    const dir = path.dirname(file);
    const have = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.txt')) : [];
    throw new DataError(`${what} is missing (available in ${dir}: ${have.length > 0 ? have.join(', ') : 'none'}); ${check}`, file);
  }
}

/** Reads a split file: one sequence name per line; missing or empty files raise a DataError. */
export function readSplitFile(file: string): string[] {
  const text = readListText(file, 'split file', 'check data.split or the dataset root');
  const names = [...new Set(text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0))];
  if (names.length === 0) throw new DataError('split file is empty; it must list one sequence name per line', file);
  return names;
}

/** Sorted file stems with one of the extensions in a folder; null when the folder is absent. */
export function listStems(dir: string, extensions: RegExp): Map<string, string> | null {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return null;
  }
  const files = entries.filter((f) => extensions.test(f)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return new Map(files.map((f) => [f.replace(/\.[^.]+$/, ''), path.join(dir, f)]));
}

export async function openDavis2017(root: string, opts: DavisOptions): Promise<VideoDataset> {
  const resolution = opts.resolution ?? '480p';
  const task = opts.task ?? 'semi_supervised';
  const annotated = opts.annotated ?? (opts.split.startsWith('test') ? 'first' : 'all');
  if (!fs.existsSync(root)) {
    throw new DataError('DAVIS-2017 root folder does not exist; download DAVIS-2017 (davischallenge.org) or fix data.root', root);
  }
  const splitFile = path.join(root, 'ImageSets', '2017', `${opts.split}.txt`);
  const names = readSplitFile(splitFile);
  const annotationRoot = path.join(root, task === 'semi_supervised' ? 'Annotations' : 'Annotations_unsupervised', resolution);

  const { sequences, skipped } = await openSequences(names, opts.onError ?? 'raise', async (name) => {
    const framesDir = path.join(root, 'JPEGImages', resolution, name);
    const frames = listStems(framesDir, /\.jpe?g$/i);
    if (frames === null) {
      throw new DataError(`sequence ${name} is listed in ${splitFile} but its frame folder is missing`, framesDir);
    }
    if (frames.size === 0) throw new DataError(`sequence ${name} has no .jpg frames`, framesDir);
    const annDir = path.join(annotationRoot, name);
    const annotations = listStems(annDir, /\.png$/i) ?? new Map<string, string>();
    const frameNames = [...frames.keys()];
    return openFileSequence({
      name,
      frameNames,
      frameFiles: [...frames.values()],
      annotationFiles: frameNames.map((f) => annotations.get(f) ?? null),
      required: {
        frames: annotated === 'all' ? frameNames.map((_, i) => i) : [0],
        why: annotated === 'all' ? `split ${opts.split} annotates every frame` : 'the first frame defines the objects',
      },
      annotationPathFor: (i) => path.join(annDir, `${frameNames[i]}.png`),
      scan: opts.scan ?? 'first',
      validate: opts.validate ?? 'headers',
    });
  });
  return { name: 'davis2017', root, split: opts.split, sequences, skipped, warnings: datasetWarnings(sequences, annotationRoot) };
}
