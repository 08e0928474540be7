/**
 * `npm run bench:kernels`: one training step (forward + backward + SGD update) of a tiny conv net
 * (4 convs + 2 bilinear upsamplings, batch 4, 128x128x3) on the pure-JS cpu backend and on wasm
 * with this project's training kernels, in the same process. Prints ms/step (median) and the
 * ratio. platform.md measured ~50x for this formulation; the foundation issue asks for >= 40x.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index.js';
import { TinyConvNet } from '../src/backend/wasm_kernels/tiny_conv_net.js';
import { Rng } from '../src/utils/rng.js';

const BATCH = 4;
const SIZE = 128;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function timeSteps(backend: 'wasm' | 'cpu', warmup: number, steps: number): Promise<number[]> {
  await initBackend(backend, { quiet: true });
  const rng = new Rng(7);
  const net = new TinyConvNet(rng, 3, 16);
  const images = tf.randomUniform([BATCH, SIZE, SIZE, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const mask = tf.cast(tf.greater(tf.randomUniform([BATCH, SIZE, SIZE, 1], 0, 1, 'float32', 2), 0.5), 'float32') as tf.Tensor4D;
  const optimizer = tf.train.sgd(0.05);
  const times: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    net.trainStep(optimizer, images, mask);
    const ms = performance.now() - t0;
    if (i >= warmup) times.push(ms);
  }
  optimizer.dispose();
  net.dispose();
  images.dispose();
  mask.dispose();
  return times;
}

const wasmSteps = Number(process.env.BENCH_WASM_STEPS ?? 10);
const cpuSteps = Number(process.env.BENCH_CPU_STEPS ?? 2);
const wasm = await timeSteps('wasm', 2, wasmSteps);
const cpu = await timeSteps('cpu', 1, cpuSteps);
const wasmMs = median(wasm);
const cpuMs = median(cpu);
console.log(`tiny conv net training step, batch ${BATCH}, ${SIZE}x${SIZE}x3 (median over steps)`);
console.log(`  wasm (XNNPACK training kernels): ${wasmMs.toFixed(1)} ms/step  [${wasm.map((t) => t.toFixed(0)).join(', ')}]`);
console.log(`  cpu  (pure JS)                 : ${cpuMs.toFixed(1)} ms/step  [${cpu.map((t) => t.toFixed(0)).join(', ')}]`);
console.log(`  speed-up wasm vs cpu: ${(cpuMs / wasmMs).toFixed(1)}x (acceptance: >= 40x)`);
