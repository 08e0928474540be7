/**
 * DAVIS-2016 reader: one binary foreground object per video (docs/real_video.md). Two layouts:
 *
 * - the official DAVIS-2016 download: JPEGImages/<res>/<seq>/00000.jpg, Annotations/<res>/<seq>/
 *   00000.png (8-bit masks, 0 background, 255 foreground), ImageSets/<res>/{train,val,trainval}.txt
 *   with one "/JPEGImages/480p/seq/00000.jpg /Annotations/480p/seq/00000.png" pair per line;
 * - the DAVIS-2017 layout (a DAVIS-2017 download, which lists the 2016 videos in
 *   ImageSets/2016/<split>.txt, or a copy of DAVIS-2016 converted to palette ids): the foreground
 *   is the union of the palette objects 1..254; void (255) counts as background, as the
 *   semi-supervised protocol counts it.
 *
 * The layout is found from ImageSets/: <res>/ means official, 2016/ means DAVIS-2017 layout. A
 * DAVIS-2017-layout folder with no 2016 lists (a generated synthetic dataset) is read through its
 * ImageSets/2017/<split>.txt: the foreground protocol on any multi-object folder, e.g. to choose a
 * zero-shot model's settings on synthetic validation videos by their DAVIS-2016 score. Either
 * way every sequence presents label maps with 0 = background and 1 = the object, so samplers,
 * models and evaluators see an ordinary one-object dataset.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DataError } from '../utils/errors.js';
import { listStems, readListText, readSplitFile } from './davis2017.js';
import { openFileSequence, type FileSequence, type ObjectScan, type ValidationLevel } from './file_sequence.js';
import { openSequences } from './open_sequences.js';
import type { LabelMap, OnDataError, RgbImage, VideoDataset, VideoSequence } from './types.js';
import { VOID_LABEL } from './types.js';

export const DAVIS2016_RESOLUTIONS = ['480p', '1080p'] as const;
export type Davis2016Resolution = (typeof DAVIS2016_RESOLUTIONS)[number];
/** 'official': the DAVIS-2016 download (0/255 masks); 'davis2017': palette ids, ImageSets/2016. */
export type Davis2016Layout = 'official' | 'davis2017';

/** The official masks' foreground value. */
export const DAVIS2016_FOREGROUND = 255;

export interface Davis2016Options {
  /** 'train', 'val' or 'trainval' (official) / a file in ImageSets/2016 (DAVIS-2017 layout; ImageSets/2017 when it has no 2016/). */
  split: string;
  resolution?: Davis2016Resolution;
  onError?: OnDataError;
  /** 'first' (default) decodes frame 0's mask to find the object; 'all' looks further when it is empty. */
  scan?: ObjectScan;
  /** 'headers' (default) checks every file's header and frame 0's mask values; 'decode' decodes every file. */
  validate?: ValidationLevel;
}

/** Which layout a DAVIS-2016 root has; a DataError says what was expected when neither. */
export function detectDavis2016Layout(root: string, resolution: Davis2016Resolution = '480p'): Davis2016Layout {
  if (!fs.existsSync(root)) {
    throw new DataError('DAVIS-2016 root folder does not exist; download DAVIS-2016 (davischallenge.org) or fix data.root / --root', root);
  }
  if (fs.existsSync(path.join(root, 'ImageSets', resolution))) return 'official';
  if (fs.existsSync(path.join(root, 'ImageSets', '2016')) || fs.existsSync(path.join(root, 'ImageSets', '2017'))) return 'davis2017';
  throw new DataError(
    `no ImageSets/${resolution}/ (official DAVIS-2016 layout) or ImageSets/2016/ or 2017/ (DAVIS-2017 layout) folder; ` +
      'point --root / data.root at the folder that holds ImageSets/, JPEGImages/ and Annotations/',
    root,
  );
}

/** One sequence of an official list: frame and annotation files in list order. */
export interface Davis2016ListedSequence {
  name: string;
  frames: string[];
  annotations: string[];
}

/**
 * Parses an official ImageSets/<res>/<split>.txt: "<image> <annotation>" paths relative to the
 * root (a leading '/' is the root), grouped by sequence folder in the order they first appear.
 */
