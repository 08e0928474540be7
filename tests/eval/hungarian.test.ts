import { describe, expect, it } from 'vitest';
import { hungarian } from '../../src/utils/hungarian.js';
import { Rng } from '../../src/utils/rng.js';

/** Minimum total cost over all one-to-one assignments of min(rows, cols) pairs, by enumeration. */
function bruteForceMin(cost: number[][]): number {
  const rows = cost.length;
  const cols = cost[0]!.length;
  const k = Math.min(rows, cols);
  let best = Infinity;
  const usedCol = new Array<boolean>(cols).fill(false);
  const recurse = (r: number, assigned: number, total: number): void => {
    if (assigned === k) {
      best = Math.min(best, total);
      return;
    }
    if (rows - r < k - assigned) return;
    if (rows - r > k - assigned) recurse(r + 1, assigned, total); // leave row r unassigned
    for (let c = 0; c < cols; c++) {
      if (usedCol[c]) continue;
      usedCol[c] = true;
      recurse(r + 1, assigned + 1, total + cost[r]![c]!);
      usedCol[c] = false;
    }
  };
  recurse(0, 0, 0);
  return best;
}

function checkAssignment(cost: number[][], assignment: number[]): number {
  const rows = cost.length;
  const cols = cost[0]!.length;
  expect(assignment).toHaveLength(rows);
  const seen = new Set<number>();
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const c = assignment[r]!;
    if (c === -1) continue;
    expect(c).toBeGreaterThanOrEqual(0);
    expect(c).toBeLessThan(cols);
    expect(seen.has(c)).toBe(false);
    seen.add(c);
    total += cost[r]![c]!;
  }
  expect(seen.size).toBe(Math.min(rows, cols));
  return total;
}

describe('hungarian', () => {
  it('matches brute force on random rectangular matrices (rows < = > cols)', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 400; trial++) {
      const rows = rng.int(1, 7);
      const cols = rng.int(1, 7);
      const integer = trial % 2 === 0; // integer costs create many ties
      const cost = Array.from({ length: rows }, () => Array.from({ length: cols }, () => (integer ? rng.int(0, 4) : rng.normal() * 10)));
      const total = checkAssignment(cost, hungarian(cost));
      expect(total).toBeCloseTo(bruteForceMin(cost), 9);
    }
  });

  it('solves a hand-checked 3x3 and maximises via negation', () => {
    const cost = [
      [4, 1, 3],
      [2, 0, 5],
      [3, 2, 2],
    ];
    // Optimal: row0→col1 (1), row1→col0 (2), row2→col2 (2) = 5.
    expect(hungarian(cost)).toEqual([1, 0, 2]);
    const score = [
      [0.9, 0.1],
      [0.8, 0.7],
      [0.0, 0.0],
    ];
    // Maximising: row0→0 + row1→1 = 1.6 beats row0→1 + row1→0 = 0.9; row 2 stays unassigned.
    expect(hungarian(score.map((r) => r.map((x) => -x)))).toEqual([0, 1, -1]);
  });

  it('handles empty shapes and rejects ragged or non-finite input', () => {
    expect(hungarian([])).toEqual([]);
    expect(hungarian([[], []])).toEqual([-1, -1]);
    expect(() => hungarian([[1, 2], [3]])).toThrow(/row 1/);
    expect(() => hungarian([[1, Number.NaN]])).toThrow(/not finite/);
  });
});
