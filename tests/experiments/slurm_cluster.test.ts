// launcher=slurm against a real Slurm (the one-node cluster of `scripts/slurm-local.sh up`; .ci/run
// starts it). Skipped with a message where no Slurm answers.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const PARTITION = 'debug';
const up = spawnSync('sinfo', ['-h', '-p', PARTITION, '-o', '%t'], { encoding: 'utf8' });
const slurmUp = up.status === 0 && /^(idle|mix|alloc)/m.test(up.stdout);
if (!slurmUp)
  console.warn(`slurm tests skipped: no Slurm partition '${PARTITION}' answers here (start the test cluster with \`scripts/slurm-local.sh up\`, as root)`);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-slurm-'));
// Tiny settings: 4 runs share 2 CPU cores with everything else on the machine.
const TINY = [
  'backend=wasm',
  `data.root=${root}/data`,
  'data.size=[32,32]',
  'data.batch_size=2',
  'data.clip_length=3',
  'data.max_objects=3',
  'data.synth.train_videos=4',
  'data.synth.val_videos=3',
  'data.synth.test_videos=3',
  'data.synth.frames=5',
  'model.hidden=8',
  'train.steps=30',
  'train.val_every=10',
  'train.ckpt_every=100',
];
const SLURM = ['launcher=slurm', `launcher.partition=${PARTITION}`, 'launcher.poll_s=1'];
const submitted = new Set<string>();

