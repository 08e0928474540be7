// Every command, the ones added later included (it walks the registry), answers a flag mistake with
// one line naming the flag and the command's usage, exit code 2, no stack trace.
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/registry.js';
import { expectOneLineError, rvos } from './helpers.js';

describe('rvos <command> with an unknown flag', () => {
  it('prints one line with the flag and the usage, for every command', async () => {
    const names = Object.keys(COMMANDS);
    // Subcommand-style commands get a valid subcommand, so the flag is what fails.
    const sub: Record<string, string[]> = { data: ['synth'], model: ['summary'] };
    const results = await Promise.all(names.map((n) => rvos([n, ...(sub[n] ?? []), '--no-such-flag'])));
    results.forEach((r, i) => {
      const line = expectOneLineError(r, /unknown option '--no-such-flag'/, 2);
      expect(line, names[i]).toMatch(new RegExp(`^rvos ${names[i]}: .*\\(usage: rvos ${names[i]}\\b`));
    });
  });

  it('names an ill-typed value and the fix', async () => {
    const [videos, hidden, resume] = await Promise.all([
      rvos(['data', 'synth', '--out', 'unused', '--train', '-5']),
      rvos(['model', 'summary', '--hidden', 'abc']),
      rvos(['train', '--resume=maybe']),
    ]);
    expectOneLineError(videos, /--train must be at least 1 \(got -5\)/, 2);
    expectOneLineError(hidden, /--hidden must be an integer \(got 'abc'\)/, 2);
    expectOneLineError(resume, /--resume' is given alone or as --resume=auto/, 2);
  });
});
