import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every relative import (static, re-export or dynamic) of each .ts file under src/, resolved to a path. */
function importGraph(root = 'src'): Map<string, { local: string[]; packages: string[] }> {
  const graph = new Map<string, { local: string[]; packages: string[] }>();
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.ts')) {
        const text = fs.readFileSync(file, 'utf8');
        const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s(?:type\s)?[^;]*?from\s+'([^']+)'|import\('([^']+)'\)/g)].map((m) => ({
          spec: (m[1] ?? m[2])!,
          typeOnly: /^\s*(?:import|export)\s+type\s/.test(m[0].trim()),
        }));
        const local = specs.filter((s) => s.spec.startsWith('.') && !s.typeOnly).map((s) => path.join(path.dirname(file), s.spec.replace(/\.js$/, '.ts')));
        const packages = specs.filter((s) => !s.spec.startsWith('.') && !s.typeOnly).map((s) => s.spec);
        graph.set(file, { local, packages });
      }
    }
  };
  walk(root);
  return graph;
}

describe('imports', () => {
  const graph = importGraph();

  it('src/ has no import cycles (dynamic imports count)', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, stack: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...stack.slice(stack.indexOf(file)), file].join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const next of graph.get(file)?.local ?? []) visit(next, [...stack, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('the inference core reaches no Node-only module (the browser demo compiles it)', () => {
    const reached = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string): void => {
      if (reached.has(file)) return;
      reached.add(file);
      const node = graph.get(file);
      expect(node, file).toBeDefined();
      node!.packages.forEach((p) => packages.add(p));
      node!.local.forEach(visit);
    };
    visit(path.join('src', 'models', 'inference_core.ts'));
    expect([...packages].filter((p) => p.startsWith('node:') || ['sharp', 'fs', 'path', 'worker_threads'].includes(p))).toEqual([]);
    expect([...packages]).toContain('@tensorflow/tfjs-core');
  });
});
