/** Entry of the `rvos` command: dispatches to a subcommand and maps typed errors to exit codes. */
import { COMMANDS } from './registry.js';
import { RvosError } from '../utils/errors.js';

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, entry]) => `  ${name.padEnd(width)}  ${entry.summary}`);
  return ['Usage: rvos <command> [options]', '', 'Commands:', ...lines, '', 'Run `rvos <command> --help` for the options of a command.'].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  const entry = COMMANDS[name];
  if (entry === undefined) {
    console.error(`rvos: unknown command '${name}'.\n\n${usage()}`);
    return 2;
  }
  try {
    const command = await entry.load();
    return await command.run(rest);
  } catch (err) {
    if (err instanceof RvosError) {
      console.error(`rvos ${name}: ${err.name}: ${err.message}`);
      // An error may carry its own exit code (a run stopped by a signal exits 75 for a requeue).
      return 'exitCode' in err && typeof err.exitCode === 'number' ? err.exitCode : 1;
    }
    throw err;
  }
}
