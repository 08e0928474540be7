/**
 * The browser demo's server: builds the page (web/, Vite) when its build is missing or older than
 * its sources, then serves it and one run's model folder from localhost. Inference happens in the
 * page; the server only hands out files:
 *   /                 the built page (web/dist)
 *   /run/run.json     what the page needs from the run's config: data.size, eval thresholds
 *   /run/model/*      the run's model folder (config.json, weights.json, weights-*.bin)
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { HYDRA_SUBDIR } from '../config/index.js';
import { PREVIOUS_MASK_FEEDS, type PreviousMaskFeed } from '../models/inference_core.js';
import { ConfigError } from '../utils/errors.js';

/** The package root (this file is src/cli/demo_server.ts). */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WEB_DIR = path.join(PACKAGE_ROOT, 'web');
export const WEB_DIST = path.join(WEB_DIR, 'dist');

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  // instantiateStreaming refuses wasm served under any other type.
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds web/ into web/dist unless the build is newer than web/ and src/. Returns whether it built. */
export async function ensureWebBuild(options: { force?: boolean; log?: (line: string) => void } = {}): Promise<boolean> {
  const index = path.join(WEB_DIST, 'index.html');
  if (!options.force && fs.existsSync(index)) {
    const built = fs.statSync(index).mtimeMs;
    const sources = Math.max(
      newestMtime(path.join(WEB_DIR, 'src')),
      fs.statSync(path.join(WEB_DIR, 'index.html')).mtimeMs,
      fs.statSync(path.join(WEB_DIR, 'vite.config.ts')).mtimeMs,
      newestMtime(path.join(PACKAGE_ROOT, 'src')),
    );
    if (built >= sources) return false;
  }
  options.log?.('building the page (web/ → web/dist) …');
  const { build } = await import('vite');
  await build({ configFile: path.join(WEB_DIR, 'vite.config.ts'), logLevel: 'error' });
  return true;
}

/**
 * What the page reads from the run's config (web/src/load_model.ts RunInfo): data.size and the
 * eval thresholds, read from .hydra/config.yaml by key so that runs saved by earlier versions
 * (whose configs lack keys added since) still open.
 */
export function runInfo(runDir: string): {
  run: string;
  size: [number, number];
  threshold: number;
  objectnessThreshold: number;
  previousMask: PreviousMaskFeed;
} {
  if (!fs.existsSync(path.join(runDir, 'model', 'config.json'))) {
    throw new ConfigError(`${runDir} has no model/config.json: not a trained run folder (train one with \`npm start\` or \`npx rvos train\`)`);
  }
  const file = path.join(runDir, HYDRA_SUBDIR, 'config.yaml');
  if (!fs.existsSync(file)) throw new ConfigError(`${file} is missing: pass the folder a training run created (it holds .hydra/)`);
  let config: { data?: { size?: unknown }; eval?: { threshold?: unknown; objectness_threshold?: unknown; previous_mask?: unknown } };
  try {
    config = (parseYaml(fs.readFileSync(file, 'utf8')) ?? {}) as typeof config;
  } catch (err) {
    throw new ConfigError(`${file}: invalid YAML (${(err as Error).message.split('\n')[0]}); the run folder is damaged`);
  }
  const size = config.data?.size;
  const threshold = config.eval?.threshold;
  const objectnessThreshold = config.eval?.objectness_threshold;
  if (!Array.isArray(size) || size.length !== 2 || !size.every((v) => Number.isInteger(v) && v > 0))
    throw new ConfigError(`${file}: data.size must be [height, width]; the run folder is damaged`);
  if (typeof threshold !== 'number') throw new ConfigError(`${file}: eval.threshold must be a number; the run folder is damaged`);
  if (typeof objectnessThreshold !== 'number') throw new ConfigError(`${file}: eval.objectness_threshold must be a number; the run folder is damaged`);
  // Runs saved before eval.previous_mask existed fed the soft output back (RVOS).
  const previousMask = config.eval?.previous_mask ?? 'soft';
  if (!(PREVIOUS_MASK_FEEDS as readonly unknown[]).includes(previousMask))
    throw new ConfigError(`${file}: eval.previous_mask must be ${PREVIOUS_MASK_FEEDS.join(' | ')}; the run folder is damaged`);
  return {
    run: path.basename(path.resolve(runDir)),
    size: size as [number, number],
    threshold,
    objectnessThreshold,
    previousMask: previousMask as PreviousMaskFeed,
  };
}

/** Every trained run (a folder holding .hydra/ and model/config.json) under `root`, newest model first. */
export function findTrainedRuns(root: string): string[] {
  const runs: { dir: string; mtime: number }[] = [];
  const walk = (dir: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const model = path.join(dir, 'model', 'weights.json');
    if (fs.existsSync(path.join(dir, '.hydra', 'config.yaml')) && fs.existsSync(model)) {
      runs.push({ dir, mtime: fs.statSync(model).mtimeMs });
      return;
    }
    // results/<date>/<time> and results/multirun/<date>/<time>/<job>
    if (depth < 4) for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.')) walk(path.join(dir, e.name), depth + 1);
  };
  walk(root, 0);
  return runs.sort((a, b) => b.mtime - a.mtime).map((r) => r.dir);
}

export interface DemoServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves the built page and `runDir` on 127.0.0.1:`port` (0 = any free port). */
export async function startDemoServer(runDir: string, port: number): Promise<DemoServer> {
  const info = JSON.stringify(runInfo(runDir));
  const modelDir = path.join(runDir, 'model');
  const send = (res: http.ServerResponse, status: number, body: string | Buffer, type: string) => {
    // No cross-origin isolation headers: with them tfjs-backend-wasm 4.22 picks its threaded build,
    // whose worker (made from a string of the emscripten glue) breaks once bundled ("e is not
    // defined"), so the page runs the single-threaded SIMD build, as `rvos infer` does.
    res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
    res.end(body);
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed', 'text/plain');
    let file: string;
    if (url.pathname === '/run/run.json') return send(res, 200, info, MIME['.json']!);
    if (url.pathname.startsWith('/run/model/')) {
      const name = url.pathname.slice('/run/model/'.length);
      // Only the model folder's own files, never a path out of it.
      if (!/^(config\.json|weights\.json|weights-[\w-]+\.bin)$/.test(name)) return send(res, 404, 'not found', 'text/plain');
      file = path.join(modelDir, name);
    } else {
      const rel = path.normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '');
      file = path.join(WEB_DIST, rel === '' ? 'index.html' : rel);
      if (!file.startsWith(WEB_DIST + path.sep)) return send(res, 404, 'not found', 'text/plain');
    }
    fs.readFile(file, (err, data) => {
      if (err) return send(res, 404, 'not found', 'text/plain');
      send(res, 200, data, MIME[path.extname(file)] ?? 'application/octet-stream');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new ConfigError(`--port ${port}: the port is in use; pass another --port (or 0 for any free port)`) : err),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as { port: number }).port;
  return {
    url: `http://localhost:${bound}/`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
