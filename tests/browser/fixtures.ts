/**
 * Fixtures for the browser tests: Debian's Chromium driven by playwright-core (no browser
 * downloads), a run folder built deterministically with the main job's model, and a synthetic
 * video written as PNG frames (lossless, so the page and `rvos infer` read the same pixels).
 */
import fs from 'node:fs';
import path from 'node:path';
import { decode, encode } from 'fast-png';
import * as tf from '@tensorflow/tfjs-core';
import type { Browser } from 'playwright-core';
import { composeConfig, saveRunConfig } from '../../src/config/index.js';
import { writeLabelPng, type LabelMap } from '../../src/data/palette_png.js';
import { synthesizeVideo } from '../../src/data/synth/video.js';
import type { RgbImage } from '../../src/data/types.js';
import { frameToTensor, labelsToSlotMasks } from '../../src/eval/predictor.js';
import { jaccard } from '../../src/eval/jaccard.js';
import { modelConfigOf } from '../../src/experiments/run/run.js';
import { mainJobOverrides } from '../../src/experiments/launch/experiment.js';
import { RVOSModel, saveModel } from '../../src/models/index.js';
import { Rng } from '../../src/utils/rng.js';

/** Debian's chromium (scripts/setup-browser.sh installs it), or CHROMIUM_PATH; null when absent. */
export function chromiumPath(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => !!p);
  return candidates.find((p) => fs.existsSync(p)) ?? null;
}

/**
 * Headless Chromium as this machine runs it: no sandbox (root), no network side channels (they are
 * refused here and slow every start), WebGL on SwiftShader (no GPU).
 */
export async function launchChromium(executablePath: string): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
    ],
  });
}

/**
 * A run folder with the main job's model (configs/experiment/main.yaml: light encoder, decoder 32,
 * 5 slots, motion input, 64x64) at its seeded initial weights: what a run looks like to the page,
 * without minutes of training. Initial weights put every probability within about ±0.005 of 0.487,
 * so the run's eval.threshold is set to the median probability on `video`'s first frame: masks
 * are then half foreground, and any difference in the numbers between two inference paths shows.
 * Zero-shot also keeps every slot (eval.objectness_threshold=0).
 */
export async function makeRun(dir: string, mode: 'one_shot' | 'zero_shot', video: VideoOnDisk): Promise<string> {
  // The main job's run of this mode, as `rvos main` composes it (configs/experiment/main.yaml).
  const overrides = [...mainJobOverrides(mode, 'configs'), ...(mode === 'zero_shot' ? ['eval.objectness_threshold=0'] : [])];
  const composed = composeConfig({ configDir: 'configs', overrides });
  const model = await RVOSModel.create(modelConfigOf(composed.config));
  const size = composed.config.data.size;
  const { slots } = model.config;
  const probabilities = tf.tidy(() => {
    const frame = frameToTensor(readFrame(video, 0), size);
    const first = mode === 'one_shot' ? labelsToSlotMasks(video.labels[0]!, slots, size) : null;
    const out = model.step(frame, first, model.initialState());
    return tf.sigmoid(out.logits);
  });
  const sorted = Float32Array.from(probabilities.dataSync()).sort();
  probabilities.dispose();
  const median = sorted[sorted.length >> 1]!;
  saveRunConfig(dir, composeConfig({ configDir: 'configs', overrides: [...overrides, `eval.threshold=${median}`] }));
  await saveModel(model, path.join(dir, 'model'));
  model.dispose();
  return dir;
}

function readFrame(video: VideoOnDisk, t: number): RgbImage {
  const png = decode(fs.readFileSync(path.join(video.frames, `${video.names[t]}.png`)));
  return { width: png.width, height: png.height, data: Uint8Array.from(png.data) };
}

export interface VideoOnDisk {
  frames: string;
  firstMask: string;
  names: string[];
  labels: LabelMap[];
}

/** A synthetic video (seeded) as PNG frames in `dir`/frames and its frame-0 palette mask. */
export function writeSyntheticVideo(dir: string, frames: number, size: [number, number], seed = 7): VideoOnDisk {
  const video = synthesizeVideo(new Rng(seed), { frames, size, objects: [2, 3] });
  const framesDir = path.join(dir, 'frames');
  fs.mkdirSync(framesDir, { recursive: true });
  const names: string[] = [];
  video.frames.forEach((frame, t) => {
    const name = String(t).padStart(5, '0');
    names.push(name);
    fs.writeFileSync(path.join(framesDir, `${name}.png`), encode({ width: frame.width, height: frame.height, data: frame.data, channels: 3, depth: 8 }));
  });
  const firstMask = path.join(dir, 'first-mask.png');
  writeLabelPng(firstMask, video.labels[0]!);
  return { frames: framesDir, firstMask, names, labels: video.labels };
}

/** Mean over object ids present in either map of the per-id IoU (1 when both are empty). */
export function labelIoU(a: LabelMap, b: LabelMap): number {
  const ids = new Set([...a.data, ...b.data].filter((id) => id !== 0));
  if (ids.size === 0) return 1;
  let sum = 0;
  for (const id of ids)
    sum += jaccard(
      a.data.map((v) => Number(v === id)),
      b.data.map((v) => Number(v === id)),
      a.width,
      a.height,
    );
  return sum / ids.size;
}
