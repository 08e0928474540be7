/**
 * The notebooks' helpers (notebooks/lib). The notebooks themselves run in `npm run notebooks:check`;
 * these tests catch a broken helper or a library change that breaks them without Jupyter.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { composeConfig } from '../../src/config/index.js';
import { experimentJobs } from '../../src/experiments/launch/experiment.js';
import * as api from '../../notebooks/lib/api.js';
import { distinguishingLabels, divergingRgb, encodePng, labelsToRgb } from '../../notebooks/lib/view.js';
import { vegaLiteSvg } from '../../notebooks/lib/plots.js';
import { tinyOverrides } from '../../notebooks/lib/demo.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-nb-lib-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('view helpers', () => {
  it('colours labels with the DAVIS palette', () => {
    const rgb = labelsToRgb({ width: 3, height: 1, data: Uint8Array.from([0, 1, 2]) });
    expect(Array.from(rgb.data)).toEqual([0, 0, 0, 128, 0, 0, 0, 128, 0]);
  });

  it('maps signed values to blue, white and red, clamping at the range', () => {
    const rgb = divergingRgb([-2, 0, 0.5, 1], 4, 1, 1);
    expect(Array.from(rgb.data)).toEqual([0, 0, 255, 255, 255, 255, 255, 128, 128, 255, 0, 0]);
  });

  it('encodes an enlarged PNG of the requested size', async () => {
    const png = await encodePng({ width: 3, height: 2, data: new Uint8Array(18).fill(200) }, 4);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 12, 8]);
  });

  it('names sweep variants by the overrides in which they differ', () => {
    expect(
      distinguishingLabels([
        ['a=1', 'm=S'],
        ['a=1', 'm=T'],
      ]),
    ).toEqual(['m=S', 'm=T']);
    expect(distinguishingLabels([['a=1']])).toEqual(['a=1']);
    expect(distinguishingLabels([['a=1'], ['a=1']])).toEqual(['(base)', '(base)']);
  });
});

describe('vegaLiteSvg', () => {
  it('renders a bar chart to SVG in Node, one bar per row', async () => {
    const svg = await vegaLiteSvg({
      title: 'recurrence',
      data: {
        values: [
          { r: 'S', v: 0.2 },
          { r: 'T', v: 0.3 },
          { r: 'ST', v: 0.4 },
        ],
      },
      mark: 'bar',
      encoding: { x: { field: 'r', type: 'nominal' }, y: { field: 'v', type: 'quantitative' } },
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('recurrence');
    expect(svg.match(/aria-roledescription="bar"/g)?.length).toBe(3);
  });
});

describe('notebook config and API', () => {
  it('the tiny config composes with the current schema', () => {
    const cfg = composeConfig({ configDir: 'configs', overrides: [...tinyOverrides({ out: path.join(tmp, 'nb'), steps: 90 }), 'model.mode=one_shot'] }).config;
    expect(cfg.data.size).toEqual([48, 48]);
    expect(cfg.model.slots).toBe(2);
    expect(cfg.data.synth.objects).toEqual([1, 2]);
    expect(cfg.data.synth.difficulty).toBe('easy');
    expect([cfg.train.steps, cfg.train.val_every]).toEqual([90, 30]);
    expect(cfg.data.root).toBe(path.join(tmp, 'nb', 'data'));
  });

  it('the ablation sweep (experiment main) uses the same data as the other notebooks, so they share one data root', () => {
    const out = path.join(tmp, 'nb');
    const single = composeConfig({ configDir: 'configs', overrides: [...tinyOverrides({ out }), 'model.mode=one_shot'] }).config;
    const jobs = experimentJobs('main', 'configs', [...tinyOverrides({ out, steps: 100 }), 'model.recurrence=S,T,ST', 'seed=1']);
    expect(jobs.length).toBe(6);
    for (const job of jobs) expect(composeConfig({ configDir: 'configs', overrides: job }).config.data).toEqual(single.data);
  });

  it('api.ts exposes what the notebooks call', () => {
    for (const name of [
      'composeConfig',
      'runTraining',
      'runExperiment',
      'readSweep',
      'groupVariants',
      'renderMarkdown',
      'openDavis2017',
      'overlayLabels',
      'frameToTensor',
      'labelsToSlotMasks',
      'readGivenObjects',
      'startVideo',
      'outputLabels',
      'logitsToLabels',
      'loadModel',
      'loadRunConfig',
      'ensureDemoRun',
      'readScalars',
      'figure',
      'vegaLiteSvg',
    ]) {
      expect(typeof (api as Record<string, unknown>)[name], name).toBe('function');
    }
    expect(typeof api.InferenceCore).toBe('function');
  });
});

describe('what tslab compiles', () => {
  it("notebooks/lib/load.ts type-checks under tslab's TypeScript 5.0 (CommonJS, Node10 resolution, es2022)", () => {
    const require = createRequire(import.meta.url);
    const ts = require('@tslab/typescript-for-tslab') as typeof import('typescript');
    expect(ts.version.startsWith('5.0')).toBe(true);
    const program = ts.createProgram(['notebooks/lib/load.ts'], {
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts'],
      esModuleInterop: true,
      skipLibCheck: true,
      noEmit: true,
      types: ['node'],
    });
    const messages = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
    expect(messages).toEqual([]);
  });

  it('committed notebooks carry no outputs and name the rvos-tslab kernel', () => {
    const files = fs.readdirSync('notebooks').filter((f) => f.endsWith('.ipynb'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) {
      const nb = JSON.parse(fs.readFileSync(path.join('notebooks', f), 'utf8'));
      expect(nb.metadata.kernelspec.name, f).toBe('rvos-tslab');
      const outputs = nb.cells.flatMap((c: { outputs?: unknown[] }) => c.outputs ?? []);
      expect(outputs, f).toEqual([]);
    }
  });
});
