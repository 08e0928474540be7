/**
 * A VideoSequence backed by image files: the one implementation behind the DAVIS-2017,
 * YouTube-VOS and frame-folder readers. `openFileSequence` checks the files up front (headers of
 * every frame and annotation, optionally full decodes) so bad input fails when the dataset is
 * opened, with the file named, rather than in the middle of training.
 */
import fs from 'node:fs';
import { DataError } from '../utils/errors.js';
import { checkLabelPngHeader, readJpegSize, readPngHeader } from './image_headers.js';
import { readRgbImage, readRgbImageResized } from './image_io.js';
import { decodeLabelPng, grayscaleAnnotationWarning, isGrayscalePng, refuseBinaryMask } from './palette_png.js';
import type { LabelMap, RgbImage, VideoSequence } from './types.js';
import { VOID_LABEL } from './types.js';

/** How thoroughly a reader checks files when it opens a dataset. */
export type ValidationLevel = 'headers' | 'decode';
/** Which annotations a reader decodes to find object ids and their first frames. */
export type ObjectScan = 'first' | 'all';

export interface FileSequenceSpec {
  name: string;
  frameNames: string[];
  frameFiles: string[];
  /** Annotation file per frame, null where the frame has none. */
  annotationFiles: (string | null)[];
  /** Frames that must have an annotation (a missing one is an error); the reason names the rule. */
  required: { frames: number[]; why: string };
  /** Where frame i's annotation would be (names the file in "missing annotation" errors). */
  annotationPathFor: (i: number) => string;
  /** Known objects (YouTube-VOS meta.json); when absent they are found by decoding annotations. */
  objects?: { firstFrameOf: Map<number, number>; categories?: Map<number, string> };
  scan: ObjectScan;
  validate: ValidationLevel;
  /**
   * What grey values in a grayscale annotation are: 'ids' (default; the reader warns, and a 0/255
   * mask is refused) or 'masks' (DAVIS-2016's 0/255 masks, which its reader converts).
   */
  grayscale?: 'ids' | 'masks';
}

export class FileSequence implements VideoSequence {
  readonly annotated: boolean[];

  constructor(
    readonly name: string,
    readonly frameNames: string[],
    readonly frameFiles: string[],
    readonly annotationFiles: (string | null)[],
    readonly width: number,
    readonly height: number,
    readonly objectIds: number[],
    readonly firstFrameOf: Map<number, number>,
    readonly objectCategories?: Map<number, string>,
    /** Annotation files that store grey values, not palette indices (read as ids; the reader warns). */
    readonly grayscaleAnnotations: string[] = [],
    private readonly grayscaleAs: 'ids' | 'masks' = 'ids',
  ) {
    this.annotated = annotationFiles.map((f) => f !== null);
  }

  private frameFile(i: number): string {
    const file = this.frameFiles[i];
    if (file === undefined) throw new RangeError(`${this.name}: frame ${i} out of range 0..${this.frameFiles.length - 1}`);
    return file;
  }

  async readFrame(i: number): Promise<RgbImage> {
    const file = this.frameFile(i);
    const image = await readRgbImage(file);
    if (image.width !== this.width || image.height !== this.height) {
      throw new DataError(
        `frame is ${image.width}x${image.height} but frame 0 of ${this.name} is ${this.width}x${this.height}`,
        file,
      );
    }
    return image;
  }

  readFrameResized(i: number, height: number, width: number): Promise<RgbImage> {
    return readRgbImageResized(this.frameFile(i), height, width);
  }

  async readAnnotation(i: number): Promise<LabelMap | null> {
    this.frameFile(i);
    const file = this.annotationFiles[i] ?? null;
    if (file === null) return null;
    let bytes: Uint8Array;
    try {
      bytes = await fs.promises.readFile(file);
    } catch {
      throw new DataError('annotation file is missing or unreadable', file);
    }
    const map = decodeLabelPng(bytes, file);
    if (this.grayscaleAs === 'ids' && isGrayscalePng(bytes)) refuseBinaryMask(map, file);
    if (map.width !== this.width || map.height !== this.height) {
      throw new DataError(
        `annotation is ${map.width}x${map.height} but its frame is ${this.width}x${this.height}; ` +
          `annotations must have the size of their frames`,
        file,
      );
    }
    return map;
  }
}

