import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findTrainedRuns, runInfo, startDemoServer, WEB_DIST } from '../../src/cli/demo_server.js';
import { run as demo } from '../../src/cli/commands/demo.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-demo-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A run folder as far as the server looks: .hydra/config.yaml and model/ files. */
function fakeRun(dir: string, mtime: number): string {
  fs.mkdirSync(path.join(dir, '.hydra'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'model'), { recursive: true });
  fs.writeFileSync(path.join(dir, '.hydra', 'config.yaml'), 'data:\n  size: [48, 64]\neval:\n  threshold: 0.4\n  objectness_threshold: 0.6\n');
  fs.writeFileSync(path.join(dir, 'model', 'config.json'), '{}');
  fs.writeFileSync(path.join(dir, 'model', 'weights.json'), '{}');
  fs.writeFileSync(path.join(dir, 'model', 'weights-0123456789abcdef.bin'), Buffer.from([1, 2, 3]));
  fs.utimesSync(path.join(dir, 'model', 'weights.json'), mtime, mtime);
  return dir;
}

describe('rvos demo server', () => {
  it('finds the newest trained run under a results root (single runs and sweep jobs)', () => {
    const root = path.join(tmp, 'results');
    fakeRun(path.join(root, '2026-01-01', '10-00-00'), 1000);
    const newest = fakeRun(path.join(root, 'multirun', '2026-01-02', '09-00-00', '1'), 3000);
    fakeRun(path.join(root, '2026-01-02', '08-00-00'), 2000);
    fs.mkdirSync(path.join(root, '2026-01-03', 'half-made', 'model'), { recursive: true });
    expect(findTrainedRuns(root)[0]).toBe(newest);
    expect(findTrainedRuns(root)).toHaveLength(3);
    expect(findTrainedRuns(path.join(tmp, 'nothing-here'))).toEqual([]);
  });

  it('without --run and without trained runs says how to get one', async () => {
    await expect(demo(['--results', path.join(tmp, 'empty')])).rejects.toThrow(/no trained run under .*empty: train one with `npm start`/);
    await expect(demo(['--port', 'eighty'])).rejects.toThrow(/--port.*eighty/);
  });

  it('run.json carries data.size and the eval thresholds; a folder without a model is refused', () => {
    const dir = fakeRun(path.join(tmp, 'info-run'), 1000);
    expect(runInfo(dir)).toEqual({ run: 'info-run', size: [48, 64], threshold: 0.4, objectnessThreshold: 0.6, previousMask: 'soft' });
    fs.writeFileSync(path.join(dir, '.hydra', 'config.yaml'), 'data:\n  size: 64\neval:\n  threshold: 0.4\n  objectness_threshold: 0.6\n');
    expect(() => runInfo(dir)).toThrow(/data\.size must be \[height, width\]/);
    expect(() => runInfo(path.join(tmp, 'not-a-run'))).toThrow(/has no model\/config\.json: not a trained run folder/);
  });

  it('serves the page, run.json and the model folder only', async () => {
    const dir = fakeRun(path.join(tmp, 'served-run'), 1000);
    fs.mkdirSync(WEB_DIST, { recursive: true });
    const server = await startDemoServer(dir, 0);
    try {
      const info = await fetch(`${server.url}run/run.json`);
      expect(await info.json()).toMatchObject({ size: [48, 64], threshold: 0.4 });
      const bin = await fetch(`${server.url}run/model/weights-0123456789abcdef.bin`);
      expect(bin.headers.get('content-type')).toBe('application/octet-stream');
      expect(new Uint8Array(await bin.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
      expect((await fetch(`${server.url}run/model/..%2F.hydra%2Fconfig.yaml`)).status).toBe(404);
      expect((await fetch(`${server.url}run/model/other.txt`)).status).toBe(404);
      expect((await fetch(`${server.url}..%2F..%2Fpackage.json`)).status).toBe(404);
      expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });
});