export function readDavis2016List(file: string, root: string): Davis2016ListedSequence[] {
  const text = readListText(file, 'list file', 'check data.split / --split or the dataset root');
  const byName = new Map<string, Davis2016ListedSequence>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line.length === 0) return;
    const parts = line.split(/\s+/);
    const image = parts[0]!;
    const annotation = parts[1];
    if (parts.length !== 2 || !/\.jpe?g$/i.test(image) || !/\.png$/i.test(annotation!)) {
      throw new DataError(
        `line ${index + 1} is '${line}'; each line must be "<frame>.jpg <annotation>.png" (e.g. /JPEGImages/480p/bear/00000.jpg /Annotations/480p/bear/00000.png)`,
        file,
      );
    }
    const name = path.posix.basename(path.posix.dirname(image));
    const entry = byName.get(name) ?? { name, frames: [], annotations: [] };
    byName.set(name, entry);
    entry.frames.push(path.join(root, image.replace(/^\/+/, '')));
    entry.annotations.push(path.join(root, annotation!.replace(/^\/+/, '')));
  });
  if (byName.size === 0) throw new DataError('list file is empty; it must list one "<frame> <annotation>" pair per line', file);
  return [...byName.values()];
}

/**
 * A FileSequence whose annotations are turned into one binary object (id 1): official masks must
 * hold only 0 and 255; DAVIS-2017-layout palette ids 1..254 are unioned and void is background.
 */
class Davis2016Sequence implements VideoSequence {
  objectIds: number[] = [];
  firstFrameOf = new Map<number, number>();

  constructor(
    private readonly files: FileSequence,
    private readonly layout: Davis2016Layout,
  ) {}

  get name(): string {
    return this.files.name;
  }
  get frameNames(): string[] {
    return this.files.frameNames;
  }
  get width(): number {
    return this.files.width;
  }
  get height(): number {
    return this.files.height;
  }
  get annotated(): boolean[] {
    return this.files.annotated;
  }

  readFrame(i: number): Promise<RgbImage> {
    return this.files.readFrame(i);
  }

  readFrameResized(i: number, height: number, width: number): Promise<RgbImage> {
    return this.files.readFrameResized(i, height, width);
  }

  async readAnnotation(i: number): Promise<LabelMap | null> {
    const map = await this.files.readAnnotation(i);
    if (map === null) return null;
    return this.layout === 'official' ? binaryFromOfficial(map, this.files.annotationFiles[i]!) : binaryFromPalette(map);
  }
}

/** 0/255 mask → 0/1; any other value is a DataError naming the file and the first bad pixel. */
export function binaryFromOfficial(map: LabelMap, file: string): LabelMap {
  const out = new Uint8Array(map.data.length);
  for (let p = 0; p < map.data.length; p++) {
    const v = map.data[p]!;
    if (v === DAVIS2016_FOREGROUND) out[p] = 1;
    else if (v !== 0) {
      throw new DataError(
        `mask value ${v} at pixel (${p % map.width}, ${Math.floor(p / map.width)}); DAVIS-2016 masks hold only 0 (background) and 255 (object): ` +
          're-export it as a 0/255 mask, or use the DAVIS-2017 layout (palette ids, ImageSets/2016/)',
        file,
      );
    }
  }
  return { width: map.width, height: map.height, data: out };
}

/** Palette ids → the union of objects 1..254 as id 1 (void 255 and background 0 → 0). */
export function binaryFromPalette(map: LabelMap): LabelMap {
  const out = new Uint8Array(map.data.length);
  for (let p = 0; p < map.data.length; p++) {
    const v = map.data[p]!;
    out[p] = v !== 0 && v !== VOID_LABEL ? 1 : 0;
  }
  return { width: map.width, height: map.height, data: out };
}

/** Frame and annotation files of one sequence: from the official list or the DAVIS-2017 folders. */
interface SequenceFiles {
  frameNames: string[];
  frameFiles: string[];
  annotationFiles: (string | null)[];
  annotationPathFor: (i: number) => string;
}

