/**
 * The sbatch script of a sweep: one job array, one array task per sweep job (task id = job index),
 * each running `rvos train --run-dir <sweep>/<index> --resume=auto <overrides>`. The script is complete
 * on its own (the #SBATCH lines hold every option), so `sbatch <script>` resubmits it by hand.
 *
 * Time limits and pre-emption (docs/slurm.md): Slurm sends SIGUSR1 to this shell `signal_delay_s`
 * before the limit; the shell forwards it to `rvos train`, which checkpoints and exits with
 * PREEMPTED_EXIT_CODE; the shell then requeues its own array task (at most `max_num_timeout`
 * times) and the next attempt resumes from the checkpoint. Every finished attempt that is not
 * requeued leaves `.slurm/exit/<index>.json` (exit code, array task), which the launcher reads.
 */
import { pathToFileURL } from 'node:url';
import type { SlurmLauncherConfig } from '../../../config/index.js';
import { ConfigError } from '../../../utils/errors.js';
import { PREEMPTED_EXIT_CODE } from '../../../train/preemption.js';

export interface ArrayJob {
  index: number;
  overrides: string[];
}

export interface BatchScriptOptions {
  config: SlurmLauncherConfig;
  /** Absolute sweep folder; run folders are `<sweepDir>/<index>`. */
  sweepDir: string;
  /** Working directory of every task (relative paths in the config resolve against it). */
  cwd: string;
  /** The jobs this submission runs (array task id = job index). */
  jobs: ArrayJob[];
  /** Arguments of `rvos train` before the overrides (e.g. --config-dir). */
  extraArgs: string[];
  /** First attempts start their run folder over (`--overwrite`); requeued attempts always resume. */
  overwrite?: boolean;
  /** Node.js executable, the rvos entry script and its signal preload (bin/rvos-signals.mjs) on the nodes. */
  node: string;
  rvosBin: string;
  signalsPreload: string;
  jobName: string;
}

/** Quotes a word for bash (single quotes; a single quote becomes '\''). */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Array indexes as sbatch's --array list: [0,1,2,5,7,8] → '0-2,5,7-8'. */
export function arraySpec(indexes: number[]): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Slurm expands %A, %a, %j ... in file names; a literal % is written %%. */
function slurmPath(file: string): string {
  return file.replaceAll('%', '%%');
}

/** The sbatch options of a submission, as `--key=value` words. */
export function sbatchOptions(options: BatchScriptOptions): string[] {
  const c = options.config;
  const logs = `${slurmPath(options.sweepDir)}/.slurm/%A_%a.log`;
  const out = [
    `--job-name=${options.jobName}`,
    `--array=${arraySpec(options.jobs.map((j) => j.index))}%${c.array_parallelism}`,
    `--output=${logs}`,
    `--error=${logs}`,
    // A requeued attempt appends to the same log instead of replacing it.
    '--open-mode=append',
    '--requeue',
    `--chdir=${options.cwd}`,
    `--time=${c.timeout_min}`,
    `--nodes=${c.nodes}`,
    `--ntasks-per-node=${c.tasks_per_node}`,
    `--cpus-per-task=${c.cpus_per_task}`,
  ];
  // B: = only this batch shell gets the signal; it forwards it to `rvos train` and requeues.
  if (c.signal_delay_s > 0) out.push(`--signal=B:USR1@${c.signal_delay_s}`);
  if (c.mem_gb !== null) out.push(`--mem=${Math.ceil(c.mem_gb * 1024)}M`);
  const gres = [...(c.gpus_per_node > 0 ? [`gpu:${c.gpus_per_node}`] : []), ...(c.gres === null ? [] : [c.gres])];
  if (gres.length > 0) out.push(`--gres=${gres.join(',')}`);
  if (c.partition !== null) out.push(`--partition=${c.partition}`);
  if (c.qos !== null) out.push(`--qos=${c.qos}`);
  if (c.account !== null) out.push(`--account=${c.account}`);
  for (const [key, value] of Object.entries(c.additional_parameters)) {
    if (!/^[a-z][a-z0-9_-]*$/i.test(key))
      throw new ConfigError(`launcher.additional_parameters: '${key}' is not an sbatch option name; write it without dashes, e.g. {constraint: a100}`);
    if (value === false) continue;
    const flag = `--${key.replaceAll('_', '-')}`;
    if (value === true) out.push(flag);
    else if (/[\n\r]/.test(String(value))) throw new ConfigError(`launcher.additional_parameters.${key}: the value must be one line`);
    else out.push(`${flag}=${value}`);
  }
  for (const word of out) {
    if (/[\n\r]/.test(word)) throw new ConfigError(`launcher: the sbatch option '${word.split('=')[0]}' must be one line`);
  }
  return out;
}

