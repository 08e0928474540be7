/**
 * Entry of the `rvos` command: dispatches to a subcommand inside the error boundary
 * (./boundary.ts), so every failure ends as one line on stderr and an exit code.
 */
import { COMMANDS } from './registry.js';
import { RvosError } from '../utils/errors.js';
import { debugEnabled, formatError, installProcessGuard, setGuardCommand } from './boundary.js';

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, entry]) => `  ${name.padEnd(width)}  ${entry.summary}`);
  return [
    'Usage: rvos <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `rvos <command> --help` for the options of a command.',
    '--debug (or RVOS_DEBUG=1) prints the stack trace of an unexpected error.',
  ].join('\n');
}

/** Takes the global `--debug` flag out of the arguments (before a `--`); it sets RVOS_DEBUG=1 so sweep jobs inherit it. */
function takeDebugFlag(argv: string[]): string[] {
  const end = argv.indexOf('--');
  const head = end < 0 ? argv : argv.slice(0, end);
  if (!head.includes('--debug')) return argv;
  process.env.RVOS_DEBUG = '1';
  return [...head.filter((a) => a !== '--debug'), ...(end < 0 ? [] : argv.slice(end))];
}

/** Runs `rvos <argv>`; resolves to the exit code and never rejects. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = takeDebugFlag(argv);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (entry === undefined) {
    console.error(`rvos: unknown command '${name}'; run rvos --help for the list of commands`);
    return 2;
  }
  setGuardCommand(name);
  try {
    const command = await entry.load();
    return await command.run(rest);
  } catch (err) {
    const report = formatError(err, name, debugEnabled());
    console.error(report.text);
    // An error may carry its own exit code (a run stopped by a signal exits 75 for a requeue).
    if (err instanceof RvosError && 'exitCode' in err && typeof err.exitCode === 'number') return err.exitCode;
    return report.exitCode;
  }
}

/** The `rvos` executable: process-level guards, then {@link main}. */
export async function runCli(argv: string[]): Promise<number> {
  installProcessGuard();
  return main(argv);
}
