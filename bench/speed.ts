/**
 * The training-speed work in one run: RVOS-small (ResNet-18, 128x224, hidden 128, 10 slots) zero-shot and
 * one-shot, and the main job's light config (light encoder, hidden 32, 64x64, 3 slots, batch 4,
 * clip 4). For each: inference ms/frame (batch 1, recurrent state carried), training ms/step
 * (batch 2, clip 3: the trainer's own step — clip loss with Hungarian matching, gradient
 * clipping, Adam), frames/s of the evaluation pipeline (predict + DAVIS metrics on synthetic
 * videos), and peak memory (process RSS, wasm heap). Each is measured with the wasm kernels as
 * they were before the fused and fast-path kernels ("before": zero-dilated input gradient, filter reversed every call,
 * copying Identity, per-element Tile, unfused ConvLSTM gates, Adam and batch-norm gradients:
 * src/backend/fused_kernels) and now ("after"), and training also with train.workers=2.
 * The PyTorch peer (the script RVOS_TORCH_PEER names, 2 threads) runs with the same settings in this
 * run, and ratios are printed. Ends with a tf.profile by kernel of one RVOS-small training step.
 *
 * Every measurement runs in its own process (clean memory peaks). Times are the best of the
 * repeats (the machine is shared; the minimum is the least disturbed run); the load average is
 * printed with each row, and the ratios (same run) are the numbers to compare. The evaluation
 * pipeline runs 3 synthetic videos x 8 frames at the setting's size.
 *
 * The native rows: the same "after" kernels with the convolutions on oneDNN
 * (src/backend/native; skipped with the reason when the addon is not built), workers 1 and 2, the
 * line `ratio native/pytorch: inference X.XXx, training Y.YYx` per setting with a peer, the
 * native speed-up over wasm, GFLOP/s per convolution kind (native vs wasm) and the kernel
 * profile of a native step.
 *
 * The main job's setting comes first (see `mainJob`): ours and the peer alternating, one thread
 * each, and `ratio main-job/pytorch: training X.XXx, inference Y.YYx` per mode.
 *
 * The peer runs when RVOS_TORCH_PEER names the PyTorch script (torch_rvos.py) and /usr/bin/python3
 * has torch (`npm run setup:bench`); otherwise its rows say why they are skipped.
 *
 * Usage: npm run bench -- speed
 *   env: BENCH_REPEATS=2, BENCH_SKIP_PEER=1, BENCH_PROFILE=0, BENCH_ONLY=main|light|small,
 *        BENCH_MAIN_ROUNDS=3, BENCH_MAIN_STEPS=10, BENCH_MAIN_WARMUP=30,
 *        BENCH_VARIANTS=before,after,native (which rows to run; default all), BENCH_GFLOPS=0,
 *        BENCH_STEPS=60 (the main job's short run, wasm vs native; 0 skips it),
 *        BENCH_STEP_OPS=0 (the main job's step without the one-node ConvLSTM step and convolution
 *        ops and the summed gradients: the "before" of docs/speed.md's last section),
 *        BENCH_MAIN_OVERRIDES='model.recurrence=ST' (config overrides on top of the main job's, e.g.
 *        to time its zero-shot run on the peer's recurrence)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runJob, settingOf, type Job, type JobResult, type SettingName } from './_speed_job.js';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 2);

interface PeerResult {
  peer: string;
  infer_ms_per_frame: number;
  train_ms_per_step: number;
}

function runChild(job: Job): JobResult | string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--job', JSON.stringify(job)], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) return `failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-4).join(' | ')}`;
  return JSON.parse(line) as JobResult;
}

/** The PyTorch peer script (torch_rvos.py), from RVOS_TORCH_PEER; or why it cannot run. */
function peerScript(): { script: string } | { problem: string } {
  if (process.env.BENCH_SKIP_PEER === '1') return { problem: 'skipped (BENCH_SKIP_PEER=1)' };
  const script = process.env.RVOS_TORCH_PEER;
  if (script === undefined || script === '') return { problem: 'skipped: set RVOS_TORCH_PEER to the PyTorch RVOS timing script (torch_rvos.py) to compare' };
  if (!fs.existsSync(script)) return { problem: `skipped: RVOS_TORCH_PEER=${script} not found` };
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
  if (probe.status !== 0) return { problem: 'skipped: /usr/bin/python3 cannot import torch + torchvision (npm run setup:bench)' };
  return { script };
}

