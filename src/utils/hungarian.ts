/**
 * Optimal assignment (Hungarian method, shortest augmenting paths with row/column potentials,
 * O(n²·m)). Used by the unsupervised DAVIS protocol (proposals ↔ objects) and by the trainer
 * (slots ↔ objects).
 */

/**
 * Minimises the total cost of a one-to-one assignment on a rectangular cost matrix
 * (`cost[row][col]`, every row the same length, finite values). min(rows, cols) pairs are
 * assigned. Returns, for each row, its column or −1 when the row stays unassigned (only possible
 * when rows > cols). To maximise a score, pass its negation.
 */
export function hungarian(cost: number[][]): number[] {
  const rows = cost.length;
  if (rows === 0) return [];
  const cols = cost[0]!.length;
  for (let r = 0; r < rows; r++) {
    const row = cost[r]!;
    if (row.length !== cols) {
      throw new RangeError(`hungarian: row ${r} has ${row.length} entries, row 0 has ${cols}`);
    }
    for (let c = 0; c < cols; c++) {
      if (!Number.isFinite(row[c]!)) throw new RangeError(`hungarian: cost[${r}][${c}] = ${row[c]} is not finite`);
    }
  }
  if (cols === 0) return new Array<number>(rows).fill(-1);
  if (rows <= cols) return assignRowsToColumns(rows, cols, (r, c) => cost[r]![c]!);
  // More rows than columns: solve the transpose (every column gets a row), then invert.
  const colToRow = assignRowsToColumns(cols, rows, (c, r) => cost[r]![c]!);
  const rowToCol = new Array<number>(rows).fill(-1);
  colToRow.forEach((r, c) => {
    rowToCol[r] = c;
  });
  return rowToCol;
}

/**
 * Core solver for n ≤ m: every one of the n rows is assigned a distinct column. Rows are added one
 * at a time; each addition finds a shortest augmenting path (Dijkstra on reduced costs, kept
 * non-negative by the potentials u, v). Indices are 1-based inside, 0 is a virtual column.
 */
function assignRowsToColumns(n: number, m: number, at: (row: number, col: number) => number): number[] {
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const rowOfCol = new Int32Array(m + 1); // 0 = free
  const way = new Int32Array(m + 1);
  const minReduced = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    rowOfCol[0] = i;
    let col0 = 0;
    minReduced.fill(Infinity);
    used.fill(0);
    do {
      used[col0] = 1;
      const row = rowOfCol[col0]!;
      let delta = Infinity;
      let nextCol = -1;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const reduced = at(row - 1, j - 1) - u[row]! - v[j]!;
        if (reduced < minReduced[j]!) {
          minReduced[j] = reduced;
          way[j] = col0;
        }
        if (minReduced[j]! < delta) {
          delta = minReduced[j]!;
          nextCol = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[rowOfCol[j]!] += delta;
          v[j] -= delta;
        } else {
          minReduced[j] -= delta;
        }
      }
      col0 = nextCol;
    } while (rowOfCol[col0] !== 0);
    // Flip the augmenting path back to the virtual column.
    do {
      const prev = way[col0]!;
      rowOfCol[col0] = rowOfCol[prev]!;
      col0 = prev;
    } while (col0 !== 0);
  }
  const result = new Array<number>(n).fill(-1);
  for (let j = 1; j <= m; j++) {
    if (rowOfCol[j]! !== 0) result[rowOfCol[j]! - 1] = j - 1;
  }
  return result;
}
