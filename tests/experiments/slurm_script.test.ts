// launcher=slurm without a cluster: the sbatch options, the batch script run by bash with stand-ins
// for node and scontrol, task states, and the errors when Slurm is missing.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeConfig, listGroupOptions, type SlurmLauncherConfig } from '../../src/config/index.js';
import { arraySpec, batchScript, sbatchOptions, shellQuote, type BatchScriptOptions } from '../../src/experiments/launch/slurm/batch_script.js';
import { taskView } from '../../src/experiments/launch/slurm/task_state.js';
import { launchSweep } from '../../src/experiments/launch/launcher.js';
import { ConfigError } from '../../src/utils/errors.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-slurm-unit-'));

function slurmConfig(overrides: string[] = []): SlurmLauncherConfig {
  const launcher = composeConfig({ configDir: 'configs', overrides: ['launcher=slurm', ...overrides] }).config.launcher;
  if (launcher.name !== 'slurm') throw new Error('launcher=slurm did not compose');
  return launcher;
}

function scriptOptions(dir: string, config: SlurmLauncherConfig, node = '/usr/bin/node'): BatchScriptOptions {
  return {
    config,
    sweepDir: path.join(dir, 'sweep'),
    cwd: dir,
    jobs: [
      { index: 0, overrides: ['seed=1'] },
      { index: 1, overrides: ['seed=2', "run.name=it's a test", 'model.inputs=[prev_mask]'] },
    ],
    extraArgs: ['--config-dir', 'configs'],
    node,
    rvosBin: '/opt/rvos/bin/rvos.mjs',
    signalsPreload: '/opt/rvos/bin/rvos-signals.mjs',
    jobName: 'rvos-test',
  };
}

describe('launcher=slurm config', () => {
  it('every named experiment runs on it (launcher=slurm replaces their local launcher)', () => {
    const names = listGroupOptions('configs', 'experiment');
    expect(names.length).toBeGreaterThan(3);
    for (const name of names)
      expect(composeConfig({ configDir: 'configs', overrides: [`experiment=${name}`, 'launcher=slurm'] }).config.launcher.name, name).toBe('slurm');
  });

  it('an unknown key lists the keys of the launcher chosen', () => {
    expect(() => slurmConfig(['+launcher.jobs=2'])).toThrow(/launcher\.jobs .*unknown key.*Known keys here: name, timeout_min, cpus_per_task/);
    expect(() => composeConfig({ configDir: 'configs', overrides: ['launcher=local', '+launcher.partition=x'] })).toThrow(/Known keys here: name, jobs\./);
  });
});

describe('sbatch options', () => {
  it('maps the submitit keys, gres and extra flags', () => {
    const config = slurmConfig([
      'launcher.gpus_per_node=2',
      'launcher.gres=nvme:1',
      'launcher.mem_gb=1.5',
      'launcher.partition=gpu',
      'launcher.qos=high',
      'launcher.account=lab',
      'launcher.timeout_min=120',
      'launcher.signal_delay_s=60',
      'launcher.array_parallelism=3',
      'launcher.cpus_per_task=4',
      'launcher.additional_parameters={constraint: a100, exclusive: true, mail_type: END, requeue_off: false}',
    ]);
    const opts = sbatchOptions(scriptOptions('/x', config));
    expect(opts).toEqual(
      expect.arrayContaining([
        '--array=0-1%3',
        '--time=120',
        '--cpus-per-task=4',
        '--gres=gpu:2,nvme:1',
        '--mem=1536M',
        '--partition=gpu',
        '--qos=high',
        '--account=lab',
        '--signal=B:USR1@60',
        '--constraint=a100',
        '--exclusive',
        '--mail-type=END',
        '--output=/x/sweep/.slurm/%A_%a.log',
        '--requeue',
        '--open-mode=append',
      ]),
    );
    expect(opts.some((o) => o.startsWith('--requeue-off'))).toBe(false);
    // Defaults: no partition/gres/mem flags at all, and no signal when signal_delay_s=0.
    const plain = sbatchOptions(scriptOptions('/x', slurmConfig(['launcher.signal_delay_s=0'])));
    expect(plain.filter((o) => /^--(partition|gres|mem|qos|account|signal)=/.test(o))).toEqual([]);
  });

  it('array lists, quoting, and bad extra flags', () => {
    expect(arraySpec([5, 0, 1, 2, 8, 7])).toBe('0-2,5,7-8');
    expect(arraySpec([3])).toBe('3');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('seed=1')).toBe('seed=1');
    expect(() => sbatchOptions(scriptOptions('/x', slurmConfig(['launcher.additional_parameters={"--bad": 1}'])))).toThrow(ConfigError);
    // A percent sign in the sweep folder is escaped so that Slurm does not expand it.
    expect(sbatchOptions({ ...scriptOptions('/x', slurmConfig()), sweepDir: '/a%b' })).toContain('--output=/a%%b/.slurm/%A_%a.log');
  });
});