function rvos(args: string[]): { done: Promise<{ code: number | null; out: string }> } {
  const child = spawn(process.execPath, ['bin/rvos.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return { done: new Promise((resolve) => child.on('exit', (code) => resolve({ code, out }))) };
}

async function until<T>(what: string, probe: () => T | undefined | false, seconds = 240): Promise<T> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const arrayIds = (sweep: string) => {
  const dir = path.join(sweep, '.slurm');
  const ids = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => /^\d+\.sbatch$/.test(f))
        .map((f) => f.split('.')[0]!)
    : [];
  ids.forEach((id) => submitted.add(id));
  return ids;
};
const summary = (sweep: string) =>
  JSON.parse(fs.readFileSync(path.join(sweep, 'summary.json'), 'utf8')).jobs as {
    index: number;
    status: string;
    error?: string;
    results?: { global: Record<string, number>; steps: number; resumedFrom: number | null };
  }[];
/** report.md without the runs table (its train-seconds column differs run to run). */
// The report's numbers without what depends on the machine's load (the Runs table's timings and the
// speed columns, CPU ms/frame and fps): those differ between any two runs, whatever the launcher.
const reportNumbers = (sweep: string) => withoutSpeedColumns(fs.readFileSync(path.join(sweep, 'report.md'), 'utf8').replace(/## Runs\n\n(\|.*\n)+/, ''));

function withoutSpeedColumns(markdown: string): string {
  let drop: number[] = [];
  return markdown
    .split('\n')
    .map((line) => {
      if (!line.startsWith('|')) {
        drop = [];
        return line;
      }
      const cells = line.split('|');
      if (drop.length === 0 && cells.some((c) => /ms\/frame|fps/.test(c))) drop = cells.flatMap((c, i) => (/ms\/frame|fps/.test(c) ? [i] : []));
      return cells.filter((_, i) => !drop.includes(i)).join('|');
    })
    .join('\n');
}

afterAll(() => {
  // Leave nothing queued on the cluster (only the arrays these tests submitted).
  if (submitted.size > 0) spawnSync('scancel', [...submitted]);
});

describe.skipIf(!slurmUp)('launcher=slurm on a real Slurm', () => {
  const local = path.join(root, 'local');

  it('2 seeds × 2 modes: one job array, progress lines, and the same report numbers as launcher=local', async () => {
    const sweep = path.join(root, 'slurm');
    const axes = ['seed=1,2', 'model.mode=zero_shot,one_shot'];
    const s = await rvos(['train', '-m', ...axes, ...TINY, ...SLURM, '--run-dir', sweep]).done;
    arrayIds(sweep);
    // The local sweep first: the requeue test below compares with it.
    const l = await rvos(['train', '-m', ...axes, ...TINY, 'launcher=local', '--run-dir', local]).done;
    expect(s.code, s.out).toBe(0);
    expect(l.code, l.out).toBe(0);
    expect(arrayIds(sweep)).toHaveLength(1);
    // Progress lines (how many are queued at the first poll depends on how fast tasks start).
    expect(s.out).toMatch(/slurm array \d+: [1-4] queued, [0-3] running, 0 done, 0 failed/);
    expect(s.out).toMatch(/slurm array \d+: 0 queued, 0 running, 4 done, 0 failed/);
    const [a, b] = [summary(sweep), summary(local)];
    expect(a.map((j) => j.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    for (const [i, job] of a.entries()) {
      expect(job.results!.steps).toBe(30);
      expect(job.results!.global, `job ${i}`).toEqual(b[i]!.results!.global);
    }
    // The batch script and one log per task are kept in the sweep folder.
    const id = arrayIds(sweep)[0]!;
    for (const i of [0, 1, 2, 3])
      expect(fs.readFileSync(path.join(sweep, '.slurm', `${id}_${i}.log`), 'utf8')).toContain(`[rvos] job ${i} (${id}_${i}) attempt 1`);
    for (const dir of [sweep, local]) expect((await rvos(['report', dir, '--title', 'zero vs one shot']).done).code).toBe(0);
    expect(reportNumbers(sweep)).toBe(reportNumbers(local));
    expect(reportNumbers(sweep)).toMatch(/model\.mode=one_shot/);
  }, 600_000);

  it('a task sent the time-limit signal (SIGUSR1) checkpoints, requeues itself and resumes to the uninterrupted weights', async () => {
    const sweep = path.join(root, 'requeue');
    const run = rvos(['train', '-m', 'seed=1', 'model.mode=zero_shot', ...TINY, ...SLURM, '--run-dir', sweep]);
    const id = await until('the submission', () => arrayIds(sweep)[0]);
    const log = path.join(sweep, '.slurm', `${id}_0.log`);
    // Signal once training has begun (and well before its 30 steps end).
    await until('training to start', () => fs.existsSync(log) && /step \d+\/30/.test(fs.readFileSync(log, 'utf8')));
    expect(spawnSync('scancel', ['--batch', '--signal=USR1', `${id}_0`]).status).toBe(0);
    await until('the requeue', () => spawnSync('squeue', ['-h', '-j', `${id}_0`, '-o', '%T'], { encoding: 'utf8' }).stdout.includes('PENDING'));
    // Slurm holds a requeued job for about two minutes; let it start sooner, but not at once: a
    // start within the second of the requeue fails with "Job credential revoked" (docs/slurm.md).
    await new Promise((r) => setTimeout(r, 10_000));
    spawnSync('scontrol', ['update', `JobId=${id}_0`, 'StartTime=now']);
    const { code, out } = await run.done;
    expect(code, out).toBe(0);
    const text = fs.readFileSync(log, 'utf8');
    expect(text).toMatch(/PreemptedError: SIGUSR1 at step \d+\/30/);
    expect(text).toContain(`${id}_0: requeued after USR1 (requeue 1 of 3)`);
    expect(text).toContain(`[rvos] job 0 (${id}_0) attempt 2`);
    const [job] = summary(sweep);
    expect(job!.status).toBe('ok');
    expect(job!.results!.resumedFrom).toBeGreaterThan(0);
    expect(job!.results!.resumedFrom).toBeLessThan(30);
    // Weights and Adam moments at step 30 are bit-identical to the uninterrupted local run's job 0.
    const tensors = (dir: string) => fs.readFileSync(path.join(dir, '0', 'checkpoints', 'step-000030', 'tensors.bin'));
    expect(tensors(sweep).equals(tensors(local))).toBe(true);
    expect(job!.results!.global).toEqual(summary(local)[0]!.results!.global);
  }, 600_000);

  it('a failing task is reported with its log path while the others finish; --no-wait, then `rvos report` collects', async () => {
    const sweep = path.join(root, 'failing');
    const axes = ['encoder.pretrained=null,/nonexistent/model.json'];
    const short = [...TINY, 'train.steps=2', 'train.val_every=2'];
    const w = await rvos(['train', '-m', ...axes, ...short, ...SLURM, '--run-dir', sweep]).done;
    arrayIds(sweep);
    expect(w.code).toBe(1);
    const first = arrayIds(sweep)[0]!;
    expect(w.out).toContain(`array task ${first}_1 exit code 1; log: ${path.join(sweep, '.slurm', `${first}_1.log`)}`);
    expect(w.out).toContain('sweep done: 1 ok, 1 failed');
    // Resubmit the failed job only, without waiting.
    const n = await rvos(['train', '-m', ...axes, ...short, ...SLURM, '--run-dir', sweep, '--resume', '--no-wait']).done;
    expect(n.code, n.out).toBe(0);
    expect(n.out).toMatch(/submitted array job \d+: 1 task\(s\)/);
    const second = await until('the second submission', () => arrayIds(sweep).find((i) => i !== first));
    expect(summary(sweep).map((j) => j.status)).toEqual(['skipped', 'pending']);
    await until(
      'the resubmitted task to end',
      () =>
        fs.existsSync(path.join(sweep, '.slurm', 'exit', '1.json')) &&
        fs.readFileSync(path.join(sweep, '.slurm', 'exit', '1.json'), 'utf8').includes(`${second}_1`),
    );
    expect((await rvos(['report', sweep]).done).code).toBe(0);
    const collected = summary(sweep);
    expect(collected.map((j) => j.status)).toEqual(['ok', 'failed']);
    expect(collected[1]!.error).toContain(path.join(sweep, '.slurm', `${second}_1.log`));
  }, 600_000);

  it('an unknown partition and an impossible request: one-line errors, no sweep folder left', async () => {
    for (const [override, message] of [
      ['launcher.partition=nope', `launcher.partition=nope is not a partition of this cluster (it has: ${PARTITION}); set launcher.partition`],
      ['launcher.cpus_per_task=512', 'lower them or choose another launcher.partition'],
    ] as const) {
      const sweep = path.join(root, `bad-${override.split('=')[0]}`);
      const r = await rvos(['train', '-m', 'seed=1,2', ...TINY, ...SLURM, override, '--run-dir', sweep]).done;
      expect(r.code).toBe(1);
      const errors = r.out.split('\n').filter((l) => l.startsWith('rvos train:'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(message);
      expect(r.out).not.toMatch(/\n\s+at /);
      expect(fs.existsSync(sweep)).toBe(false);
    }
  }, 600_000);
});
