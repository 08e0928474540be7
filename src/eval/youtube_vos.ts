/**
 * YouTube-VOS evaluation (docs/metrics.md): J and F per object, averaged over the
 * objects of seen and of unseen categories separately; Overall = mean of J-Seen, F-Seen,
 * J-Unseen, F-Unseen. An object is scored on the annotated frames from its first annotated frame
 * on (inclusive), since objects can appear mid-video. No void label.
 * Layout: <root>/<split>/Annotations/<video>/<frame>.png, <root>/<split>/meta.json;
 * results: <results>/<video>/<frame>.png with the same object ids.
 */
import fs from 'node:fs';
import path from 'node:path';
import { grayscaleAnnotationWarning, type LabelMap, readLabelPng } from '../data/palette_png.js';
import { DataError, EvalError } from '../utils/errors.js';
import { writeFileAtomic } from '../utils/fs.js';
import { boundaryRadius, DAVIS_BOUNDARY_THRESHOLD } from './boundary.js';
import { grayAsIds, listAnnotationFrames, readPrediction } from './davis.js';
import { scoreFramePairs } from './frame_scores.js';
import { formatFixed3 } from './report.js';
import { type ObjectStatistics, statistics } from './statistics.js';

export interface YouTubeVOSObject {
  id: number;
  category: string;
  /** Index (into the video's annotated frames) of the object's first annotated frame. */
  firstFrame: number;
}

export interface YouTubeVOSObjectResult {
  video: string;
  objectId: number;
  category: string;
  seen: boolean;
  frames: string[];
  J: ObjectStatistics;
  F: ObjectStatistics;
  jFrames: number[];
  fFrames: number[];
}

export const YOUTUBE_VOS_MEASURES = ['Overall', 'J-Seen', 'F-Seen', 'J-Unseen', 'F-Unseen'] as const;
export type YouTubeVOSGlobal = Record<(typeof YOUTUBE_VOS_MEASURES)[number], number>;

export interface YouTubeVOSEvaluation {
  global: YouTubeVOSGlobal;
  objects: YouTubeVOSObjectResult[];
}

/**
 * Scores the objects of one video held in memory. gt[t] and pred[t] are the annotated frames
 * (frameNames[t]); object o is scored on frames o.firstFrame.. . Predicted ids above the largest
 * object id are an error.
 */
export function evaluateVideoYouTubeVOS(
  gt: LabelMap[],
  pred: LabelMap[],
  objects: YouTubeVOSObject[],
  options: { video?: string; frameNames?: string[]; predictionNames?: string[]; seenCategories?: ReadonlySet<string>; boundTh?: number } = {},
): YouTubeVOSObjectResult[] {
  const video = options.video ?? 'video';
  if (gt.length === 0 || pred.length !== gt.length) {
    throw new EvalError(`video '${video}': ${pred.length} predicted frames for ${gt.length} annotated frames`);
  }
  const { width, height } = gt[0]!;
  const radius = boundaryRadius(width, height, options.boundTh ?? DAVIS_BOUNDARY_THRESHOLD);
  const maxId = objects.reduce((m, o) => Math.max(m, o.id), 0);
  const start = objects.reduce((m, o) => Math.min(m, o.firstFrame), gt.length);
  const perObject = objects.map(() => ({ j: [] as number[], f: [] as number[], frames: [] as string[] }));
  for (let t = start; t < gt.length; t++) {
    const p = pred[t]!;
    const name = options.predictionNames?.[t] ?? `${video} prediction frame ${t}`;
    if (p.width !== width || p.height !== height || gt[t]!.width !== width || gt[t]!.height !== height) {
      throw new EvalError(`${name}: prediction is ${p.width}x${p.height} but the ground truth is ${gt[t]!.width}x${gt[t]!.height}`);
    }
    let top = 0;
    for (const v of p.data) if (v > top) top = v;
    if (top > maxId) throw new EvalError(`${name}: predicted id ${top} but video '${video}' has no object above id ${maxId}`);
    const scores = scoreFramePairs({ width, height, gt: gt[t]!.data, pred: p.data, numGt: maxId, numPred: maxId, radius, diagonalOnly: true });
    objects.forEach((o, i) => {
      if (t < o.firstFrame) return;
      const at = (o.id - 1) * maxId + (o.id - 1);
      perObject[i]!.j.push(scores.j[at]!);
      perObject[i]!.f.push(scores.f[at]!);
      perObject[i]!.frames.push(options.frameNames?.[t] ?? String(t));
    });
  }
  return objects.map((o, i) => ({
    video,
    objectId: o.id,
    category: o.category,
    seen: options.seenCategories?.has(o.category) ?? true,
    frames: perObject[i]!.frames,
    J: statistics(perObject[i]!.j),
    F: statistics(perObject[i]!.f),
    jFrames: perObject[i]!.j,
    fFrames: perObject[i]!.f,
  }));
}

/** Means per group; Overall averages the groups that have objects (all four when both exist). */
export function youTubeVOSGlobal(objects: YouTubeVOSObjectResult[]): YouTubeVOSGlobal {
  const mean = (v: number[]) => (v.length === 0 ? Number.NaN : v.reduce((a, b) => a + b, 0) / v.length);
  const seen = objects.filter((o) => o.seen),
    unseen = objects.filter((o) => !o.seen);
  const parts = {
    'J-Seen': mean(seen.map((o) => o.J.mean)),
    'F-Seen': mean(seen.map((o) => o.F.mean)),
    'J-Unseen': mean(unseen.map((o) => o.J.mean)),
    'F-Unseen': mean(unseen.map((o) => o.F.mean)),
  };
  const present = Object.values(parts).filter((v) => !Number.isNaN(v));
  return { Overall: mean(present), ...parts };
}

