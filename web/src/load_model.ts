/**
 * Loads the run the demo server serves: run.json (network size and thresholds from the run's
 * config, written by `rvos demo`) and the model folder (config.json, weights.json, weights-*.bin),
 * parsed by the same code as model_io.ts on disk (src/models/model_format.ts).
 */
import { modelFromWeights, parseModelConfig, parseWeightsManifest } from '../../src/models/model_format.js';
import type { PreviousMaskFeed } from '../../src/models/inference_core.js';
import type { RVOSModel, RVOSModelConfig } from '../../src/models/rvos_model.js';

export interface RunInfo {
  /** The run folder, for display. */
  run: string;
  /** Network input [H, W] (data.size). */
  size: [number, number];
  /** eval.threshold */
  threshold: number;
  /** eval.objectness_threshold */
  objectnessThreshold: number;
  /** eval.previous_mask (one-shot feed from frame 2 on; absent in runs saved before the key: soft) */
  previousMask?: PreviousMaskFeed;
}

/** Raised for anything wrong with the served run; its message is shown on the page as is. */
export class RunLoadError extends Error {}

async function fetchOk(url: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new RunLoadError(`${url}: could not be fetched (${(err as Error).message}); is \`rvos demo\` still running?`);
  }
  if (!res.ok) throw new RunLoadError(`${url}: HTTP ${res.status}; start the page with \`rvos demo --run RUN_DIR\` (a trained run folder)`);
  return res;
}

export async function fetchRunInfo(base: string): Promise<RunInfo> {
  const url = `${base}run.json`;
  const info = (await (await fetchOk(url)).json()) as Partial<RunInfo>;
  const size = info.size;
  if (!Array.isArray(size) || size.length !== 2 || typeof info.threshold !== 'number' || typeof info.objectnessThreshold !== 'number') {
    throw new RunLoadError(`${url}: not a run description from this version of \`rvos demo\``);
  }
  return info as RunInfo;
}

/** The weights bytes and config, fetched once; models are built from them per backend. */
export interface ModelFiles {
  config: RVOSModelConfig;
  build(): Promise<RVOSModel>;
}

export async function fetchModelFiles(base: string): Promise<ModelFiles> {
  const dir = `${base}model/`;
  const wrap = async <T>(f: () => Promise<T> | T): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      if (err instanceof RunLoadError) throw err;
      throw new RunLoadError(`unknown run format: ${(err as Error).message}`);
    }
  };
  const config = await wrap(async () => parseModelConfig(await (await fetchOk(`${dir}config.json`)).text(), `${dir}config.json`));
  const manifest = await wrap(async () => parseWeightsManifest(await (await fetchOk(`${dir}weights.json`)).text(), `${dir}weights.json`));
  const bytes = await (await fetchOk(`${dir}${manifest.file}`)).arrayBuffer();
  return { config, build: () => wrap(() => modelFromWeights(config, manifest, bytes, `${dir}${manifest.file}`)) };
}
