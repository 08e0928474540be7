/**
 * Training checkpoints: model weights, optimiser moments and trainer progress in one folder per
 * step (`checkpoints/step-000100/{state.json,tensors.bin}`). A folder is written under a temporary
 * name and renamed into place, and `latest.json` / `best.json` are pointer files replaced
 * atomically, so a run killed at any moment leaves only complete checkpoints.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { AdamState } from './adam.js';
import { TrainingError } from '../utils/errors.js';
import { faultPoint } from '../utils/fault.js';
import { removeStaleTemporaries, writeFileAtomic } from '../utils/fs.js';

/** Trainer progress saved beside the weights; everything needed to continue exactly. */
export interface TrainerProgress {
  step: number;
  bestScore: number | null;
  bestStep: number | null;
  evalsWithoutImprovement: number;
}

interface TensorEntry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

interface StateFile {
  format: 'rvos-checkpoint-1';
  progress: TrainerProgress;
  weights: TensorEntry[];
  optimizer: { step: number; moments: { name: string; m: TensorEntry; v: TensorEntry }[] };
}

export interface Checkpoint {
  dir: string;
  progress: TrainerProgress;
  weights: Map<string, tf.Tensor>;
  optimizer: AdamState;
}

export function stepDirName(step: number): string {
  return `step-${String(step).padStart(6, '0')}`;
}

/** Writes a checkpoint for `progress.step` and points latest.json (and best.json if `isBest`) at it. */
export function saveCheckpoint(
  checkpointsDir: string,
  progress: TrainerProgress,
  variables: Map<string, tf.Variable>,
  optimizer: AdamState,
  isBest: boolean,
): string {
  const chunks: Float32Array[] = [];
  let offset = 0;
  const add = (name: string, data: Float32Array, shape: number[]): TensorEntry => {
    chunks.push(data);
    const entry = { name, shape, offset, length: data.length };
    offset += data.length;
    return entry;
  };
  const weights = [...variables].map(([name, v]) => add(name, v.dataSync() as Float32Array, v.shape));
  const moments = [...optimizer.moments].map(([name, s]) => ({ name, m: add(`${name}/m`, s.m, s.shape), v: add(`${name}/v`, s.v, s.shape) }));
  const state: StateFile = { format: 'rvos-checkpoint-1', progress, weights, optimizer: { step: optimizer.step, moments } };
  const bytes = new Uint8Array(offset * 4);
  const all = new Float32Array(bytes.buffer);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  const name = stepDirName(progress.step);
  const finalDir = path.join(checkpointsDir, name);
  const tmpDir = path.join(checkpointsDir, `.${name}.${process.pid}.tmp`);
  fs.rmSync(tmpDir, { recursive: true, force: true });
  fs.mkdirSync(tmpDir, { recursive: true });
  faultPoint('checkpoint-tensors', path.join(tmpDir, 'tensors.bin'), progress.step);
  writeFileAtomic(path.join(tmpDir, 'tensors.bin'), bytes);
  writeFileAtomic(path.join(tmpDir, 'state.json'), JSON.stringify(state));
  faultPoint('checkpoint-rename', finalDir, progress.step);
  fs.rmSync(finalDir, { recursive: true, force: true });
  fs.renameSync(tmpDir, finalDir);
  writeFileAtomic(path.join(checkpointsDir, 'latest.json'), JSON.stringify({ step: progress.step, dir: name }));
  if (isBest) writeFileAtomic(path.join(checkpointsDir, 'best.json'), JSON.stringify({ step: progress.step, dir: name, score: progress.bestScore }));
  return finalDir;
}

