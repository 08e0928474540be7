import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { checkpointProblem, disposeCheckpoint, loadCheckpoint, pruneCheckpoints, restoreWeights, saveCheckpoint } from '../../src/train/checkpoint.js';
import { adoptResumePoint, findResumePoint } from '../../src/train/resume_point.js';
import { TrainingError } from '../../src/utils/errors.js';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-ckpt-'));
}

describe('checkpoints', () => {
  it('round-trips weights, optimiser moments and progress, and pointer files name the newest/best', () => {
    const dir = tmp();
    const vars = new Map<string, tf.Variable>([
      [
        'decoder/w',
        tf.variable(
          tf.tensor2d([
            [1.5, -2],
            [0.25, 3],
          ]),
        ),
      ],
      ['encoder/b', tf.variable(tf.tensor1d([7, 8, 9]))],
    ]);
    const moments = new Map([['decoder/w', { m: new Float32Array([0.1, 0.2, 0.3, 0.4]), v: new Float32Array([1, 2, 3, 4]), shape: [2, 2] }]]);
    saveCheckpoint(dir, { step: 10, bestScore: 0.4, bestStep: 10, evalsWithoutImprovement: 0 }, vars, { step: 10, moments }, true);
    vars.get('decoder/w')!.assign(
      tf.tensor2d([
        [0, 0],
        [0, 0],
      ]),
    );
    saveCheckpoint(dir, { step: 20, bestScore: 0.4, bestStep: 10, evalsWithoutImprovement: 1 }, vars, { step: 20, moments }, false);

    const latest = loadCheckpoint(dir, 'latest')!;
    expect(latest.progress).toEqual({ step: 20, bestScore: 0.4, bestStep: 10, evalsWithoutImprovement: 1 });
    expect(latest.optimizer.step).toBe(20);
    expect(Array.from(latest.optimizer.moments.get('decoder/w')!.v)).toEqual([1, 2, 3, 4]);
    const best = loadCheckpoint(dir, 'best')!;
    expect(best.progress.step).toBe(10);
    restoreWeights(best, vars);
    expect(Array.from(vars.get('decoder/w')!.dataSync())).toEqual([1.5, -2, 0.25, 3]);
    disposeCheckpoint(latest);
    disposeCheckpoint(best);
    // No temporary folders or files are left behind.
    expect(fs.readdirSync(dir).sort()).toEqual(['best.json', 'latest.json', 'step-000010', 'step-000020']);
  });

  it('pruning keeps the newest N plus the pinned best', () => {
    const dir = tmp();
    const vars = new Map([['w', tf.variable(tf.scalar(1))]]);
    const empty = { step: 0, moments: new Map() };
    saveCheckpoint(dir, { step: 1, bestScore: 1, bestStep: 1, evalsWithoutImprovement: 0 }, vars, empty, true);
    for (const step of [2, 3, 4]) saveCheckpoint(dir, { step, bestScore: 1, bestStep: 1, evalsWithoutImprovement: 0 }, vars, empty, false);
    pruneCheckpoints(dir, 2);
    expect(
      fs
        .readdirSync(dir)
        .filter((d) => d.startsWith('step-'))
        .sort(),
    ).toEqual(['step-000001', 'step-000003', 'step-000004']);
  });

  it('reports a truncated tensor file and a model mismatch clearly', () => {
    const dir = tmp();
    const vars = new Map([['w', tf.variable(tf.tensor1d([1, 2, 3, 4]))]]);
    const stepDir = saveCheckpoint(dir, { step: 5, bestScore: null, bestStep: null, evalsWithoutImprovement: 0 }, vars, { step: 5, moments: new Map() }, false);
    const ckpt = loadCheckpoint(dir)!;
    expect(() => restoreWeights(ckpt, new Map([['other', tf.variable(tf.scalar(0))]]))).toThrow(/has no weight 'other'/);
    expect(() => restoreWeights(ckpt, new Map([['w', tf.variable(tf.tensor1d([0, 0]))]]))).toThrow(/shape \[4\].*expects \[2\]/);
    fs.writeFileSync(path.join(stepDir, 'tensors.bin'), new Uint8Array(4));
    expect(() => loadCheckpoint(dir)).toThrow(TrainingError);
    expect(() => loadCheckpoint(dir)).toThrow(/truncated/);
  });

  it('finds the newest intact checkpoint when the latest is damaged, and makes it the one a resume continues from', () => {
    const dir = tmp();
    const vars = new Map([['w', tf.variable(tf.tensor1d([1, 2, 3, 4]))]]);
    const none = { step: 0, moments: new Map() };
    saveCheckpoint(dir, { step: 5, bestScore: 0.5, bestStep: 5, evalsWithoutImprovement: 0 }, vars, none, true);
    saveCheckpoint(dir, { step: 10, bestScore: 0.5, bestStep: 5, evalsWithoutImprovement: 1 }, vars, none, false);
    saveCheckpoint(dir, { step: 20, bestScore: 0.7, bestStep: 20, evalsWithoutImprovement: 0 }, vars, none, true);
    expect(findResumePoint(dir)).toEqual({ intact: { step: 20, name: 'step-000020' }, damaged: [] });
    expect(checkpointProblem(path.join(dir, 'step-000020'))).toBeUndefined();
    const bin = path.join(dir, 'step-000020', 'tensors.bin');
    fs.truncateSync(bin, 6);
    expect(checkpointProblem(path.join(dir, 'step-000020'))).toMatch(/step-000020: tensors\.bin is truncated \(6 bytes, state\.json describes 16\)/);
    const point = findResumePoint(dir);
    expect(point.intact).toEqual({ step: 10, name: 'step-000010' });
    expect(point.damaged.map((d) => d.name)).toEqual(['step-000020']);
    adoptResumePoint(dir, point);
    // latest.json names step 10, best.json the best step of step 10's progress (5), not the damaged 20.
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'latest.json'), 'utf8'))).toEqual({ step: 10, dir: 'step-000010' });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'best.json'), 'utf8'))).toEqual({ step: 5, dir: 'step-000005', score: 0.5 });
    expect(fs.readdirSync(dir).sort()).toEqual(['best.json', 'latest.json', 'step-000005', 'step-000010', 'step-000020.damaged']);
    const resumed = loadCheckpoint(dir)!;
    expect(resumed.progress.step).toBe(10);
    disposeCheckpoint(resumed);
    // Nothing intact: no resume point, every damaged one listed newest first.
    fs.rmSync(path.join(dir, 'step-000010', 'state.json'));
    fs.writeFileSync(path.join(dir, 'step-000005', 'state.json'), '{"format":');
    expect(findResumePoint(dir)).toEqual({
      damaged: [
        { name: 'step-000010', problem: expect.stringMatching(/step-000010: state\.json is missing/) },
        { name: 'step-000005', problem: expect.stringMatching(/step-000005: state\.json is not valid JSON/) },
      ],
    });
  });

  it('returns undefined when a run has no checkpoint yet', () => {
    expect(loadCheckpoint(tmp())).toBeUndefined();
  });
});
