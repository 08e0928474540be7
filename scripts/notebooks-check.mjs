#!/usr/bin/env node
// Executes every notebook in notebooks/ headless (nbconvert + the tslab kernel) and fails on any
// error. Usage: node scripts/notebooks-check.mjs [--html] [notebooks/NAME.ipynb ...]
//   --html           also convert the executed notebooks to HTML (to look at them)
//   --kernel-spec D  only write the kernel spec into folder D and exit (used by notebooks-setup.sh)
// The executed notebooks go to results/notebooks-check/executed/, the data and runs they make to
// results/notebooks-check/work/ (emptied first). The kernel spec is written to a temporary
// JUPYTER_PATH so the check always runs this checkout, whatever kernel is registered.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const KERNEL_NAME = 'rvos-tslab';
/** Committed notebooks carry no outputs; a bigger file means someone committed executed outputs. */
const MAX_COMMITTED_BYTES = 100_000;
const RICH = ['text/html', 'image/png', 'image/svg+xml', 'text/markdown'];

/**
 * A kernel spec that starts tslab in the repository root (tslab's rootDir is its working
 * directory, so notebooks import ./notebooks/lib/... and the library resolves ./src/...).
 * The root is passed as $1 so that no path needs quoting inside the shell command.
 */
function writeKernelSpec(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const spec = {
    argv: ['/bin/sh', '-c', 'cd "$1" && exec "$1/node_modules/.bin/tslab" kernel --config-path "$0"', '{connection_file}', ROOT],
    display_name: 'TypeScript (rvos, tslab)',
    language: 'typescript',
  };
  fs.writeFileSync(path.join(dir, 'kernel.json'), JSON.stringify(spec, null, 2) + '\n');
}

// Jupyter is Debian's (notebooks:setup), in /usr/bin/python3, not the python3 first on PATH.
const PYTHON = '/usr/bin/python3';

/**
 * Executes one notebook with nbclient and always saves what ran: on a failing cell it prints that
 * cell's first line and the tail of its output (tslab reports type errors and exceptions on
 * stderr, not in the error reply, so nbconvert's own message would be empty) and exits 1.
 */
/**
 * Exit status of EXECUTE_PY when the kernel never answered. tslab starts receiving on its sockets
 * before their binds resolve; when the client's first message lands in between, zeromq 6 refuses
 * the next receive with EBUSY and the kernel dies before any cell runs (seen once in CI). Such a
 * start is retried; a failing cell never is.
 */
const KERNEL_DID_NOT_START = 3;
const KERNEL_START_TRIES = 3;

const EXECUTE_PY = `
import sys, nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
src, dst, kernel, cwd = sys.argv[1:5]
nb = nbformat.read(src, as_version=4)
client = NotebookClient(nb, kernel_name=kernel, timeout=600, resources={'metadata': {'path': cwd}})
code = 0
try:
    client.execute()
except CellExecutionError:
    code = 1
    ran = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == 'code' and 'shell.execute_reply' in c.metadata.get('execution', {})]
    i, cell = ran[-1] if ran else (-1, None)
    if cell is not None:
        text = ''.join(o.get('text', '') for o in cell.outputs if o.get('output_type') == 'stream')
        text += ''.join(o.get('evalue', '') for o in cell.outputs if o.get('output_type') == 'error')
        first = cell.source.strip().splitlines()[0] if cell.source.strip() else ''
        print(f'cell {i} failed ({first[:80]}):', file=sys.stderr)
        print('\\n'.join(text.rstrip().splitlines()[-30:]) or '(no output)', file=sys.stderr)
except RuntimeError as e:
    # The kernel never answered, so no cell ran: a start failure, which the caller may retry.
    if any('shell.execute_reply' in c.metadata.get('execution', {}) for c in nb.cells if c.cell_type == 'code'):
        raise
    print(f'kernel did not start: {e}', file=sys.stderr)
    code = ${KERNEL_DID_NOT_START}
finally:
    nbformat.write(nb, dst)
sys.exit(code)
`;

function jupyterReady() {
  return spawnSync(PYTHON, ['-c', 'import nbclient, nbformat, nbconvert'], { stdio: 'ignore' }).status === 0;
}

