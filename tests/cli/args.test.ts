import { describe, expect, it } from 'vitest';
import { parseFlags, UsageError } from '../../src/cli/args.js';
import { formatError } from '../../src/cli/boundary.js';
import { addErrorNote, ConfigError, DataError } from '../../src/utils/errors.js';

const SPEC = {
  out: { type: 'string' },
  videos: { type: 'int', min: 1 },
  lr: { type: 'number' },
  check: { type: 'boolean', short: 'c' },
  task: { type: 'string', choices: ['semi', 'unsupervised'] },
  resume: { type: 'switch', values: ['auto'] },
} as const;
const parse = (argv: string[], positionals: boolean | number = true) =>
  parseFlags(argv, SPEC, { command: 'x', usage: 'Usage: rvos x [--out DIR]\nmore text', positionals });

describe('parseFlags', () => {
  it('reads every flag type, = and space forms, negative numbers and -- ', () => {
    const r = parse(['a=1', '--out', 'o', '--videos=3', '--lr', '-0.5', '-c', '--task', 'semi', '--resume=auto', '--', '--not-a-flag']);
    expect(r.flags).toEqual({ out: 'o', videos: 3, lr: -0.5, check: true, task: 'semi', resume: 'auto' });
    expect(r.positionals).toEqual(['a=1', '--not-a-flag']);
    expect(parse(['--resume']).flags.resume).toBe(true);
    expect(parse(['--bogus', '-h']).help).toBe(true);
  });

  it('throws a one-line UsageError naming the flag, the fix and the usage line', () => {
    const cases: [string[], RegExp][] = [
      [['--outt', 'o'], /unknown option '--outt'; did you mean '--out'\?/],
      [['--videos', '-5'], /--videos must be at least 1 \(got -5\)/],
      [['--videos', '2.5'], /--videos must be an integer \(got '2.5'\)/],
      [['--lr', 'fast'], /--lr must be a number/],
      [['--out'], /option '--out' needs a value/],
      [['--out', '--check'], /option '--out' needs a value/],
      [['--check=yes'], /option '--check' takes no value/],
      [['--task', 'zero'], /--task must be one of semi, unsupervised \(got 'zero'\)/],
      [['--resume=later'], /--resume=auto/],
    ];
    for (const [argv, pattern] of cases) {
      let err: unknown;
      try {
        parse(argv);
      } catch (e) {
        err = e;
      }
      expect(err, argv.join(' ')).toBeInstanceOf(UsageError);
      expect(err).toBeInstanceOf(ConfigError);
      const message = (err as Error).message;
      expect(message).toMatch(pattern);
      expect(message).toContain('(usage: rvos x [--out DIR]; rvos x --help shows all options)');
      expect(message).not.toContain('\n');
    }
    expect(() => parse(['stray'], false)).toThrow(/unexpected argument 'stray'/);
    expect(() => parse(['one', 'two'], 1)).toThrow(/unexpected argument 'two'/);
  });
});

describe('formatError', () => {
  it('prints a failing file-system call as one line with the path, the notes and a hint; the stack only with debug', () => {
    const err = Object.assign(new Error("EACCES: permission denied, open '/runs/a/checkpoints/x.tmp'"), {
      code: 'EACCES',
      syscall: 'open',
      path: '/runs/a/checkpoints/x.tmp',
    });
    addErrorNote(err, 'the last good checkpoint is step 4');
    const plain = formatError(err, 'train', false);
    expect(plain.exitCode).toBe(1);
    expect(plain.text).not.toContain('\n');
    expect(plain.text).toMatch(
      /^rvos train: EACCES: cannot open \/runs\/a\/checkpoints\/x\.tmp \(permission denied\); the last good checkpoint is step 4; check the permissions/,
    );
    expect(plain.text).toContain('--debug');
    const mkdir = Object.assign(new Error('EROFS: read-only file system, mkdir'), { code: 'EROFS', syscall: 'mkdir', path: '/ro/x' });
    expect(formatError(mkdir, 'train', false).text).toMatch(/EROFS: cannot write \/ro\/x \(read-only file system\); the file system is read-only/);
    const debug = formatError(err, 'train', true);
    expect(debug.text.split('\n').length).toBeGreaterThan(2);
    expect(debug.text).toMatch(/^\s+at /m);
  });

  it('keeps project errors as they are (exit 1) and usage errors at exit 2', () => {
    expect(formatError(new DataError('split file is empty', '/d/val.txt'), 'eval', false)).toEqual({
      text: 'rvos eval: DataError: /d/val.txt: split file is empty',
      exitCode: 1,
    });
    expect(formatError(new UsageError('unknown option', 'Usage: rvos x', 'x'), 'x', false).exitCode).toBe(2);
    expect(formatError(new TypeError('boom\nsecond line'), undefined, false).text).toBe(
      'rvos: TypeError: boom (--debug or RVOS_DEBUG=1 prints the stack trace)',
    );
  });
});
