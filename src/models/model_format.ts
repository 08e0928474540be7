/**
 * The saved-model folder format, without file access: parsing and checking config.json and
 * weights.json, and building a model from the weights bytes. model_io.ts reads the folder from
 * disk (Node); the browser demo fetches the same three files over HTTP (web/src/load_model.ts).
 *
 *   config.json          the RVOSModelConfig
 *   weights.json         {format, version, file, byteLength, specs}: TF.js weight specs by stable name
 *   weights-<hash>.bin   the float32 values of every variable (BatchNorm statistics included)
 */
import * as tf from '@tensorflow/tfjs-core';
import { DataError } from '../utils/errors.js';
import { RVOSModel, validateModelConfig, type RVOSModelConfig } from './rvos_model.js';

export const WEIGHTS_FORMAT = 'rvos-weights';
export const WEIGHTS_VERSION = 1;
/** The three file names, for messages. */
export const MODEL_FOLDER_FILES = 'config.json, weights.json, weights-*.bin';

export interface WeightsManifest {
  format: string;
  version: number;
  file: string;
  byteLength: number;
  specs: tf.io.WeightsManifestEntry[];
}

function parseJson<T>(text: string, where: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new DataError(`not valid JSON (${(err as Error).message})`, where);
  }
}

/** config.json's text → a validated model config. */
export function parseModelConfig(text: string, where: string): RVOSModelConfig {
  const config = parseJson<RVOSModelConfig>(text, where);
  validateModelConfig(config);
  return config;
}

/** weights.json's text → its manifest, refusing formats this version cannot read. */
export function parseWeightsManifest(text: string, where: string): WeightsManifest {
  const manifest = parseJson<Partial<WeightsManifest>>(text, where);
  if (manifest.format !== WEIGHTS_FORMAT || manifest.version !== WEIGHTS_VERSION) {
    throw new DataError(`unsupported weights format ${manifest.format} v${manifest.version} (this version reads ${WEIGHTS_FORMAT} v${WEIGHTS_VERSION})`, where);
  }
  if (typeof manifest.file !== 'string' || !/^[\w.-]+\.bin$/.test(manifest.file) || !Array.isArray(manifest.specs) || typeof manifest.byteLength !== 'number') {
    throw new DataError('weights.json lacks file/byteLength/specs; re-save the model with this version', where);
  }
  return manifest as WeightsManifest;
}

/** Builds the model of `config` with the weights in `bytes` (the file weights.json names). */
export async function modelFromWeights(config: RVOSModelConfig, manifest: WeightsManifest, bytes: ArrayBuffer, where: string): Promise<RVOSModel> {
  let model = await RVOSModel.create(config, { skipInit: true });
  if (config.recurrence === 'T' && !sameShape(model, manifest, 'decoder/level0/kernel')) {
    // Saved before T kept the slot-to-slot state on frame 0: those models ran (and were trained
    // as) T_no_spatial, whose gate kernels have no spatial rows.
    model.dispose();
    model = await RVOSModel.create({ ...config, recurrence: 'T_no_spatial' }, { skipInit: true });
  }
  try {
    assignWeights(model.namedVariables(), manifest, bytes, where);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

/** Assigns the weights in `bytes` to `vars` (any model family): same names and shapes, or a DataError naming `where`. */
export function assignWeights(vars: Map<string, tf.Variable>, manifest: WeightsManifest, bytes: ArrayBuffer, where: string): void {
  if (bytes.byteLength !== manifest.byteLength) throw new DataError(`truncated: ${bytes.byteLength} bytes, weights.json says ${manifest.byteLength}`, where);
  const decoded = tf.io.decodeWeights(bytes, manifest.specs);
  try {
    const missing = [...vars.keys()].filter((n) => decoded[n] === undefined);
    const extra = Object.keys(decoded).filter((n) => !vars.has(n));
    if (missing.length > 0 || extra.length > 0) {
      throw new DataError(
        `weights do not match config.json: missing ${missing.slice(0, 5).join(', ') || 'none'}; unexpected ${extra.slice(0, 5).join(', ') || 'none'}`,
        where,
      );
    }
    for (const [name, v] of vars) {
      const t = decoded[name]!;
      if (!tf.util.arraysEqual(t.shape, v.shape)) throw new DataError(`weight '${name}' has shape [${t.shape}], the model needs [${v.shape}]`, where);
    }
    for (const [name, v] of vars) v.assign(decoded[name]!);
  } finally {
    tf.dispose(Object.values(decoded));
  }
}

function sameShape(model: RVOSModel, manifest: WeightsManifest, name: string): boolean {
  const spec = manifest.specs.find((s) => s.name === name);
  const v = model.namedVariables().get(name);
  return spec === undefined || v === undefined || JSON.stringify(spec.shape) === JSON.stringify(v.shape);
}
