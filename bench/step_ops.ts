/**
 * The main job's trainer step with and without a group of this project's step fusions,
 * alternating in one process: process CPU ms per step (less disturbed than wall time on a shared
 * machine, and the same JIT state and heap for both), and tf.profile's kernel calls per step.
 * Values are the same bit for bit both ways (tests), so only the cost is compared. wasm with the
 * oneDNN addon where it is built, one OpenMP thread. The groups (docs/speed.md):
 * - `resize_losses` (default): the level above's upsampling inside the ConvLSTM step op and the
 *   head's inside its convolution's op, and the soft-IoU and empty-slot terms and the
 *   cross-entropies as one op each ("The decoder's
 *   upsamplings and the loss terms inside one op each");
 * - `one_node`: the one-node ConvLSTM step and convolutions and the summed gradients ("One tape
 *   node per ConvLSTM step and per convolution"), with the later fusions off in both.
 *
 * Usage: npm run bench -- step_ops
 *   env: BENCH_STEP_OPS_CHANGE=resize_losses|one_node, BENCH_STEP_OPS_ROUNDS=10 (rounds; each runs both,
 *        the order alternating), BENCH_STEP_OPS_STEPS=4 (steps per variant and round),
 *        BENCH_ONLY=zero|one
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index.js';
import { setGradientSums } from '../src/backend/gradient_sums.js';
import { setFusedKernelsDisabled } from '../src/backend/fused_kernels/index.js';
import { CONV_LSTM_RESIZE_STEP, CONV_LSTM_STEP } from '../src/backend/fused_kernels/conv_lstm_step.js';
import { SOFT_IOU_MEAN } from '../src/backend/fused_kernels/soft_iou_mean.js';
import { BCE_MEAN } from '../src/backend/fused_kernels/bce_mean.js';
import { CONV2D_GRAD, RESIZE_CONV2D } from '../src/backend/fused_kernels/conv2d_grad.js';
import { nativeStatus } from '../src/backend/native/index.js';
import { RVOSModel } from '../src/models/index.js';
import { Adam } from '../src/train/adam.js';
import { InThreadGradients } from '../src/train/parallel/gradients.js';
import { Rng } from '../src/utils/rng.js';
import { randomBatch, settingOf, trainStep, type SettingName } from './_speed_job.js';

/** The fusions after the one-node ops, switched as one group. */
const LATER_FUSIONS = [CONV_LSTM_RESIZE_STEP, RESIZE_CONV2D, SOFT_IOU_MEAN, BCE_MEAN];

type Change = 'resize_losses' | 'one_node';
const change: Change = (process.env.BENCH_STEP_OPS_CHANGE ?? 'resize_losses') as Change;
if (change !== 'resize_losses' && change !== 'one_node') throw new Error(`BENCH_STEP_OPS_CHANGE must be resize_losses or one_node, got '${change}'`);

function useStepOps(on: boolean): void {
  if (change === 'resize_losses') {
    setFusedKernelsDisabled(LATER_FUSIONS, !on);
    return;
  }
  setFusedKernelsDisabled(LATER_FUSIONS, true);
  setGradientSums(on);
  setFusedKernelsDisabled([CONV_LSTM_STEP, CONV2D_GRAD], !on);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(setting: SettingName, rounds: number, steps: number): Promise<void> {
  const s = settingOf(setting);
  const model = await RVOSModel.create(s.config);
  const adam = new Adam([{ variables: new Map([...model.namedVariables()].filter(([, v]) => v.trainable)), lr: 1e-4 }]);
  const provider = new InThreadGradients(model);
  const batch = randomBatch(s, new Rng(1));
  const step = (): Promise<number> => trainStep(model, provider, adam, batch, s.loss!);
  const calls: Record<'base' | 'new', number> = { base: 0, new: 0 };
  for (const v of ['base', 'new'] as const) {
    useStepOps(v === 'new');
    for (let i = 0; i < 3; i++) await step(); // warm-up
    calls[v] = (await tf.profile(() => step())).kernels.length;
  }
  const cpu: Record<'base' | 'new', number[]> = { base: [], new: [] };
  for (let r = 0; r < rounds; r++) {
    for (const v of r % 2 === 0 ? (['base', 'new'] as const) : (['new', 'base'] as const)) {
      useStepOps(v === 'new');
      const c0 = process.cpuUsage();
      for (let i = 0; i < steps; i++) await step();
      const c = process.cpuUsage(c0);
      cpu[v].push((c.user + c.system) / 1000 / steps);
    }
  }
  useStepOps(true);
  setFusedKernelsDisabled(LATER_FUSIONS, false);
  console.log(`\n${setting}: ${rounds} rounds x ${steps} steps each way, load ${os.loadavg()[0]!.toFixed(1)}`);
  for (const v of ['base', 'new'] as const) {
    const label = `${v === 'base' ? 'without' : 'with'} the ${change === 'resize_losses' ? 'resize and loss ops' : 'one-node ops'}`;
    console.log(
      `  ${label.padEnd(31)} CPU ms/step median ${median(cpu[v]).toFixed(1)}, min ${Math.min(...cpu[v]).toFixed(1)} ` +
        `(rounds: ${cpu[v].map((x) => x.toFixed(0)).join(' ')}); ${calls[v]} kernel calls per step`,
    );
  }
  // Each round ran both back to back: its ratio is less moved by the machine's load drifting.
  const paired = median(cpu.new.map((c, r) => c / cpu.base[r]!));
  console.log(
    `  change: median ${((100 * (median(cpu.new) - median(cpu.base))) / median(cpu.base)).toFixed(1)}%, ` +
      `median of the rounds' own changes ${(100 * (paired - 1)).toFixed(1)}%`,
  );
  tf.dispose([batch.frames, batch.masks, batch.present]);
  adam.dispose();
  model.dispose();
}

process.env.RVOS_NATIVE_THREADS ??= '1';
await initBackend('wasm', { quiet: true });
console.log(`backend wasm, ${nativeStatus().active ? 'oneDNN addon' : `no addon (${nativeStatus().reason})`}; change: ${change}`);
const rounds = Number(process.env.BENCH_STEP_OPS_ROUNDS ?? 10);
const steps = Number(process.env.BENCH_STEP_OPS_STEPS ?? 4);
const only = process.env.BENCH_ONLY;
for (const setting of ['main-zero', 'main-one'] as const) {
  if (only === undefined || only === '' || setting.endsWith(only)) await measure(setting, rounds, steps);
}