function runPeerArgs(args: string[]): PeerResult | string {
  const peer = peerScript();
  if ('problem' in peer) return peer.problem;
  const { script } = peer;
  // The native kernels' OpenMP wait policy for the peer's too (both use libgomp): a spinning
  // OpenMP thread starves its own process on a loaded machine (docs/native.md).
  const env = { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' };
  const r = spawnSync('/usr/bin/python3', [script, ...args], { encoding: 'utf8', maxBuffer: 1 << 24, env });
  if (r.status !== 0) return `failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`;
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as PeerResult;
}

function runPeer(mode: 'zero-shot' | 'one-shot'): PeerResult | string {
  return runPeerArgs([
    '--backbone',
    'resnet18',
    '--height',
    '128',
    '--width',
    '224',
    '--hidden',
    '128',
    '--slots',
    '10',
    '--mode',
    mode,
    '--batch',
    '2',
    '--clip',
    '3',
    '--threads',
    '2',
    '--repeats',
    String(Math.max(REPEATS, 2)),
  ]);
}

/** `, of which main 110, other threads 52`: a step's CPU by thread (10 ms clock ticks summed over the timed steps). */
function threadSplit(byThread: Record<string, number> | undefined): string {
  if (byThread === undefined || Object.keys(byThread).length === 0) return '';
  const parts = Object.entries(byThread)
    .filter(([, ms]) => ms >= 0.5)
    .sort((a, b) => b[1] - a[1])
    .map(([name, ms]) => `${name} ${ms.toFixed(0)}`);
  return parts.length === 0 ? '' : `, of which ${parts.join(', ')}`;
}

/**
 * The main job's setting (its runs as `rvos main` composes them: light encoder + motion,
 * hidden 32, 5 slots, 64x64, batch 4, clip 4), ours and the peer alternating in the same run, one
 * thread each (one OpenMP thread for our native convolutions, `--threads 1` for PyTorch). Each
 * round is one process of ours (training: the mean of BENCH_MAIN_STEPS timed steps after
 * BENCH_MAIN_WARMUP untimed ones; inference: the best of as many frames) and one of the peer's (the mean of as many
 * steps); the rows are the minimum over BENCH_MAIN_ROUNDS rounds, the least disturbed on a shared
 * machine. Kernel calls per step: tf.profile of one step, with this step's fused kernels (training
 * batch norm, ReLU gradient, input normalisation), the one-node ConvLSTM step and convolution ops
 * and the summed gradients switched off ("before") and on. BENCH_STEP_OPS=0 times the step
 * without the one-node ops and summed gradients.
 */
function mainJob(mode: 'zero-shot' | 'one-shot'): void {
  const setting: SettingName = mode === 'zero-shot' ? 'main-zero' : 'main-one';
  const rounds = Number(process.env.BENCH_MAIN_ROUNDS ?? 3);
  const steps = Number(process.env.BENCH_MAIN_STEPS ?? 10);
  // Untimed steps first: after one, V8 is still compiling hot wasm and JavaScript on background
  // threads (~100 CPU ms a step over the next 20, ~30 by step 80; docs/speed.md). A training run's
  // 4000 steps run in the steady state. The peer's eager PyTorch has no JIT: one warm-up step.
  const warmup = Number(process.env.BENCH_MAIN_WARMUP ?? 30);
  // The peer always runs RVOS's ST; a main-job mode on another recurrence does other work a step.
  const recurrence = settingOf(setting).config.recurrence;
  const unlike = recurrence === 'ST' ? '' : ` (ours recurs ${recurrence}, the peer ST: not the same work)`;
  console.log(
    `\nmain job ${mode} (light encoder + motion, hidden 32, 5 slots, 64x64; train batch 4, clip 4${process.env.BENCH_MAIN_OVERRIDES ? `; ${process.env.BENCH_MAIN_OVERRIDES}` : ''}), one thread each, ${rounds} rounds alternating${unlike}`,
  );
  const ok = (r: JobResult | string): r is JobResult => typeof r !== 'string' && r.problem === undefined;
  const job = (variant: Job['variant'], measure: Job['measure'], unfused = false): JobResult | string =>
    runChild({ setting, variant, workers: 1, repeats: steps, warmup, measure, nativeThreads: 1, unfused });
  let variant: Job['variant'] = 'native';
  let ours: JobResult | null = null;
  let peer: PeerResult | null = null;
  let peerProblem: string | null = null;
  for (let r = 0; r < rounds; r++) {
    let o = job(variant, ['infer', 'train']);
    const problem = typeof o === 'string' ? o : o.problem;
    if (problem !== undefined && variant === 'native') {
      console.log(`  native: ${problem}; the wasm kernels instead`);
      variant = 'after';
      o = job(variant, ['infer', 'train']);
    }
    if (!ok(o)) {
      row('ours', o);
      return;
    }
    ours =
      ours === null
        ? o
        : {
            ...o,
            trainMeanMs: Math.min(ours.trainMeanMs!, o.trainMeanMs!),
            inferMs: Math.min(ours.inferMs!, o.inferMs!),
            trainCpuMeanMs: Math.min(ours.trainCpuMeanMs!, o.trainCpuMeanMs!),
          };
    const args = ['--backbone', 'light', '--motion', '--height', '64', '--width', '64', '--hidden', '32', '--slots', '5', '--batch', '4', '--clip', '4'];
    const p: PeerResult | string = peerProblem === null ? runPeerArgs([...args, '--mode', mode, '--threads', '1', '--repeats', String(steps)]) : peerProblem;
    if (typeof p === 'string') peerProblem = p;
    else
      peer =
        peer === null
          ? p
          : {
              ...p,
              train_ms_per_step: Math.min(peer.train_ms_per_step, p.train_ms_per_step),
              infer_ms_per_frame: Math.min(peer.infer_ms_per_frame, p.infer_ms_per_frame),
            };
    console.log(
      `  round ${r + 1}: ours ${fmt(o.trainMeanMs, 1)} ms/step (CPU ${fmt(o.trainCpuMeanMs, 1)} ms/step${threadSplit(o.trainCpuByThread)}; best step ${fmt(o.trainMs, 1)}), ${fmt(o.inferMs, 1)} ms/frame; ` +
        `${typeof p === 'string' ? `peer ${p}` : `${p.peer} ${p.train_ms_per_step} ms/step, ${p.infer_ms_per_frame} ms/frame`}  (load ${load()})`,
    );
  }
  const label = variant === 'native' ? 'ours (wasm + oneDNN)' : 'ours (wasm)';
  console.log(
    `  ${label.padEnd(24)} training ${fmt(ours!.trainMeanMs, 1)} ms/step (CPU ${fmt(ours!.trainCpuMeanMs, 1)} ms/step), inference ${fmt(ours!.inferMs, 1)} ms/frame`,
  );
  if (peer !== null) {
    console.log(`  ${(peer.peer + ', 1 thread').padEnd(24)} training ${peer.train_ms_per_step} ms/step, inference ${peer.infer_ms_per_frame} ms/frame`);
    console.log(
      `ratio main-job/pytorch: training ${fmt(ours!.trainMeanMs! / peer.train_ms_per_step, 2)}x, inference ${fmt(ours!.inferMs! / peer.infer_ms_per_frame, 2)}x`,
    );
  } else console.log(`  peer: ${peerProblem}`);
  const before = job(variant, ['calls'], true);
  const after = job(variant, ['calls']);
  if (ok(before) && ok(after)) {
    console.log(
      `  kernel calls per step: ${before.stepKernelCalls} with the step's fused kernels, one-node ops and gradient sums off, ${after.stepKernelCalls} with them`,
    );
  } else console.log(`  kernel calls: ${[before, after].map((r) => (typeof r === 'string' ? r : (r.problem ?? 'ok'))).join('; ')}`);
}

const fmt = (v: number | undefined, digits = 0): string => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));
const load = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

