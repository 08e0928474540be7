/**
 * Fault injection for the reliability tests: `RVOS_FAULT=<point>:<action>[:<step>]` makes the named
 * point fail, e.g. `checkpoint-tensors:kill:4` (SIGKILL in the middle of writing checkpoint 4) or
 * `checkpoint-tensors:eacces:3` (that write fails as on a read-only folder); several, comma-
 * separated, fail together (a folder that became read-only fails every later write). Unset, it
 * costs one environment lookup per call. Tests run as root too, where file permissions cannot make
 * a write fail.
 */
export type FaultPoint = 'checkpoint-tensors' | 'checkpoint-rename' | 'run-lock-release';

export function faultPoint(point: FaultPoint, file: string, step?: number): void {
  const specs = process.env.RVOS_FAULT;
  if (specs === undefined || specs === '') return;
  for (const spec of specs.split(',')) {
    const [where, action, at] = spec.split(':');
    if (where !== point || (at !== undefined && at !== '' && Number(at) !== step)) continue;
    if (action === 'kill') process.kill(process.pid, 'SIGKILL');
    if (action === 'eacces') {
      const syscall = point === 'run-lock-release' ? 'unlink' : 'open';
      throw Object.assign(new Error(`EACCES: permission denied, ${syscall} '${file}'`), { errno: -13, code: 'EACCES', syscall, path: file });
    }
  }
}
