/**
 * docs/ARCHITECTURE.md stays true: its layer order is the one the imports follow (type imports
 * included), src/ has no import cycle, and every path it names exists.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cycles, importGraph, type ImportNode } from './import_graph.js';

const DOC = path.join('docs', 'ARCHITECTURE.md');
const text = fs.readFileSync(DOC, 'utf8');

/** The layer block of the doc: one line per layer, highest first; folders on one line are peers. */
function layerOrder(): Map<string, number> {
  const block = /<!-- layers:begin -->\s*```text\n([\s\S]*?)```\s*<!-- layers:end -->/.exec(text);
  if (block === null) throw new Error(`${DOC}: no layer block (<!-- layers:begin --> ... <!-- layers:end -->)`);
  const lines = block[1]!
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l !== '');
  const rank = new Map<string, number>();
  lines.forEach((line, i) => line.split(/\s+/).forEach((folder) => rank.set(folder, lines.length - i)));
  return rank;
}

describe('architecture', () => {
  const graph = importGraph();

  it('src/ has no import cycle (type-only and dynamic imports count)', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('every import between src/ folders goes down the layer order of docs/ARCHITECTURE.md (peers import nothing of each other)', () => {
    const rank = layerOrder();
    expect(unrankedFolders(rank)).toEqual([]);
    expect(upwardImports(graph, rank)).toEqual([]);
  });

  it('the order check sees an upward type-only import that makes no cycle', () => {
    const rank = layerOrder();
    const withBackEdge = new Map(graph);
    const file = path.join('src', 'models', 'x.ts');
    withBackEdge.set(file, { local: [path.join('src', 'train', 'clip_loss.ts')], packages: [] });
    expect(cycles(withBackEdge)).toEqual([]);
    expect(upwardImports(withBackEdge, rank)).toEqual([`${file} → src/train/clip_loss.ts (models may not import train)`]);
  });

  it('a folder ranked by subfolder is checked by subfolder (experiments/run may not import experiments/report)', () => {
    const rank = layerOrder();
    const withBackEdge = new Map(graph);
    const file = path.join('src', 'experiments', 'run', 'x.ts');
    withBackEdge.set(file, { local: [path.join('src', 'experiments', 'report', 'sweep_results.ts')], packages: [] });
    expect(upwardImports(withBackEdge, rank)).toEqual([
      `${file} → src/experiments/report/sweep_results.ts (experiments/run may not import experiments/report)`,
    ]);
  });

  it('every path docs/ARCHITECTURE.md names exists', () => {
    const named = new Set<string>();
    for (const m of text.matchAll(/`([^`\s]+)`/g)) named.add(m[1]!);
    for (const m of text.matchAll(/\]\(([^)#\s]+)\)/g)) named.add(path.join('docs', m[1]!));
    const paths = [...named].filter((p) => /^(src|docs|configs|tests|bench|web|notebooks|native|scripts|data)\/|^[\w./-]+\.(ts|md|yaml|ipynb|mjs)$/.test(p));
    expect(paths.length).toBeGreaterThan(30);
    const missing = paths.filter((p) => {
      // A placeholder (`src/models/baselines/<name>/model.ts`) is checked up to its folder.
      const clean = p.replace(/<[^>]+>.*$/, '');
      return clean.includes('/') ? !fs.existsSync(clean) : findFile(clean) === null;
    });
    expect(missing).toEqual([]);
  });
});

/** The layer a file is in: its folder of src/, or folder/subfolder where the doc ranks that folder by subfolder. */
function layerOf(file: string, rank: Map<string, number>): string {
  const [, folder, sub] = file.split(path.sep);
  return sub !== undefined && rank.has(`${folder}/${sub}`) ? `${folder}/${sub}` : folder!;
}

/** Folders of src/ the layer block leaves out; a folder ranked by subfolder must hold only ranked subfolders. */
function unrankedFolders(rank: Map<string, number>): string[] {
  return fs
    .readdirSync('src', { withFileTypes: true })
    .filter((e) => e.isDirectory() && !rank.has(e.name))
    .flatMap((folder) => {
      const entries = fs.readdirSync(path.join('src', folder.name), { withFileTypes: true });
      const subs = entries.filter((e) => e.isDirectory()).map((e) => `${folder.name}/${e.name}`);
      return subs.length === 0 || entries.some((e) => e.isFile()) ? [folder.name] : subs.filter((s) => !rank.has(s));
    });
}

/** Imports from a layer to one at the same or a higher layer. */
function upwardImports(graph: Map<string, ImportNode>, rank: Map<string, number>): string[] {
  const upward: string[] = [];
  for (const [file, node] of graph) {
    for (const target of node.local) {
      const [from, to] = [layerOf(file, rank), layerOf(target, rank)];
      if (from !== to && rank.get(from)! <= rank.get(to)!) upward.push(`${file} → ${target} (${from} may not import ${to})`);
    }
  }
  return upward;
}

/** A bare file name the doc mentions: somewhere under src/, configs/ or docs/. */
function findFile(name: string): string | null {
  for (const root of ['src', 'configs', 'docs', 'web', 'notebooks']) {
    const hit = search(root, name);
    if (hit !== null) return hit;
  }
  return null;
}

function search(dir: string, name: string): string | null {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules') continue;
      const hit = search(p, name);
      if (hit !== null) return hit;
    } else if (entry.name === name) return p;
  }
  return null;
}
