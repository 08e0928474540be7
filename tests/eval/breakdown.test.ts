import { describe, expect, it } from 'vitest';
import { evaluationBreakdown, firstFrameJ, recallByRank, scoreByObjectCount } from '../../src/eval/breakdown.js';
import type { ObjectEvaluation, SequenceEvaluation } from '../../src/eval/sequence.js';
import { statistics } from '../../src/eval/statistics.js';

function object(sequence: string, objectId: number, js: number[], fs = js): ObjectEvaluation {
  return { name: `${sequence}_${objectId}`, sequence, objectId, predictedId: objectId, J: statistics(js), F: statistics(fs), jFrames: js, fFrames: fs };
}

// Rows in the unsupervised protocol's order (by proposal), not by object id: rank must sort by id.
const a: SequenceEvaluation = { sequence: 'a', frames: ['00000', '00001', '00002'], objects: [object('a', 2, [0, 0.2, 0.2]), object('a', 1, [0.6, 0.9, 0.9])] };
const b: SequenceEvaluation = { sequence: 'b', frames: ['00000', '00001', '00002'], objects: [object('b', 1, [0.2, 0.8, 0.8])] };
const c: SequenceEvaluation = { sequence: 'c', frames: ['00001'], objects: [object('c', 1, [1]), object('c', 2, [1]), object('c', 3, [0.4])] };

describe('evaluation breakdown', () => {
  it('J on frame 0 averages objects of sequences where frame 0 was scored, null when none was', () => {
    expect(firstFrameJ([a, b, c], () => '00000')).toBeCloseTo((0 + 0.6 + 0.2) / 3, 12);
    expect(firstFrameJ([c], () => '00000')).toBeNull();
  });

  it('recall by rank counts videos whose k-th object (by id) has mean J above 0.5', () => {
    expect(recallByRank([a, b, c])).toEqual([
      { rank: 1, videos: 3, found: 3, fraction: 1 },
      { rank: 2, videos: 2, found: 1, fraction: 0.5 },
      { rank: 3, videos: 1, found: 0, fraction: 0 },
    ]);
  });

  it('J&F per object count averages over the objects of the videos with that many objects', () => {
    const groups = scoreByObjectCount([a, b, c]);
    expect(groups.map((g) => [g.objects, g.videos])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
    expect(groups[1]!.jf).toBeCloseTo((0.4 / 3 + 2.4 / 3) / 2, 12);
    expect(evaluationBreakdown([a, b, c], () => '00000').byObjectCount).toEqual(groups);
  });
});
