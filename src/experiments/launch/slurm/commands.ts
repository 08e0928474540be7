/**
 * The Slurm client commands the launcher uses (sbatch, squeue, sacct, sinfo), with their failures
 * turned into one-line errors that say what to do.
 */
import { execFile } from 'node:child_process';
import type { SlurmLauncherConfig } from '../../../config/index.js';
import { RvosError } from '../../../utils/errors.js';

/** Slurm is missing, unreachable, or refused a submission. */
export class SlurmError extends RvosError {}

interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

const NOT_ON_PATH = (tool: string) =>
  `\`${tool}\` is not on PATH: run the sweep on a Slurm login node, load Slurm (e.g. \`module load slurm\`), ` +
  'start the one-node test cluster with `scripts/slurm-local.sh up`, or use launcher=local';

/** Runs a Slurm client; resolves with its exit code and output (rejects only when it is missing). */
export function runTool(tool: string, args: string[], timeoutMs = 60_000): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { timeout: timeoutMs, maxBuffer: 64 * 2 ** 20 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: string | number }) | null;
      if (e?.code === 'ENOENT') return reject(new SlurmError(NOT_ON_PATH(tool)));
      resolve({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : 1, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** First line of a tool's complaint, without Slurm's `sbatch: error:` prefixes. */
function complaint(r: ToolResult): string {
  const line =
    (r.stderr.trim() || r.stdout.trim())
      .split('\n')
      .filter((l) => l.trim() !== '')
      .pop() ?? `exit code ${r.code}`;
  return line.replace(/^(\w+: )?(error: )?/i, '').trim();
}

async function partitions(): Promise<string[]> {
  const r = await runTool('sinfo', ['-h', '-o', '%R']).catch(() => undefined);
  return r === undefined || r.code !== 0
    ? []
    : [
        ...new Set(
          r.stdout
            .split('\n')
            .map((l) => l.trim())
            .filter(Boolean),
        ),
      ];
}

/** Explains an sbatch refusal in terms of the launcher keys. */
export async function explainRefusal(r: ToolResult, config: SlurmLauncherConfig): Promise<SlurmError> {
  const why = complaint(r);
  if (/invalid partition/i.test(why)) {
    const known = await partitions();
    return new SlurmError(
      `launcher.partition=${config.partition} is not a partition of this cluster${known.length > 0 ? ` (it has: ${known.join(', ')})` : ''}; set launcher.partition to one of them (sinfo lists them)`,
    );
  }
  if (/invalid account/i.test(why)) return new SlurmError(`sbatch: ${why}; set launcher.account to an account you may charge (sacctmgr show assoc user=$USER)`);
  if (/invalid qos/i.test(why)) return new SlurmError(`sbatch: ${why}; set launcher.qos to a QOS of your account (sacctmgr show assoc user=$USER)`);
  if (/node configuration is not available|more processors requested|memory specification/i.test(why)) {
    return new SlurmError(
      `sbatch: ${why}: no node of the partition has launcher.cpus_per_task=${config.cpus_per_task}, mem_gb=${config.mem_gb}, gpus_per_node=${config.gpus_per_node}; lower them or choose another launcher.partition`,
    );
  }
  if (/unable to contact slurm controller|connection refused|zero bytes were transmitted/i.test(why)) {
    return new SlurmError(`sbatch: ${why}: the Slurm controller does not answer; check \`sinfo\` (scripts/slurm-local.sh up starts the one-node test cluster)`);
  }
  if (/time limit/i.test(why)) return new SlurmError(`sbatch: ${why}; lower launcher.timeout_min to the partition's limit (sinfo -o '%P %l')`);
  return new SlurmError(`sbatch refused the job array: ${why}; check the launcher.* keys (configs/launcher/slurm.yaml) against your cluster`);
}

/** Submits a batch script; resolves with the array job id. */
export async function sbatch(scriptFile: string, config: SlurmLauncherConfig): Promise<string> {
  const r = await runTool('sbatch', ['--parsable', scriptFile]);
  if (r.code !== 0) throw await explainRefusal(r, config);
  // --parsable prints `jobid[;cluster]`.
  const id = r.stdout.trim().split('\n').pop()?.split(';')[0] ?? '';
  if (!/^\d+$/.test(id)) throw new SlurmError(`sbatch answered '${r.stdout.trim()}' instead of a job id; check \`sbatch --version\``);
  return id;
}

export interface SlurmTaskState {
  /** PENDING, RUNNING, COMPLETED, ... */
  state: string;
  /** squeue's reason for a pending task (Priority, Resources, PartitionConfig, ...). */
  reason?: string;
}

/**
 * Slurm's state of every task of an array job, from squeue, else sacct. Undefined when neither
 * could be asked (a transient failure: the caller asks again); a task that neither lists is absent.
 */
export async function arrayTaskStates(arrayJobId: string): Promise<Map<number, SlurmTaskState> | undefined> {
  const states = new Map<number, SlurmTaskState>();
  const q = await runTool('squeue', ['-h', '-r', '-t', 'all', '-j', arrayJobId, '-o', '%K|%T|%r']);
  const purged = q.code !== 0 && /invalid job id/i.test(q.stderr);
  if (q.code !== 0 && !purged) return undefined;
  for (const line of q.stdout.split('\n')) {
    const [task, state, reason] = line.trim().split('|');
    if (task !== undefined && /^\d+$/.test(task) && state)
      states.set(Number(task), { state, reason: reason === undefined || reason === 'None' ? undefined : reason });
  }
  // Finished tasks leave squeue after MinJobAge; sacct (when accounting is on) still knows them.
  const a = await runTool('sacct', ['-n', '-P', '-X', '-j', arrayJobId, '-o', 'JobID,State']).catch(() => undefined);
  if (a !== undefined && a.code === 0) {
    for (const line of a.stdout.split('\n')) {
      const m = /^\d+_(\d+)\|(\S+)/.exec(line.trim());
      if (m !== null && !states.has(Number(m[1]))) states.set(Number(m[1]), { state: m[2]! });
    }
  }
  return states;
}
