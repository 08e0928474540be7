/**
 * Saving and loading an RVOS model folder on disk (the format: model_format.ts).
 * Each file is written atomically; the weights file name carries a content hash and weights.json is
 * written after it, so a reader never sees a manifest pointing at a half-written file. Stale
 * weights files are removed after a successful save.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { DataError } from '../utils/errors.js';
import { writeFileAtomicAsync } from '../utils/fs.js';
import {
  assignWeights,
  MODEL_FOLDER_FILES,
  modelFromWeights,
  parseModelConfig,
  parseWeightsManifest,
  WEIGHTS_FORMAT,
  WEIGHTS_VERSION,
  type WeightsManifest,
} from './model_format.js';
import type { RVOSModel, RVOSModelConfig } from './rvos_model.js';

/** What save needs of a model (RVOS or another family, src/models/baselines/). */
export interface SavableModel {
  namedVariables(): Map<string, tf.Variable>;
  readonly config: object;
}

export async function saveModel(model: SavableModel, dir: string): Promise<void> {
  const named: tf.NamedTensorMap = {};
  for (const [name, v] of model.namedVariables()) named[name] = v;
  const { data, specs } = await tf.io.encodeWeights(named);
  const bytes = new Uint8Array(data);
  const file = `weights-${contentHash(bytes)}.bin`;
  await writeFileAtomicAsync(path.join(dir, file), bytes);
  const manifest: WeightsManifest = { format: WEIGHTS_FORMAT, version: WEIGHTS_VERSION, file, byteLength: bytes.byteLength, specs };
  await writeFileAtomicAsync(path.join(dir, 'weights.json'), JSON.stringify(manifest));
  await writeFileAtomicAsync(path.join(dir, 'config.json'), `${JSON.stringify(model.config, null, 2)}\n`);
  for (const entry of await fs.promises.readdir(dir)) {
    if (HASHED_NAME.test(entry) && entry !== file) await fs.promises.rm(path.join(dir, entry), { force: true });
  }
}

function readText(file: string): string {
  if (!fs.existsSync(file)) throw new DataError(`missing: not a saved RVOS model folder (expected ${MODEL_FOLDER_FILES})`, file);
  return fs.readFileSync(file, 'utf8');
}

/** config.json of a saved model folder of any family, as plain JSON. */
export function readConfigJson<T>(dir: string): T {
  const file = path.join(dir, 'config.json');
  try {
    return JSON.parse(readText(file)) as T;
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw new DataError(`not valid JSON (${(err as Error).message})`, file);
  }
}

/** Reads only the config of a saved model. */
export function readModelConfig(dir: string): RVOSModelConfig {
  const file = path.join(dir, 'config.json');
  return parseModelConfig(readText(file), file);
}

export async function loadModel(dir: string): Promise<RVOSModel> {
  const config = readModelConfig(dir);
  const { manifest, bytes, binPath } = readWeights(dir);
  return modelFromWeights(config, manifest, bytes, binPath);
}

/** Reads the saved weights in `dir` into `vars` (a model of any family built with skipInit). */
export function assignSavedWeights(dir: string, vars: Map<string, tf.Variable>): void {
  const { manifest, bytes, binPath } = readWeights(dir);
  assignWeights(vars, manifest, bytes, binPath);
}

/**
 * The manifest and the weights file it names. A file of the right size whose name carries a
 * content hash (saveModel's `weights-<sha256 prefix>.bin`) must match it: damaged weights are
 * refused rather than loaded.
 */
function readWeights(dir: string): { manifest: WeightsManifest; bytes: ArrayBuffer; binPath: string } {
  const manifestPath = path.join(dir, 'weights.json');
  const manifest = parseWeightsManifest(readText(manifestPath), manifestPath);
  const binPath = path.join(dir, manifest.file);
  if (!fs.existsSync(binPath)) throw new DataError(`weights file '${manifest.file}' named in weights.json is missing`, binPath);
  const buf = fs.readFileSync(binPath);
  const hash = HASHED_NAME.exec(manifest.file)?.[1];
  // A wrong size is reported as truncated (or too long) by assignWeights, with the sizes.
  if (hash !== undefined && buf.byteLength === manifest.byteLength && contentHash(buf) !== hash) {
    throw new DataError(
      `weights file is damaged: its content does not match the hash in its name (SHA-256 ${contentHash(buf)}…); copy the model folder again, or retrain the run`,
      binPath,
    );
  }
  return { manifest, bytes: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), binPath };
}

/** saveModel's weights file name: `weights-<first 16 hex digits of the SHA-256 of its bytes>.bin`. */
const HASHED_NAME = /^weights-([0-9a-f]{16})\.bin$/;

function contentHash(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}
