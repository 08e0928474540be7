/**
 * Pretrained backbone weights from a TF.js layers model, matched by layer name.
 *
 * Sources: a directory with model.json + weight shards (read with fs: TF.js has no file:// loader
 * without tfjs-node), or the MobileNetV2 shipped inside the nsfwjs package (ImageNet weights up to
 * block_11; docs/rvos.md), which works offline.
 *
 * Matching: every encoder variable 'encoder/<layer>/<weight>' takes the file's '<layer>/<weight>'.
 * A missing weight or a shape mismatch is an error naming the weight; file weights with no
 * counterpart (classifier heads, deeper layers) are ignored and reported. A conv bias the encoder
 * lacks (Keras ResNets have conv biases, torchvision's do not) is folded into the BatchNorm that
 * follows: BN(x + b) with moving mean m equals BN(x) with moving mean m − b.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, DataError } from '../utils/errors.js';
import { ENCODER_PREFIX, type Encoder } from './encoders/encoder.js';
import type { ParamStore } from './params.js';

/** The parts of a TF.js layers model that weight loading needs. */
export interface LayersModelArtifacts {
  modelTopology?: unknown;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
}

export interface PretrainedReport {
  source: string;
  /** Encoder weights assigned (stable names). */
  loaded: string[];
  /** File weights that matched nothing. */
  ignored: string[];
  /** Conv biases folded into a BatchNorm moving mean. */
  folded: string[];
}

/** Name of the built-in offline source. */
export const NSFWJS_SOURCE = 'nsfwjs';

/** Reads `<dir>/model.json` and its weight shards. */
export function readLayersModelDir(dir: string): LayersModelArtifacts {
  const jsonPath = path.join(dir, 'model.json');
  if (!fs.existsSync(jsonPath)) {
    throw new DataError(`no model.json: encoder.pretrained must be a TF.js layers model folder (model.json + weight shards) or '${NSFWJS_SOURCE}'`, dir);
  }
  let json: { modelTopology?: unknown; weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  try {
    json = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  } catch (err) {
    throw new DataError(`not valid JSON (${(err as Error).message})`, jsonPath);
  }
  if (!Array.isArray(json.weightsManifest)) throw new DataError('no weightsManifest: not a TF.js layers model with weights', jsonPath);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const shard of group.paths) {
      const file = path.join(dir, shard);
      if (!fs.existsSync(file)) throw new DataError(`weight shard '${shard}' listed in model.json is missing`, file);
      chunks.push(fs.readFileSync(file));
    }
  }
  return { modelTopology: json.modelTopology, weightSpecs: specs, weightData: concatBytes(chunks) };
}

function concatBytes(chunks: Uint8Array[]): ArrayBuffer {
  const total = chunks.reduce((a, c) => a + c.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out.buffer;
}

/** The MobileNetV2 layers model bundled (base64) inside nsfwjs@4.4.0. */
export async function nsfwjsMobileNetV2(): Promise<LayersModelArtifacts> {
  // Variable specifiers keep TypeScript from requiring the package at compile time.
  const modelSpecifier: string = 'nsfwjs/models/mobilenet_v2';
  let mod: { MobileNetV2Model: { modelJson: () => Promise<{ default: unknown }>; weightBundles: (() => Promise<{ default: unknown }>)[] } };
  try {
    mod = await import(modelSpecifier);
  } catch (err) {
    throw new ConfigError(
      `encoder.pretrained: '${NSFWJS_SOURCE}' needs the nsfwjs package, which did not load (${(err as Error).message.split('\n')[0]}); install it with \`npm install nsfwjs@4.4.0\``,
    );
  }
  const model = (await mod.MobileNetV2Model.modelJson()).default as { modelTopology: unknown; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  const chunks: Uint8Array[] = [];
  for (const bundle of mod.MobileNetV2Model.weightBundles) {
    const data = (await bundle()).default;
    if (typeof data !== 'string') throw new ConfigError(`encoder.pretrained: unexpected nsfwjs weight bundle format (${typeof data}); use nsfwjs@4.4.0`);
    chunks.push(Buffer.from(data, 'base64'));
  }
  return { modelTopology: model.modelTopology, weightSpecs: model.weightsManifest.flatMap((g) => g.weights), weightData: concatBytes(chunks) };
}

/** Loads the artifacts an `encoder.pretrained` value names: 'nsfwjs' or a folder path. */
export async function readPretrained(source: string): Promise<LayersModelArtifacts> {
  return source === NSFWJS_SOURCE ? nsfwjsMobileNetV2() : readLayersModelDir(source);
}

/** Assigns matching weights to the encoder's variables; throws before assigning anything on a mismatch. */
export function assignPretrained(store: ParamStore, encoder: Encoder, artifacts: LayersModelArtifacts, source: string): PretrainedReport {
  const decoded = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
  try {
    const ours = [...store.named().keys()].filter((n) => n.startsWith(ENCODER_PREFIX));
    const plan = new Map<string, tf.Tensor>();
    const missing: string[] = [];
    for (const name of ours) {
      const fileName = name.slice(ENCODER_PREFIX.length);
      const t = decoded[fileName];
      if (t === undefined) {
        missing.push(fileName);
        continue;
      }
      const want = store.get(name).shape;
      if (!tf.util.arraysEqual(want, t.shape)) {
        throw new DataError(
          `pretrained weight '${fileName}' has shape [${t.shape}] but encoder '${encoder.name}' needs [${want}]: the file is a different architecture`,
          source,
        );
      }
      plan.set(name, t);
    }
    if (missing.length > 0) {
      const available = Object.keys(decoded);
      throw new DataError(
        `${missing.length} of ${ours.length} '${encoder.name}' encoder weights are not in the file, e.g. ${missing.slice(0, 5).join(', ')} ` +
          `(the file has ${available.length} weights, e.g. ${available.slice(0, 5).join(', ')}); layer names must match the Keras names this encoder uses`,
        source,
      );
    }
    const matched = new Set([...plan.keys()].map((n) => n.slice(ENCODER_PREFIX.length)));
    const folded: string[] = [];
    const ignored: string[] = [];
    const foldings = new Map<string, tf.Tensor>();
    for (const fileName of Object.keys(decoded)) {
      if (matched.has(fileName)) continue;
      const layer = fileName.slice(0, fileName.lastIndexOf('/'));
      const bn = encoder.convBnPairs.get(layer);
      if (fileName.endsWith('/bias') && bn !== undefined && plan.has(`${ENCODER_PREFIX}${bn}/moving_mean`)) {
        foldings.set(`${ENCODER_PREFIX}${bn}/moving_mean`, decoded[fileName]!);
        folded.push(fileName);
      } else {
        ignored.push(fileName);
      }
    }
    tf.tidy(() => {
      for (const [name, t] of plan) {
        const bias = foldings.get(name);
        store.get(name).assign(bias === undefined ? t : tf.sub(t, bias));
      }
    });
    return { source, loaded: [...plan.keys()], ignored, folded };
  } finally {
    tf.dispose(Object.values(decoded));
  }
}