/** Object ids (1..254) present in a label map, ascending. */
export function labelIds(map: LabelMap): number[] {
  const seen = new Uint8Array(256);
  for (let p = 0; p < map.data.length; p++) seen[map.data[p]!] = 1;
  const ids: number[] = [];
  for (let id = 1; id < VOID_LABEL; id++) if (seen[id] === 1) ids.push(id);
  return ids;
}

/** Checks a sequence's files, finds its objects and returns the sequence; throws DataError. */
export async function openFileSequence(spec: FileSequenceSpec): Promise<FileSequence> {
  const { name, frameFiles, annotationFiles } = spec;
  if (frameFiles.length === 0) throw new DataError(`sequence ${name} has no frames`);
  for (const i of spec.required.frames) {
    if ((annotationFiles[i] ?? null) === null) {
      throw new DataError(
        `missing annotation for frame ${spec.frameNames[i]} of ${name} (${spec.required.why}); ` +
          `add the palette PNG or remove the sequence from the split`,
        spec.annotationPathFor(i),
      );
    }
  }
  const { width, height } = frameSize(frameFiles[0]!);
  for (let i = 1; i < frameFiles.length; i++) {
    const size = frameSize(frameFiles[i]!);
    if (size.width !== width || size.height !== height) {
      throw new DataError(`frame is ${size.width}x${size.height} but frame 0 of ${name} is ${width}x${height}`, frameFiles[i]);
    }
  }
  const grayscale: string[] = [];
  for (const file of annotationFiles) {
    if (file !== null && checkLabelPngHeader(file, { width, height }).colorType === 0) grayscale.push(file);
  }

  const categories = spec.objects?.categories;
  const grayscaleAs = spec.grayscale ?? 'ids';
  const probe = new FileSequence(name, spec.frameNames, frameFiles, annotationFiles, width, height, [], new Map(), categories, grayscale, grayscaleAs);
  const annotatedFrames = annotationFiles.flatMap((f, i) => (f === null ? [] : [i]));
  if (spec.validate === 'decode') {
    for (let i = 0; i < frameFiles.length; i++) await probe.readFrame(i);
    for (const i of annotatedFrames) await probe.readAnnotation(i);
  }
  let firstFrameOf = spec.objects?.firstFrameOf;
  if (firstFrameOf === undefined) {
    firstFrameOf = new Map<number, number>();
    for (const i of spec.scan === 'all' ? annotatedFrames : annotatedFrames.slice(0, 1)) {
      for (const id of labelIds((await probe.readAnnotation(i))!)) if (!firstFrameOf.has(id)) firstFrameOf.set(id, i);
    }
  }
  const objectIds = [...firstFrameOf.keys()].sort((a, b) => a - b);
  return new FileSequence(name, spec.frameNames, frameFiles, annotationFiles, width, height, objectIds, firstFrameOf, categories, grayscale, grayscaleAs);
}

/** The dataset-level warnings about its sequences' files (grayscale annotations), one line each. */
export function datasetWarnings(sequences: VideoSequence[], where: string): string[] {
  const grayscale = sequences.flatMap((s) => (s instanceof FileSequence ? s.grayscaleAnnotations : []));
  const line = grayscaleAnnotationWarning(grayscale, where);
  return line === undefined ? [] : [line];
}

/** Frame size from the header: JPEG frames (datasets) or PNG frames (frame folders, any colour type). */
function frameSize(file: string): { width: number; height: number } {
  return /\.png$/i.test(file) ? readPngHeader(file) : readJpegSize(file);
}