/** Runs the batch script as Slurm would (env of array task 1), with fake node and scontrol. */
function runScript(dir: string, fakeNode: string, env: Record<string, string>, config = slurmConfig(['launcher.max_num_timeout=2'])) {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'node'), `#!/bin/bash\nprintf '%s\\n' "$@" > ${dir}/args\n${fakeNode}\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'scontrol'), `#!/bin/bash\necho "$@" >> ${dir}/scontrol\n`, { mode: 0o755 });
  const script = path.join(dir, 'job.sbatch');
  fs.writeFileSync(script, batchScript(scriptOptions(dir, config, path.join(bin, 'node'))));
  return spawn('bash', [script], {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_JOB_ID: '99', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function ended(child: ReturnType<typeof spawn>): Promise<{ code: number | null; out: string }> {
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

const exitRecord = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'sweep', '.slurm', 'exit', '1.json'), 'utf8'));

describe('the batch script (bash, stand-ins for node and scontrol)', () => {
  it('runs the setup lines, then its task with the overrides intact, and records the exit code', async () => {
    const dir = tmp();
    const config = slurmConfig(['launcher.setup=["export MARK=from-setup", "echo $UNSET_IN_SETUP_IS_FINE"]']);
    const { code } = await ended(runScript(dir, `echo "$MARK $RVOS_JOB_INDEX $RVOS_NATIVE_SHARE" > ${dir}/env\nexit 3`, { SLURM_CPUS_PER_TASK: '1' }, config));
    expect(code).toBe(3);
    // One CPU per task: the native convolutions get one thread (cores / share).
    expect(fs.readFileSync(path.join(dir, 'env'), 'utf8').trim()).toBe(`from-setup 1 ${os.availableParallelism()}`);
    const args = fs.readFileSync(path.join(dir, 'args'), 'utf8').trim().split('\n');
    expect(args).toEqual([
      '--import',
      'file:///opt/rvos/bin/rvos-signals.mjs',
      '/opt/rvos/bin/rvos.mjs',
      'train',
      '--run-dir',
      path.join(dir, 'sweep', '1'),
      '--resume=auto',
      '--config-dir',
      'configs',
      'seed=2',
      "run.name=it's a test",
      'model.inputs=[prev_mask]',
    ]);
    expect(exitRecord(dir)).toMatchObject({ array_task: '99_1', code: 3, signal: '', restarts: 0 });
    expect(fs.existsSync(path.join(dir, 'scontrol'))).toBe(false);
  });

  // The stand-in for rvos exits 75 (checkpointed) when the forwarded SIGUSR1 reaches it.
  const stoppable = `trap 'exit 75' USR1\nwhile :; do sleep 0.05; done`;

  it('SIGUSR1 (time-limit warning) is forwarded; the task requeues itself by its array task id', async () => {
    const dir = tmp();
    const child = runScript(dir, stoppable, { SLURM_RESTART_COUNT: '1' });
    const result = ended(child);
    while (!fs.existsSync(path.join(dir, 'args'))) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGUSR1');
    const { code, out } = await result;
    expect(code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'scontrol'), 'utf8').trim()).toBe('requeue 99_1');
    expect(out).toContain('requeued after USR1 (requeue 2 of 2)');
    // Requeued: no exit file, the launcher keeps waiting.
    expect(fs.existsSync(path.join(dir, 'sweep', '.slurm', 'exit', '1.json'))).toBe(false);
  });

  it('stops requeueing at max_num_timeout and reports the task as ended', async () => {
    const dir = tmp();
    const child = runScript(dir, stoppable, { SLURM_RESTART_COUNT: '2' });
    const result = ended(child);
    while (!fs.existsSync(path.join(dir, 'args'))) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGUSR1');
    const { code, out } = await result;
    expect(code).toBe(75);
    expect(fs.existsSync(path.join(dir, 'scontrol'))).toBe(false);
    expect(out).toContain('reached launcher.max_num_timeout=2');
    expect(exitRecord(dir)).toMatchObject({ code: 75, signal: 'USR1', restarts: 2 });
  });

  it('SIGTERM long before the time limit (scancel) is not requeued', async () => {
    const dir = tmp();
    const child = runScript(dir, `trap 'exit 75' TERM\nwhile :; do sleep 0.05; done`, {});
    const result = ended(child);
    while (!fs.existsSync(path.join(dir, 'args'))) await new Promise((r) => setTimeout(r, 50));
    // Slurm signals every process of the task; here the shell and the stand-in.
    child.kill('SIGTERM');
    spawnSync('pkill', ['-TERM', '-P', String(child.pid)]);
    const { code } = await result;
    expect(code).toBe(75);
    expect(fs.existsSync(path.join(dir, 'scontrol'))).toBe(false);
    expect(exitRecord(dir)).toMatchObject({ code: 75, signal: 'TERM' });
  });
});