/** The batch script text. */
export function batchScript(options: BatchScriptOptions): string {
  const c = options.config;
  const q = shellQuote;
  const directives = sbatchOptions(options).map((o) => `#SBATCH ${/\s|"/.test(o) ? `"${o.replaceAll('"', '\\"')}"` : o}`);
  const cases = options.jobs.map((j) => `  ${j.index}) overrides=(${j.overrides.map(q).join(' ')}) ;;`);
  const train = [
    q(options.node),
    '--import',
    q(pathToFileURL(options.signalsPreload).href),
    q(options.rvosBin),
    'train',
    '--run-dir',
    '"$run_dir"',
    '"$start"',
    ...options.extraArgs.map(q),
    '"${overrides[@]}"',
  ];
  return `#!/bin/bash
${directives.join('\n')}
# A sweep of rvos (${options.jobs.length} job(s)): array task N runs sweep job N into ${options.sweepDir}/N.
# Written by rvos (src/experiments/launch/slurm/batch_script.ts); resubmit with \`sbatch <this file>\`.
${c.setup.join('\n')}
# After the setup lines: \`module load\` and venv scripts often read unset variables.
set -uo pipefail
task=\${SLURM_ARRAY_TASK_ID:?submit this script with sbatch: it is a job array}
case "$task" in
${cases.join('\n')}
  *) echo "[rvos] sweep job $task is not in this script" >&2; exit 2 ;;
esac
sweep=${q(options.sweepDir)}
run_dir="$sweep/$task"
# The array task's own id: \`scontrol requeue $SLURM_JOB_ID\` could name the whole array.
array_task="\${SLURM_ARRAY_JOB_ID}_$task"
restarts=\${SLURM_RESTART_COUNT:-0}
mkdir -p "$run_dir" "$sweep/.slurm/exit"
start=${options.overwrite === true ? '--overwrite' : '--resume=auto'}
if [ "$restarts" -gt 0 ]; then
  start=--resume=auto
  # Slurm requeues a task only once its previous attempt has ended, so a run-folder lock still
  # there is that attempt's (killed, perhaps on another node, where its pid cannot be checked).
  rm -f "$run_dir/.rvos.lock"
fi
echo "[rvos] job $task ($array_task) attempt $((restarts + 1)) on $(hostname) at $(date -Is): \${overrides[*]}"
signal=
child=
trap 'signal=USR1; [ -n "$child" ] && kill -USR1 "$child" 2>/dev/null' USR1
# SIGTERM (cancel, pre-emption, the time limit itself) reaches rvos from Slurm directly.
trap 'signal=TERM' TERM
export RVOS_JOB_INDEX="$task"
# oneDNN convolution threads (src/backend/native) = the task's CPUs: rvos gives each run the
# node's cores divided by RVOS_NATIVE_SHARE. (The thread count changes float summation order,
# so launcher=local with jobs=J matches a Slurm task with cores/J CPUs.)
cores=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)
cpus=\${SLURM_CPUS_PER_TASK:-${c.cpus_per_task}}
export RVOS_NATIVE_SHARE=$(( (cores + cpus - 1) / cpus ))
${train.join(' ')} &
child=$!
# \`wait\` returns early when a trapped signal arrives: wait until the run has really ended.
while kill -0 "$child" 2>/dev/null; do wait "$child"; done
wait "$child"
code=$?
# ${PREEMPTED_EXIT_CODE}: rvos checkpointed and stopped on a signal; 143: SIGTERM ended it before training began.
if [ "$code" = ${PREEMPTED_EXIT_CODE} ] || { [ "$signal" = TERM ] && [ "$code" = 143 ]; }; then
  # USR1 is the time-limit warning; a TERM within a minute of the limit is the limit itself
  # (signal_delay_s=0). Other TERMs (scancel, a pre-emption that Slurm requeues itself) are not
  # requeued here.
  limit=$((${c.timeout_min} * 60 - 60))
  if [ "$signal" = USR1 ] || { [ "$signal" = TERM ] && [ "$SECONDS" -ge "$limit" ]; }; then
    if [ "$restarts" -lt ${c.max_num_timeout} ]; then
      echo "[rvos] $array_task: requeued after $signal (requeue $((restarts + 1)) of ${c.max_num_timeout}) at $(date -Is)"
      scontrol requeue "$array_task" && exit 0
      echo "[rvos] $array_task: scontrol requeue failed; the task ends here (resume it with --resume)"
    else
      echo "[rvos] $array_task: reached launcher.max_num_timeout=${c.max_num_timeout} requeues; raise launcher.timeout_min or launcher.max_num_timeout and resubmit the sweep with --resume"
    fi
  fi
fi
printf '{"array_task":"%s","code":%d,"signal":"%s","restarts":%d,"seconds":%d}\\n' "$array_task" "$code" "$signal" "$restarts" "$SECONDS" > "$sweep/.slurm/exit/$task.json.$$.tmp"
mv -f "$sweep/.slurm/exit/$task.json.$$.tmp" "$sweep/.slurm/exit/$task.json"
exit "$code"
`;
}
