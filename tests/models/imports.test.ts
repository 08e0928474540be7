import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importGraph } from '../import_graph.js';

describe('imports', () => {
  const graph = importGraph();

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
