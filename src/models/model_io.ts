/**
 * Saving and loading an RVOS model: a folder with
 *   config.json          the RVOSModelConfig
 *   weights.json         {format, version, file, byteLength, specs}: TF.js weight specs by stable name
 *   weights-<hash>.bin   the float32 values of every variable (BatchNorm statistics included)
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
import { RVOSModel, validateModelConfig, type RVOSModelConfig } from './rvos_model.js';

const WEIGHTS_FORMAT = 'rvos-weights';
const WEIGHTS_VERSION = 1;

interface WeightsManifest {
  format: string;
  version: number;
  file: string;
  byteLength: number;
  specs: tf.io.WeightsManifestEntry[];
}

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
  const hash = crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  const file = `weights-${hash}.bin`;
  await writeFileAtomicAsync(path.join(dir, file), bytes);
  const manifest: WeightsManifest = { format: WEIGHTS_FORMAT, version: WEIGHTS_VERSION, file, byteLength: bytes.byteLength, specs };
  await writeFileAtomicAsync(path.join(dir, 'weights.json'), JSON.stringify(manifest));
  await writeFileAtomicAsync(path.join(dir, 'config.json'), `${JSON.stringify(model.config, null, 2)}\n`);
  for (const entry of await fs.promises.readdir(dir)) {
    if (/^weights-[0-9a-f]{16}\.bin$/.test(entry) && entry !== file) await fs.promises.rm(path.join(dir, entry), { force: true });
  }
}

export function readJson<T>(file: string): T {
  if (!fs.existsSync(file)) throw new DataError('missing: not a saved RVOS model folder (expected config.json, weights.json, weights-*.bin)', file);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new DataError(`not valid JSON (${(err as Error).message})`, file);
  }
}

/** Reads only the config of a saved model. */
export function readModelConfig(dir: string): RVOSModelConfig {
  const config = readJson<RVOSModelConfig>(path.join(dir, 'config.json'));
  validateModelConfig(config);
  return config;
}

export async function loadModel(dir: string): Promise<RVOSModel> {
  const config = readModelConfig(dir);
  const model = await RVOSModel.create(config, { skipInit: true });
  try {
    assignSavedWeights(dir, model.namedVariables());
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

/** Reads the saved weights in `dir` into `vars` (same names and shapes, or a DataError naming the file). */
export function assignSavedWeights(dir: string, vars: Map<string, tf.Variable>): void {
  const manifestPath = path.join(dir, 'weights.json');
  const manifest = readJson<WeightsManifest>(manifestPath);
  if (manifest.format !== WEIGHTS_FORMAT || manifest.version !== WEIGHTS_VERSION) {
    throw new DataError(`unsupported weights format ${manifest.format} v${manifest.version} (this version reads ${WEIGHTS_FORMAT} v${WEIGHTS_VERSION})`, manifestPath);
  }
  const binPath = path.join(dir, manifest.file);
  if (!fs.existsSync(binPath)) throw new DataError(`weights file '${manifest.file}' named in weights.json is missing`, binPath);
  const bytes = fs.readFileSync(binPath);
  if (bytes.byteLength !== manifest.byteLength) throw new DataError(`truncated: ${bytes.byteLength} bytes, weights.json says ${manifest.byteLength}`, binPath);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const decoded = tf.io.decodeWeights(buffer, manifest.specs);
  try {
    const missing = [...vars.keys()].filter((n) => decoded[n] === undefined);
    const extra = Object.keys(decoded).filter((n) => !vars.has(n));
    if (missing.length > 0 || extra.length > 0) {
      throw new DataError(`weights do not match config.json: missing ${missing.slice(0, 5).join(', ') || 'none'}; unexpected ${extra.slice(0, 5).join(', ') || 'none'}`, binPath);
    }
    for (const [name, v] of vars) {
      const t = decoded[name]!;
      if (!tf.util.arraysEqual(t.shape, v.shape)) throw new DataError(`weight '${name}' has shape [${t.shape}], the model needs [${v.shape}]`, binPath);
    }
    for (const [name, v] of vars) v.assign(decoded[name]!);
  } finally {
    tf.dispose(Object.values(decoded));
  }
}