/** Problems in an executed notebook: error outputs, cells that did not run, no rich output at all. */
function inspectExecuted(file) {
  const nb = JSON.parse(fs.readFileSync(file, 'utf8'));
  const problems = [];
  let rich = 0;
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== 'code') return;
    // tslab leaves execution_count null; nbclient records when each cell ran.
    if (cell.source.join('').trim() !== '' && cell.metadata?.execution?.['iopub.status.idle'] === undefined) problems.push(`cell ${i} was not executed`);
    for (const out of cell.outputs ?? []) {
      if (out.output_type === 'error') problems.push(`cell ${i}: ${out.ename}: ${out.evalue}`);
      if (out.data && Object.keys(out.data).some((k) => RICH.includes(k))) rich++;
    }
  });
  if (rich === 0) problems.push('no rich output (html, image, markdown) at all');
  return { problems, rich };
}

function main() {
  const args = process.argv.slice(2);
  const specAt = args.indexOf('--kernel-spec');
  if (specAt >= 0) {
    writeKernelSpec(args[specAt + 1]);
    return 0;
  }
  const html = args.includes('--html');
  const chosen = args.filter((a) => !a.startsWith('--'));
  const notebooks =
    chosen.length > 0
      ? chosen.map((f) => path.resolve(f))
      : fs
          .readdirSync(path.join(ROOT, 'notebooks'))
          .filter((f) => f.endsWith('.ipynb'))
          .sort()
          .map((f) => path.join(ROOT, 'notebooks', f));

  if (!jupyterReady()) {
    console.error('notebooks:check: Jupyter (nbclient, nbconvert) is not installed for /usr/bin/python3; run `npm run notebooks:setup` first');
    return 1;
  }
  if (!fs.existsSync(path.join(ROOT, 'node_modules', '.bin', 'tslab'))) {
    console.error('notebooks:check: node_modules/.bin/tslab is missing; run `npm install` first');
    return 1;
  }

  const outRoot = path.join(ROOT, 'results', 'notebooks-check');
  const executedDir = path.join(outRoot, 'executed');
  const work = path.join(outRoot, 'work');
  fs.rmSync(outRoot, { recursive: true, force: true });
  fs.mkdirSync(executedDir, { recursive: true });
  const jupyterPath = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-notebooks-'));
  writeKernelSpec(path.join(jupyterPath, 'kernels', KERNEL_NAME));
  const env = { ...process.env, JUPYTER_PATH: jupyterPath, RVOS_NB_OUT: work };
  // The check makes its own run and sweep; a developer's pointers must not leak in.
  delete env.RVOS_RUN;
  delete env.RVOS_SWEEP;
  delete env.RVOS_NB_SEEDS;

  let failed = 0;
  const started = Date.now();
  try {
    for (const nb of notebooks) {
      const name = path.relative(ROOT, nb);
      const size = fs.statSync(nb).size;
      if (size > MAX_COMMITTED_BYTES) {
        console.error(`✗ ${name}: ${size} bytes; commit notebooks without outputs (Jupyter: Edit → Clear Outputs of All Cells)`);
        failed++;
        continue;
      }
      const t0 = Date.now();
      const executed = path.join(executedDir, path.basename(nb));
      let r;
      for (let attempt = 1; attempt <= KERNEL_START_TRIES; attempt++) {
        r = spawnSync(PYTHON, ['-c', EXECUTE_PY, nb, executed, KERNEL_NAME, ROOT], { cwd: ROOT, env, encoding: 'utf8' });
        if (r.status !== KERNEL_DID_NOT_START || attempt === KERNEL_START_TRIES) break;
        console.log(`… ${name}: the kernel did not start (try ${attempt} of ${KERNEL_START_TRIES}), starting it again`);
      }
      const seconds = ((Date.now() - t0) / 1000).toFixed(0);
      if (r.status !== 0 || !fs.existsSync(executed)) {
        console.error(`✗ ${name} failed after ${seconds} s; ${(r.stderr || '').trim().split('\n').slice(-40).join('\n')}`);
        failed++;
        continue;
      }
      const { problems, rich } = inspectExecuted(executed);
      if (problems.length > 0) {
        console.error(`✗ ${name}: ${problems.join('; ')}`);
        failed++;
        continue;
      }
      if (html)
        spawnSync(PYTHON, ['-m', 'nbconvert', '--to', 'html', executed, '--output-dir', path.join(outRoot, 'html')], { cwd: ROOT, env, stdio: 'ignore' });
      console.log(`✓ ${name} (${seconds} s, ${rich} rich outputs)`);
    }
  } finally {
    fs.rmSync(jupyterPath, { recursive: true, force: true });
  }
  const total = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`notebooks: ${notebooks.length - failed} passed, ${failed} failed in ${total} s; executed copies in ${path.relative(ROOT, executedDir)}/`);
  return failed === 0 ? 0 : 1;
}

process.exit(main());
