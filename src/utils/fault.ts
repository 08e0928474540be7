/**
 * Fault injection for the reliability tests: `RVOS_FAULT=<point>:<action>[:<step>]` makes the named
 * point fail, e.g. `checkpoint-tensors:kill:4` (SIGKILL in the middle of writing checkpoint 4) or
 * `checkpoint-tensors:eacces:3` (that write fails as on a read-only folder). Unset, it costs one
 * environment lookup per call. Tests run as root too, where file permissions cannot make a write fail.
 */
export type FaultPoint = 'checkpoint-tensors' | 'checkpoint-rename';

export function faultPoint(point: FaultPoint, file: string, step?: number): void {
  const spec = process.env.RVOS_FAULT;
  if (spec === undefined || spec === '') return;
  const [where, action, at] = spec.split(':');
  if (where !== point || (at !== undefined && at !== '' && Number(at) !== step)) return;
  if (action === 'kill') process.kill(process.pid, 'SIGKILL');
  if (action === 'eacces') {
    throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), { errno: -13, code: 'EACCES', syscall: 'open', path: file });
  }
}