function row(label: string, r: JobResult | string): void {
  if (typeof r !== 'string' && r.problem !== undefined) r = r.problem;
  if (typeof r === 'string') {
    console.log(`  ${label.padEnd(22)} ${r}`);
    return;
  }
  const cells = [
    r.inferMs === undefined ? '–' : `${fmt(r.inferMs, 1)} ms/frame`,
    r.trainMs === undefined ? '–' : `${fmt(r.trainMs)} ms/step`,
    r.trainCriticalCpuMs === undefined ? '–' : `(cpu ${fmt(r.trainCriticalCpuMs)})`,
    r.evalFps === undefined ? '–' : `${fmt(r.evalFps, 1)} frames/s`,
    `RSS ${fmt(r.peakRssMiB)} MiB`,
    `wasm heap ${fmt(r.wasmHeapMiB)} MiB`,
  ];
  console.log(`  ${label.padEnd(22)} ${cells.map((c) => c.padEnd(16)).join(' ')}  (load ${r.load})`);
}

async function main(): Promise<void> {
  console.log(`bench/speed: ${os.cpus().length} cores, load average ${load()}; repeats ${REPEATS}`);
  console.log(
    `  columns: inference (batch 1) | training wall (trainer step) | CPU time of its busiest thread | evaluation pipeline | peak process RSS | peak wasm heap of the main thread`,
  );
  console.log(
    `  on a shared machine a process gets one share of the CPU however many threads it runs (Linux autogroup), so compare workers=2 by the busiest thread's CPU time`,
  );
  const only = process.env.BENCH_ONLY;
  if (only === undefined || only === 'main') for (const mode of ['zero-shot', 'one-shot'] as const) mainJob(mode);
  if (only === 'main') return;
  const variants = (process.env.BENCH_VARIANTS ?? 'before,after,native').split(',');
  const settings: { name: SettingName; label: string; peer: 'zero-shot' | 'one-shot' | null }[] = [
    { name: 'small-zero', label: 'RVOS-small zero-shot (resnet18, 128x224, hidden 128, 10 slots; train batch 2, clip 3)', peer: 'zero-shot' },
    { name: 'small-one', label: 'RVOS-small one-shot (same)', peer: 'one-shot' },
    { name: 'light-zero', label: 'main-job light config zero-shot (light encoder, 64x64, hidden 32, 3 slots; train batch 4, clip 4)', peer: null },
    { name: 'light-one', label: 'main-job light config one-shot (same)', peer: null },
  ];
  for (const s of settings.filter((x) => only === undefined || x.name.startsWith(only))) {
    console.log(`\n${s.label}`);
    const skipped = (): string => `skipped (BENCH_VARIANTS=${variants.join(',')})`;
    const run = (variant: Job['variant'], workers: number, measure: Job['measure']): JobResult | string =>
      variants.includes(variant) ? runChild({ setting: s.name, variant, workers, repeats: REPEATS, measure }) : skipped();
    const before = run('before', 1, ['infer', 'train', 'eval']);
    row('tfjs-wasm before', before);
    const after = run('after', 1, ['infer', 'train', 'eval']);
    row('tfjs-wasm after', after);
    const parallel = run('after', 2, ['train']);
    row('after, workers=2', parallel);
    const native = run('native', 1, ['infer', 'train', 'eval']);
    row('native (oneDNN)', native);
    const nativeParallel = run('native', 2, ['train']);
    row('native, workers=2', nativeParallel);
    const ok = (r: JobResult | string): r is JobResult => typeof r !== 'string' && r.problem === undefined;
    if (ok(after) && ok(native)) {
      const perMin = (r: JobResult) => 60_000 / r.trainMs!;
      console.log(
        `  speed-up native/wasm (after): inference ${fmt(after.inferMs! / native.inferMs!, 2)}x, training ${fmt(after.trainMs! / native.trainMs!, 2)}x ` +
          `(${fmt(perMin(native), 1)} vs ${fmt(perMin(after), 1)} steps/min), evaluation ${fmt(native.evalFps! / after.evalFps!, 2)}x`,
      );
    }
    if (ok(before) && ok(after)) {
      console.log(
        `  speed-up after/before: inference ${fmt(before.inferMs! / after.inferMs!, 2)}x, training ${fmt(before.trainMs! / after.trainMs!, 2)}x, evaluation ${fmt(after.evalFps! / before.evalFps!, 2)}x`,
      );
    }
    if (ok(after) && ok(parallel)) {
      const cpu =
        after.trainCriticalCpuMs !== undefined && parallel.trainCriticalCpuMs !== undefined
          ? `; busiest-thread CPU time ${fmt(after.trainCriticalCpuMs / parallel.trainCriticalCpuMs, 2)}x (the speed-up with a free core per thread)`
          : '';
      console.log(`  workers=2 vs 1: wall ${fmt(after.trainMs! / parallel.trainMs!, 2)}x${cpu}`);
    }
    if (s.peer === null && process.env.BENCH_STEPS !== '0' && variants.includes('after') && variants.includes('native')) {
      // The main job's setting as `npm start` runs it: one of two concurrent runs (native share 2).
      const steps = Number(process.env.BENCH_STEPS ?? 60);
      const short = (variant: Job['variant']) => runChild({ setting: s.name, variant, workers: 1, repeats: 1, measure: ['steps'], steps, nativeShare: 2 });
      const [w, n] = [short('after'), short('native')];
      if (ok(w) && ok(n)) {
        console.log(
          `  ${steps} consecutive training steps, as one of the main job's 2 runs: wasm ${fmt(w.stepsPerMin, 1)} steps/min (cpu ${fmt(w.stepsCpuMs)} ms/step), ` +
            `native ${fmt(n.stepsPerMin, 1)} steps/min (cpu ${fmt(n.stepsCpuMs)} ms/step): ${fmt(n.stepsPerMin! / w.stepsPerMin!, 2)}x steps/min (target ≥ 2.5x)  (load ${load()})`,
        );
      } else console.log(`  short run: ${typeof w === 'string' ? w : typeof n === 'string' ? n : (w.problem ?? n.problem)}`);
    }
    if (s.peer === null) continue;
    const peer = runPeer(s.peer);
    if (typeof peer === 'string') {
      console.log(`  peer: ${peer}`);
      continue;
    }
    console.log(`  ${peer.peer} (2 threads): inference ${peer.infer_ms_per_frame} ms/frame, training ${peer.train_ms_per_step} ms/step  (load ${load()})`);
    const ratio = (ours: number | undefined, theirs: number): string => fmt((ours ?? NaN) / theirs, 2) + 'x';
    const best = ok(parallel) ? parallel.trainMs : undefined;
    console.log(
      `  ratio tfjs/pytorch: inference before ${ratio(ok(before) ? before.inferMs : undefined, peer.infer_ms_per_frame)}, after ${ratio(ok(after) ? after.inferMs : undefined, peer.infer_ms_per_frame)} (target ≤ 1); ` +
        `training before ${ratio(ok(before) ? before.trainMs : undefined, peer.train_ms_per_step)}, after ${ratio(ok(after) ? after.trainMs : undefined, peer.train_ms_per_step)}, after + workers=2 ${ratio(best, peer.train_ms_per_step)} (target ≤ 1.5)`,
    );
    if (ok(native)) {
      // Training: the faster native row (workers=1 with every thread in oneDNN, or workers=2).
      const nativeTrain = ok(nativeParallel) && nativeParallel.trainMs! < native.trainMs! ? nativeParallel : native;
      console.log(
        `ratio native/pytorch: inference ${ratio(native.inferMs, peer.infer_ms_per_frame)}, training ${ratio(nativeTrain.trainMs, peer.train_ms_per_step)}`,
      );
      console.log(`  (native training from the ${nativeTrain === native ? 'workers=1' : 'workers=2'} row; targets: inference ≤ 1.0x, training ≤ 1.5x)`);
    }
  }
  if (process.env.BENCH_PROFILE !== '0' && (only === undefined || only === 'small')) {
    for (const variant of (['after', 'native'] as const).filter((v) => variants.includes(v))) {
      const profile = runChild({ setting: 'small-zero', variant, workers: 1, repeats: 1, measure: ['profile'] });
      if (typeof profile === 'string' || profile.problem !== undefined)
        console.log(`\nprofile (${variant}): ${typeof profile === 'string' ? profile : profile.problem}`);
      else console.log(`\n${profile.profile}`);
    }
  }
  if (process.env.BENCH_GFLOPS !== '0' && variants.includes('native')) {
    const g = runChild({ setting: 'small-zero', variant: 'native', workers: 1, repeats: REPEATS + 1, measure: ['gflops'] });
    console.log(`\n${typeof g === 'string' ? `GFLOP/s: ${g}` : (g.problem ?? g.gflops)}`);
  }
}

const jobIndex = process.argv.indexOf('--job');
if (jobIndex >= 0) {
  const result = await runJob(JSON.parse(process.argv[jobIndex + 1]!) as Job);
  console.log(JSON.stringify(result));
} else {
  await main();
}
