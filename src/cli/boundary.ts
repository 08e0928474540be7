/**
 * The command-line error boundary: every way an `rvos` command can fail ends here and becomes one
 * line on stderr and an exit code. Project errors (RvosError) print their message; anything else
 * (a failing file-system call, a bug, a wasm abort) prints its cause, the notes attached on the way
 * up (e.g. the last good checkpoint) and a hint. The stack trace only with --debug / RVOS_DEBUG=1.
 */
import { UsageError } from './args.js';
import { errorNotes, RvosError } from '../utils/errors.js';
import { stopSignalsWatched } from '../train/preemption.js';

/** Exit codes: 1 for a project error or an unexpected failure, 2 for a command-line mistake. */
export const EXIT = { error: 1, usage: 2 } as const;

export function debugEnabled(): boolean {
  const v = process.env.RVOS_DEBUG;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** File-system calls that change something: a failure in one reads "cannot write". */
const WRITES = new Set([
  'mkdir',
  'mkdtemp',
  'rename',
  'unlink',
  'rmdir',
  'rm',
  'write',
  'fsync',
  'fdatasync',
  'copyfile',
  'symlink',
  'link',
  'chmod',
  'chown',
  'utime',
  'futime',
  'ftruncate',
]);
const READS = new Set(['read', 'scandir', 'opendir', 'stat', 'lstat', 'fstat', 'access', 'readlink', 'realpath']);

const HINTS: Record<string, string> = {
  EACCES: 'check the permissions of that folder, or choose another output folder',
  EPERM: 'check the permissions of that folder, or choose another output folder',
  EROFS: 'the file system is read-only; choose another output folder',
  ENOSPC: 'the disk is full; free some space',
  EDQUOT: 'the disk quota is used up; free some space',
  EMFILE: 'too many open files; raise the limit (ulimit -n)',
  ENFILE: 'too many open files on this machine; raise the limit',
  ENOENT: 'the path does not exist (was it deleted while rvos ran?)',
  EISDIR: 'a folder is in the way of a file of that name; move it',
  ENOTDIR: 'a file is in the way of a folder of that name; move it',
  EEXIST: 'something of that name is in the way; move it',
};

interface ErrnoLike {
  code?: unknown;
  syscall?: unknown;
  path?: unknown;
  dest?: unknown;
  message?: unknown;
}

function firstLine(text: string, max = 300): string {
  const line =
    text
      .split('\n')
      .find((l) => l.trim().length > 0)
      ?.trim() ?? '';
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** The cause of an unexpected error in words, e.g. `EACCES: cannot write /run/x (permission denied)`. */
export function describeCause(err: unknown): { cause: string; hint?: string } {
  if (typeof err !== 'object' || err === null) return { cause: firstLine(String(err)) };
  const e = err as ErrnoLike & Error;
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code !== undefined && typeof e.syscall === 'string' && typeof e.path === 'string') {
    const verb = WRITES.has(e.syscall) ? 'cannot write' : READS.has(e.syscall) ? 'cannot read' : `cannot ${e.syscall}`;
    const what = typeof e.dest === 'string' ? `${e.path} -> ${e.dest}` : e.path;
    // Node's message is "EACCES: permission denied, open '<path>'"; keep the words in the middle.
    const words = typeof e.message === 'string' ? /^[A-Z]+: ([^,]+)/.exec(e.message)?.[1] : undefined;
    return { cause: `${code}: ${verb} ${what}${words ? ` (${words})` : ''}`, hint: HINTS[code] };
  }
  const message = typeof e.message === 'string' ? firstLine(e.message) : firstLine(String(err));
  const name = typeof e.name === 'string' && e.name !== 'Error' ? `${e.name}: ` : '';
  if (e instanceof RangeError && /allocation failed|out of memory/i.test(message)) {
    return { cause: `${name}${message}`, hint: 'out of memory; lower data.batch_size, data.size or model.hidden' };
  }
  if (code !== undefined && HINTS[code] !== undefined) return { cause: `${name}${message}`, hint: HINTS[code] };
  return { cause: `${name}${message}` };
}

export interface ErrorReport {
  /** What to print on stderr (one line, plus the stack with debug). */
  text: string;
  exitCode: number;
}

/** Formats any thrown value for the `rvos <command>` that threw it. */
export function formatError(err: unknown, command: string | undefined, debug = debugEnabled()): ErrorReport {
  const prefix = command === undefined ? 'rvos' : `rvos ${command}`;
  const notes = errorNotes(err);
  const noteText = notes.length > 0 ? `; ${notes.join('; ')}` : '';
  const stack = debug && err instanceof Error && err.stack !== undefined ? `\n${stackOf(err)}` : '';
  if (err instanceof UsageError) return { text: `${prefix}: ${err.message}${stack}`, exitCode: EXIT.usage };
  if (err instanceof RvosError) return { text: `${prefix}: ${err.name}: ${err.message}${noteText}${stack}`, exitCode: EXIT.error };
  const { cause, hint } = describeCause(err);
  const debugHint = debug ? '' : ' (--debug or RVOS_DEBUG=1 prints the stack trace)';
  return { text: `${prefix}: ${cause}${noteText}${hint ? `; ${hint}` : ''}${debugHint}${stack}`, exitCode: EXIT.error };
}

function stackOf(err: Error): string {
  let text = err.stack ?? String(err);
  let cause: unknown = (err as { cause?: unknown }).cause;
  for (let depth = 0; cause instanceof Error && depth < 5; depth++) {
    text += `\nCaused by: ${cause.stack ?? String(cause)}`;
    cause = (cause as { cause?: unknown }).cause;
  }
  return text;
}

let guardCommand: string | undefined;
let guardInstalled = false;

/** Names the running command in errors that reach the process-level handlers. */
export function setGuardCommand(command: string | undefined): void {
  guardCommand = command;
}

/**
 * Process-level handlers for errors that escape every await (a throw in a timer or stream
 * callback, a rejected promise nobody awaited): the same one line, then exit. SIGINT / SIGTERM
 * (Ctrl-C, a kill) exit through process.exit so 'exit' hooks (run-folder locks) run, unless
 * another handler is listening for that signal: then it stops the work its own way (training
 * writes a checkpoint first, src/train/preemption.ts; the demo server closes).
 */
export function installProcessGuard(): void {
  if (guardInstalled) return;
  guardInstalled = true;
  const die = (err: unknown) => {
    const report = formatError(err, guardCommand);
    process.stderr.write(`${report.text}\n`);
    process.exit(report.exitCode);
  };
  process.on('uncaughtException', die);
  process.on('unhandledRejection', die);
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.on(signal, () => {
      // Another listener stops the work its own way (the demo server closes); a training loop that
      // watches for SIGTERM checkpoints first, then exits 75 (src/train/preemption.ts).
      if (process.listenerCount(signal) > 1 || (signal === 'SIGTERM' && stopSignalsWatched())) return;
      process.stderr.write(`\n${guardCommand === undefined ? 'rvos' : `rvos ${guardCommand}`}: stopped by ${signal}\n`);
      process.exit(code);
    });
  }
}