/** What a pointer file ('latest' or 'best') names; undefined when it is missing or unreadable. */
export function readPointer(checkpointsDir: string, which: 'latest' | 'best'): { step: number; dir: string } | undefined {
  try {
    const p = JSON.parse(fs.readFileSync(path.join(checkpointsDir, `${which}.json`), 'utf8')) as { step?: unknown; dir?: unknown };
    return Number.isInteger(p.step) && typeof p.dir === 'string' && /^step-\d+$/.test(p.dir) ? { step: p.step as number, dir: p.dir } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes what an interrupted save left: `.step-*.<pid>.tmp` folders and `*.tmp` pointer files of
 * writers that are gone. Complete checkpoints are never touched.
 */
export function removeStaleCheckpointTemporaries(checkpointsDir: string): string[] {
  return removeStaleTemporaries(checkpointsDir);
}

/** Reads the checkpoint a pointer file ('latest' or 'best') names; undefined when there is none. */
export function loadCheckpoint(checkpointsDir: string, which: 'latest' | 'best' = 'latest'): Checkpoint | undefined {
  const pointer = path.join(checkpointsDir, `${which}.json`);
  if (!fs.existsSync(pointer)) return undefined;
  const { dir } = JSON.parse(fs.readFileSync(pointer, 'utf8')) as { dir: string };
  return readCheckpointDir(path.join(checkpointsDir, dir));
}

/** Bytes tensors.bin must hold for the entries `state` describes (float32). */
function tensorBytes(state: StateFile): number {
  let end = 0;
  const extend = (e: TensorEntry) => (end = Math.max(end, e.offset + e.length));
  state.weights.forEach(extend);
  for (const m of state.optimizer.moments) (extend(m.m), extend(m.v));
  return end * 4;
}

function readState(dir: string): StateFile {
  const file = path.join(dir, 'state.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new TrainingError(`checkpoint ${dir}: state.json is missing or unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let state: StateFile;
  try {
    state = JSON.parse(text) as StateFile;
  } catch {
    throw new TrainingError(`checkpoint ${dir}: state.json is not valid JSON (damaged)`);
  }
  if (state.format !== 'rvos-checkpoint-1') throw new TrainingError(`checkpoint ${dir}: unknown format '${String(state.format)}'`);
  if (!Array.isArray(state.weights) || !Array.isArray(state.optimizer?.moments) || !Number.isInteger(state.progress?.step)) {
    throw new TrainingError(`checkpoint ${dir}: state.json lacks weights, optimizer or progress (damaged)`);
  }
  return state;
}

/** The trainer progress a checkpoint folder holds (its state.json); a TrainingError when unreadable. */
export function readCheckpointProgress(dir: string): TrainerProgress {
  return readState(dir).progress;
}

function checkTensorsSize(dir: string, state: StateFile, size: number): void {
  const expected = tensorBytes(state);
  if (size !== expected) {
    throw new TrainingError(
      `checkpoint ${dir}: tensors.bin is ${size < expected ? 'truncated' : 'too long'} (${size} bytes, state.json describes ${expected})`,
    );
  }
}

/**
 * Why the checkpoint in `dir` cannot be loaded (state.json missing, unparsable or of another
 * format; tensors.bin missing or not the size state.json describes), or undefined when it is
 * intact. Reads state.json and the size of tensors.bin, not the tensors.
 */
export function checkpointProblem(dir: string): string | undefined {
  try {
    const state = readState(dir);
    let size: number;
    try {
      size = fs.statSync(path.join(dir, 'tensors.bin')).size;
    } catch {
      return `checkpoint ${dir}: tensors.bin is missing`;
    }
    checkTensorsSize(dir, state, size);
    return undefined;
  } catch (err) {
    if (err instanceof TrainingError) return err.message;
    throw err;
  }
}

export function readCheckpointDir(dir: string): Checkpoint {
  const state = readState(dir);
  let data: Float32Array;
  try {
    const buf = fs.readFileSync(path.join(dir, 'tensors.bin'));
    data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  } catch (err) {
    throw new TrainingError(`checkpoint ${dir}: tensors.bin is missing or unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  checkTensorsSize(dir, state, data.length * 4);
  const slice = (e: TensorEntry): Float32Array => data.slice(e.offset, e.offset + e.length);
  const weights = new Map(state.weights.map((e) => [e.name, tf.tensor(slice(e), e.shape)] as const));
  const moments = new Map(state.optimizer.moments.map((e) => [e.name, { m: slice(e.m), v: slice(e.v), shape: e.m.shape }] as const));
  return { dir, progress: state.progress, weights, optimizer: { step: state.optimizer.step, moments } };
}

/** Assigns checkpoint weights to the model's variables; every variable must be present with its shape. */
export function restoreWeights(checkpoint: Checkpoint, variables: Map<string, tf.Variable>): void {
  for (const [name, variable] of variables) {
    const value = checkpoint.weights.get(name);
    if (value === undefined) throw new TrainingError(`checkpoint ${checkpoint.dir} has no weight '${name}': it was written by a different model config`);
    if (value.shape.join('x') !== variable.shape.join('x')) {
      throw new TrainingError(`checkpoint ${checkpoint.dir}: weight '${name}' has shape [${value.shape}] but the model expects [${variable.shape}]`);
    }
    variable.assign(value);
  }
}

export function disposeCheckpoint(checkpoint: Checkpoint): void {
  for (const t of checkpoint.weights.values()) t.dispose();
}

/** Deletes step folders beyond the newest `keep`, never the ones latest.json or best.json name. */
export function pruneCheckpoints(checkpointsDir: string, keep: number): void {
  const pinned = new Set<string>();
  for (const which of ['latest', 'best']) {
    const p = path.join(checkpointsDir, `${which}.json`);
    if (fs.existsSync(p)) pinned.add((JSON.parse(fs.readFileSync(p, 'utf8')) as { dir: string }).dir);
  }
  const steps = fs
    .readdirSync(checkpointsDir)
    .filter((d) => /^step-\d+$/.test(d))
    .sort();
  for (const d of steps.slice(0, Math.max(0, steps.length - keep))) {
    if (!pinned.has(d)) fs.rmSync(path.join(checkpointsDir, d), { recursive: true, force: true });
  }
}
