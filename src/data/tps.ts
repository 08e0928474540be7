/**
 * Thin-plate spline interpolation in 2-D (Bookstein 1989): the smooth map f with f(p_i) = q_i
 * that minimises bending energy, f(x) = a0 + a1·x + a2·y + Σ w_i U(|x − p_i|), U(r) = r² log r².
 * Used to deform masks non-rigidly when synthesising prior masks.
 */

export type Point = [number, number];

function kernel(r2: number): number {
  return r2 === 0 ? 0 : r2 * Math.log(r2);
}

/** Solves A x = b in place by Gaussian elimination with partial pivoting (A is n x n). */
function solve(a: Float64Array[], b: Float64Array): Float64Array {
  const n = b.length;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    if (Math.abs(a[pivot]![col]!) < 1e-12) throw new RangeError('thin-plate spline: control points are degenerate (collinear or repeated)');
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    [b[col], b[pivot]] = [b[pivot]!, b[col]!];
    for (let r = col + 1; r < n; r++) {
      const f = a[r]![col]! / a[col]![col]!;
      if (f === 0) continue;
      for (let c = col; c < n; c++) a[r]![c]! -= f * a[col]![c]!;
      b[r]! -= f * b[col]!;
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r]!;
    for (let c = r + 1; c < n; c++) s -= a[r]![c]! * x[c]!;
    x[r] = s / a[r]![r]!;
  }
  return x;
}

/** Fits the spline taking `from[i]` to `to[i]`; returns the map. Needs ≥ 3 non-collinear points. */
export function fitThinPlateSpline(from: Point[], to: Point[]): (x: number, y: number) => Point {
  const n = from.length;
  if (n !== to.length || n < 3) throw new RangeError(`thin-plate spline needs matching point lists of >= 3 (got ${n}, ${to.length})`);
  const size = n + 3;
  const build = (): Float64Array[] => {
    const a = Array.from({ length: size }, () => new Float64Array(size));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const dx = from[i]![0] - from[j]![0];
        const dy = from[i]![1] - from[j]![1];
        a[i]![j] = kernel(dx * dx + dy * dy);
      }
      const row = [1, from[i]![0], from[i]![1]];
      for (let k = 0; k < 3; k++) {
        a[i]![n + k] = row[k]!;
        a[n + k]![i] = row[k]!;
      }
    }
    return a;
  };
  const coef = [0, 1].map((axis) => {
    const b = new Float64Array(size);
    for (let i = 0; i < n; i++) b[i] = to[i]![axis]!;
    return solve(build(), b);
  });
  return (x, y) => {
    const out: Point = [0, 0];
    for (let axis = 0; axis < 2; axis++) {
      const c = coef[axis]!;
      let v = c[n]! + c[n + 1]! * x + c[n + 2]! * y;
      for (let i = 0; i < n; i++) {
        const dx = x - from[i]![0];
        const dy = y - from[i]![1];
        v += c[i]! * kernel(dx * dx + dy * dy);
      }
      out[axis] = v;
    }
    return out;
  };
}