interface MetaJson {
  videos: Record<string, { objects: Record<string, { category: string; frames?: string[] }> }>;
}

export interface YouTubeVOSEvalOptions {
  /** Dataset root holding <split>/Annotations and <split>/meta.json. */
  root: string;
  /** 'train' or 'valid'; default 'valid' (its public annotations only hold first frames). */
  split?: string;
  results: string;
  /** Categories seen in training; every other category counts as unseen. */
  seenCategories: Iterable<string>;
  videos?: string[];
  boundTh?: number;
  /** Grayscale label PNGs (read as ids) are reported here, one line each for annotations and results. Default: stderr. */
  warn?: (line: string) => void;
}

function readMeta(file: string): MetaJson {
  let meta: MetaJson;
  try {
    meta = JSON.parse(fs.readFileSync(file, 'utf8')) as MetaJson;
  } catch (err) {
    throw new DataError(`meta.json is missing or not JSON (${(err as Error).message})`, file);
  }
  if (typeof meta !== 'object' || meta === null || typeof meta.videos !== 'object') throw new DataError('meta.json has no "videos" object', file);
  return meta;
}

export async function evaluateYouTubeVOS(options: YouTubeVOSEvalOptions): Promise<YouTubeVOSEvaluation> {
  const split = options.split ?? 'valid';
  const metaFile = path.join(options.root, split, 'meta.json');
  const meta = readMeta(metaFile);
  if (!fs.existsSync(options.results)) throw new EvalError(`${options.results}: result folder does not exist`);
  const seen = new Set(options.seenCategories);
  const videos = options.videos ?? Object.keys(meta.videos).sort();
  if (videos.length === 0)
    throw new DataError(
      options.videos === undefined ? 'meta.json lists no video; there is nothing to evaluate' : 'no video to evaluate: --sequences names none',
      metaFile,
    );
  const results: YouTubeVOSObjectResult[] = [];
  const grayGt: string[] = [];
  const grayResults: string[] = [];
  for (const video of videos) {
    const entry = meta.videos[video];
    if (entry === undefined) throw new DataError(`video '${video}' is not in meta.json`, metaFile);
    const folder = path.join(options.root, split, 'Annotations', video);
    const frames = listAnnotationFrames(folder);
    const gt = frames.map((f) => readLabelPng(path.join(folder, `${f}.png`), grayAsIds(grayGt)));
    if (typeof entry !== 'object' || entry === null || typeof entry.objects !== 'object' || entry.objects === null) {
      throw new DataError(`video '${video}' has no "objects" object in meta.json`, metaFile);
    }
    const objects: YouTubeVOSObject[] = Object.entries(entry.objects).map(([id, o]) => {
      // Check what meta.json says before looking for the object in the annotations, so an error names the real cause.
      const n = Number(id);
      if (!Number.isInteger(n) || n < 1 || n > 254)
        throw new DataError(`video '${video}': object id "${id}" must be an integer in 1..254 (the palette index in its annotations)`, metaFile);
      if (o.frames !== undefined && (!Array.isArray(o.frames) || o.frames.length === 0)) {
        throw new DataError(`video '${video}' object ${id}: "frames" must be a non-empty list of frame names (or be left out)`, metaFile);
      }
      const firstName = o.frames !== undefined && o.frames.length > 0 ? [...o.frames].sort()[0]! : undefined;
      const fromMeta = firstName === undefined ? -1 : frames.indexOf(firstName);
      const firstFrame = fromMeta >= 0 ? fromMeta : gt.findIndex((m) => m.data.includes(Number(id)));
      if (firstFrame < 0) throw new DataError(`object ${id} of video '${video}' appears in no annotated frame`, metaFile);
      return { id: Number(id), category: o.category, firstFrame };
    });
    const start = objects.reduce((m, o) => Math.min(m, o.firstFrame), frames.length);
    const predictionNames = frames.map((f) => path.join(options.results, video, `${f}.png`));
    const pred = frames.map((_, t) => (t >= start ? readPrediction(predictionNames[t]!, grayAsIds(grayResults)) : gt[t]!));
    results.push(...evaluateVideoYouTubeVOS(gt, pred, objects, { video, frameNames: frames, predictionNames, seenCategories: seen, boundTh: options.boundTh }));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const warn = options.warn ?? ((line: string) => process.stderr.write(`[rvos] warning: ${line}\n`));
  for (const line of [
    grayscaleAnnotationWarning(grayGt, path.join(options.root, split, 'Annotations')),
    grayscaleAnnotationWarning(grayResults, options.results),
  ]) {
    if (line !== undefined) warn(line);
  }
  return { global: youTubeVOSGlobal(results), objects: results };
}

/** Writes global_results-youtube_vos.csv, per-object_results-youtube_vos.csv and a JSON; returns the paths. */
export function writeYouTubeVOSEvaluation(outDir: string, evaluation: YouTubeVOSEvaluation): string[] {
  const files = ['global_results-youtube_vos.csv', 'per-object_results-youtube_vos.csv', 'results-youtube_vos.json'].map((f) => path.join(outDir, f));
  writeFileAtomic(files[0]!, `${YOUTUBE_VOS_MEASURES.join(',')}\n${YOUTUBE_VOS_MEASURES.map((m) => formatFixed3(evaluation.global[m])).join(',')}\n`);
  const rows = evaluation.objects.map((o) =>
    [o.video, o.objectId, o.category, o.seen ? 'seen' : 'unseen', formatFixed3(o.J.mean), formatFixed3(o.F.mean)].join(','),
  );
  writeFileAtomic(files[1]!, ['Video,Object,Category,Split,J-Mean,F-Mean', ...rows].join('\n') + '\n');
  writeFileAtomic(files[2]!, JSON.stringify(evaluation, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1) + '\n');
  return files;
}