function officialFiles(entry: Davis2016ListedSequence, listFile: string): SequenceFiles {
  for (const [i, file] of entry.frames.entries()) {
    if (!fs.existsSync(file)) throw new DataError(`frame of sequence ${entry.name} listed in ${listFile} is missing; check the download`, file);
    const ann = entry.annotations[i]!;
    if (!fs.existsSync(ann)) throw new DataError(`annotation of sequence ${entry.name} listed in ${listFile} is missing; check the download`, ann);
  }
  const order = entry.frames.map((f, i) => ({ stem: path.basename(f).replace(/\.[^.]+$/, ''), i }));
  order.sort((a, b) => a.stem.localeCompare(b.stem, 'en', { numeric: true }));
  const frameNames = order.map((o) => o.stem);
  const duplicate = frameNames.find((n, k) => k > 0 && n === frameNames[k - 1]);
  if (duplicate !== undefined) throw new DataError(`sequence ${entry.name} lists frame ${duplicate} twice`, listFile);
  const annotationFiles = order.map((o) => entry.annotations[o.i]!);
  return { frameNames, frameFiles: order.map((o) => entry.frames[o.i]!), annotationFiles, annotationPathFor: (i) => annotationFiles[i]! };
}

function davis2017LayoutFiles(root: string, resolution: string, name: string, splitFile: string): SequenceFiles {
  const framesDir = path.join(root, 'JPEGImages', resolution, name);
  const frames = listStems(framesDir, /\.jpe?g$/i);
  if (frames === null) throw new DataError(`sequence ${name} is listed in ${splitFile} but its frame folder is missing`, framesDir);
  if (frames.size === 0) throw new DataError(`sequence ${name} has no .jpg frames`, framesDir);
  const annDir = path.join(root, 'Annotations', resolution, name);
  const annotations = listStems(annDir, /\.png$/i) ?? new Map<string, string>();
  const frameNames = [...frames.keys()];
  return {
    frameNames,
    frameFiles: [...frames.values()],
    annotationFiles: frameNames.map((f) => annotations.get(f) ?? null),
    annotationPathFor: (i) => path.join(annDir, `${frameNames[i]}.png`),
  };
}

export async function openDavis2016(root: string, opts: Davis2016Options): Promise<VideoDataset> {
  const resolution = opts.resolution ?? '480p';
  const layout = detectDavis2016Layout(root, resolution);
  const validate = opts.validate ?? 'headers';
  let names: string[];
  let filesOf: (name: string) => SequenceFiles;
  if (layout === 'official') {
    const listFile = path.join(root, 'ImageSets', resolution, `${opts.split}.txt`);
    const listed = new Map(readDavis2016List(listFile, root).map((e) => [e.name, e]));
    names = [...listed.keys()];
    filesOf = (name) => officialFiles(listed.get(name)!, listFile);
  } else {
    // The 2016 lists where the folder has them (a DAVIS-2017 download); else its own 2017 lists.
    const year = fs.existsSync(path.join(root, 'ImageSets', '2016')) ? '2016' : '2017';
    const splitFile = path.join(root, 'ImageSets', year, `${opts.split}.txt`);
    names = readSplitFile(splitFile);
    filesOf = (name) => davis2017LayoutFiles(root, resolution, name, splitFile);
  }

  const { sequences, skipped } = await openSequences(names, opts.onError ?? 'raise', async (name) => {
    const files = filesOf(name);
    const fileSequence = await openFileSequence({
      name,
      ...files,
      // DAVIS-2016 annotates every frame of train and val.
      required: { frames: files.frameNames.map((_, i) => i), why: 'DAVIS-2016 annotates every frame' },
      // The object is found below through the binary view (the generic scan would read 255 as void).
      objects: { firstFrameOf: new Map() },
      scan: 'first',
      validate: 'headers',
      grayscale: 'masks',
    });
    const sequence = new Davis2016Sequence(fileSequence, layout);
    const frames = sequence.frameNames.length;
    if (validate === 'decode') for (let i = 0; i < frames; i++) await sequence.readFrame(i);
    // Frame 0's mask is always decoded, so bad mask values fail when the dataset is opened.
    for (let i = 0; i < frames; i++) {
      const found = sequence.firstFrameOf.has(1);
      if (i > 0 && validate !== 'decode' && (found || opts.scan !== 'all')) break;
      const mask = (await sequence.readAnnotation(i))!;
      if (!found && mask.data.includes(1)) sequence.firstFrameOf.set(1, i);
    }
    sequence.objectIds = sequence.firstFrameOf.has(1) ? [1] : [];
    return sequence;
  });
  return { name: 'davis2016', root, split: opts.split, sequences, skipped };
}