describe('task states', () => {
  const exit = (code: number) => ({ array_task: '5_0', code, signal: '', restarts: 0, seconds: 1 });
  it('Slurm wins while active; the exit file once it has let go', () => {
    expect(taskView(0, 'PENDING', undefined).phase).toBe('queued');
    expect(taskView(0, 'RUNNING', undefined).phase).toBe('running');
    // A pre-empted task Slurm requeued may have left an exit file: it is still queued.
    expect(taskView(0, 'PENDING', exit(75)).phase).toBe('queued');
    expect(taskView(0, 'COMPLETED', exit(0)).phase).toBe('done');
    expect(taskView(0, undefined, exit(0)).phase).toBe('done');
    expect(taskView(0, 'FAILED', exit(1))).toMatchObject({ phase: 'failed', reason: 'exit code 1' });
    expect(taskView(0, 'CANCELLED', undefined)).toMatchObject({ phase: 'failed' });
    expect(taskView(0, 'CANCELLED', undefined).reason).toContain('without an exit status');
  });
});

describe('launcher=slurm where Slurm is missing', () => {
  it('one-line error naming what to do, and no sweep folder left behind', async () => {
    const root = tmp();
    const sweepDir = path.join(root, 'multirun', 'x');
    fs.mkdirSync(sweepDir, { recursive: true });
    fs.writeFileSync(path.join(sweepDir, 'multirun.yaml'), 'jobs: []\n');
    const empty = path.join(root, 'empty-path');
    fs.mkdirSync(empty);
    const saved = process.env.PATH;
    process.env.PATH = empty;
    try {
      await expect(
        launchSweep([{ index: 0, overrides: ['seed=1'] }], { sweepDir, jobs: 1, slurm: { config: slurmConfig(), wait: true, log: () => undefined } }),
      ).rejects.toThrow(/^`sbatch` is not on PATH: .*scripts\/slurm-local\.sh up.*launcher=local$/);
    } finally {
      process.env.PATH = saved;
    }
    expect(fs.existsSync(sweepDir)).toBe(false);
  });
});
