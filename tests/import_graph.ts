/**
 * The import graph of src/ read from the source text: every relative import of each .ts file
 * (static, `import type`, re-exports, side-effect imports and dynamic `import()`), resolved to a
 * repository path, and the packages it names. Type-only imports count: they tie the folders
 * together as much as value imports do for whoever reads or moves the code.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface ImportNode {
  /** Relative imports resolved to paths like src/models/rvos_model.ts. */
  local: string[];
  /** Package imports of values (type-only package imports are left out: they load nothing). */
  packages: string[];
}

const SPECIFIER = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?'([^']+)'|import\(\s*'([^']+)'\s*\)/g;

export function importGraph(root = 'src'): Map<string, ImportNode> {
  const graph = new Map<string, ImportNode>();
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.ts')) graph.set(file, parse(file));
    }
  };
  walk(root);
  return graph;
}

function parse(file: string): ImportNode {
  const text = fs.readFileSync(file, 'utf8');
  const node: ImportNode = { local: [], packages: [] };
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = (m[3] ?? m[4])!;
    const typeOnly = m[2] !== undefined;
    if (spec.startsWith('.')) node.local.push(path.join(path.dirname(file), spec.replace(/\.js$/, '.ts')));
    else if (!typeOnly) node.packages.push(spec);
  }
  return node;
}

/** Every cycle found by a depth-first walk, each as `a → b → … → a`. */
export function cycles(graph: Map<string, ImportNode>): string[] {
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, stack: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      found.push([...stack.slice(stack.indexOf(file)), file].join(' → '));
      return;
    }
    state.set(file, 'open');
    for (const next of graph.get(file)?.local ?? []) visit(next, [...stack, file]);
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file, []);
  return found;
}

/** The top folder under src/ of a path (src/models/baselines/x.ts → models). */
export function folderOf(file: string): string {
  return file.split(path.sep)[1]!;
}
