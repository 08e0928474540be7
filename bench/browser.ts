/**
 * Frames per second of the browser demo in headless Chromium (wasm backend), the main job's model
 * (configs/experiment/main.yaml), on a 64x64 synthetic video (96 frames) and on a real 480p DAVIS
 * video (blackswan, 50 frames at 854x480, when the shared DAVIS files are present). Each video is
 * segmented twice in the same page and the second pass is reported (the first includes kernel
 * set-up), with the page's own split: reading frames, the model (step + masks at video size),
 * drawing. Peer: `rvos infer` on the same frames in Node (same wasm kernels, no drawing).
 * RVOS_DEMO_RUN=<run folder> measures that run instead of the seeded main-job model.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureWebBuild, startDemoServer } from '../src/cli/demo_server.js';
import type { DemoState } from '../web/src/demo_state.js';
import { REAL_DAVIS } from '../tests/data/helpers.js';
import { chromiumPath, launchChromium, makeRun, writeSyntheticVideo } from '../tests/browser/fixtures.js';

const chromium = chromiumPath();
if (chromium === null) {
  console.log('bench/browser: no Chromium (bash scripts/setup-browser.sh); skipped');
  process.exit(0);
}
const { initBackend } = await import('../src/backend/index.js');
await initBackend('wasm', { quiet: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-bench-browser-'));
const video = writeSyntheticVideo(path.join(tmp, 'video'), 96, [64, 64]);
const runDir = process.env.RVOS_DEMO_RUN ?? (await makeRun(path.join(tmp, 'run'), 'one_shot', video));
await ensureWebBuild();
const server = await startDemoServer(runDir, 0);
const browser = await launchChromium(chromium);
const { run: infer } = await import('../src/cli/commands/infer.js');

async function measure(name: string, frames: string, firstMask: string): Promise<void> {
  const page = await browser.newPage();
  await page.goto(`${server.url}?backend=wasm`);
  await page.waitForFunction(`window.rvosDemo.state === 'ready'`, null, { timeout: 120_000 });
  await page.setInputFiles('#folder-input', frames);
  await page.waitForFunction(`!document.getElementById('run-button').disabled`);
  await page.setInputFiles('#mask-input', firstMask);
  let s: DemoState | null = null;
  for (let pass = 0; pass < 2; pass++) {
    await page.click('#run-button');
    await page.waitForFunction(`window.rvosDemo.state === 'done' || window.rvosDemo.state === 'ready'`, null, { timeout: 600_000 });
    s = (await page.evaluate('window.rvosDemo')) as DemoState;
    if (s.state !== 'done') throw new Error(`${name}: ${s.message}`);
  }
  const average = Number(/\(([\d.]+) fps on average\)/.exec(s!.message)?.[1]);
  const t = s!.timings!;
  const log: string[] = [];
  const origLog = console.log;
  console.log = (line: string) => log.push(String(line));
  try {
    await infer(['--run', runDir, '--frames', frames, '--first-mask', firstMask, '--out', path.join(tmp, `infer-${name}`), '--backend', 'wasm']);
  } finally {
    console.log = origLog;
  }
  const perFrame = /\((\d+) ms\/frame\)/.exec(log.join('\n'))?.[1];
  console.log(
    `${name}: page ${average.toFixed(1)} fps over ${s!.frames} frames (last ~10 frames ${s!.fps.toFixed(1)} fps); ms/frame read ${t.read.toFixed(1)}, model ${t.step.toFixed(1)}, draw ${t.draw.toFixed(1)} | peer rvos infer (Node, wasm): ${perFrame} ms/frame = ${(1000 / Number(perFrame)).toFixed(1)} fps incl. writing PNG/JPEG`,
  );
  await page.close();
}

console.log(
  `bench/browser: run ${runDir}; load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${os.cpus().length} cores`,
);
await measure('synthetic 64x64', video.frames, video.firstMask);
if (REAL_DAVIS !== null) {
  await measure(
    'DAVIS blackswan 854x480',
    path.join(REAL_DAVIS, 'JPEGImages', '480p', 'blackswan'),
    path.join(REAL_DAVIS, 'Annotations', '480p', 'blackswan', '00000.png'),
  );
} else {
  console.log('DAVIS 480p: skipped (set RVOS_SHARED_DATA to a folder holding davis-real/)');
}
await browser.close();
await server.close();
fs.rmSync(tmp, { recursive: true, force: true });
