/**
 * Label propagation by feature matching: each query pixel takes the soft labels of its k most
 * similar reference pixels, weighted by a softmax of their similarities over a temperature. The
 * non-learned correspondence baseline of self-supervised video work (Wang et al., CVPR 2019,
 * "Learning Correspondence from the Cycle-Consistency of Time"; Jabri et al., NeurIPS 2020,
 * "Space-Time Correspondence as a Contrastive Random Walk"), written from its description.
 *
 * Shapes: queries [Nq, C] and keys [Nr, C] are L2-normalised per pixel (similarity = dot
 * product = cosine); labels [Nr, L] hold one column per label (background included), rows summing
 * to 1. The affinity [Nq, Nr] is computed in blocks of query rows so that no block holds more
 * than `maxAffinityElements` numbers.
 *
 * The affinity is a 1x1 convolution (queries as a 1 x Nq image, the keys as Nr filters) rather
 * than a matMul: with the native oneDNN convolutions (src/backend/) it ran 4-6x faster than the
 * wasm matMul on a [1620, 192] x [192, 6480] product (0.9-1.5 s against 5.6 s, nice'd on a loaded
 * 2-core machine; on other backends the two are the same product).
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * A square window around each query on a grid of h x w cells: reference cells (of `radii.length`
 * frames on the same grid, frame-major) farther than their frame's radius in y or x (Chebyshev
 * distance) are left out. The masks depend on nothing else, so each block's is made once, on the
 * CPU, and kept until dispose(): a model reuses one window for every frame with the same grid and
 * reference frames.
 */
export class GridWindow {
  private readonly blocks = new Map<string, tf.Tensor2D>();

  constructor(
    readonly grid: readonly [number, number],
    /** Per reference frame, in grid cells: 0 keeps only the same position, Infinity the whole frame. */
    readonly radii: readonly number[],
  ) {}

  get refs(): number {
    return this.radii.length;
  }

  /** bool [size, refs * h * w]: true where a reference cell lies outside query row `start + i`'s window. */
  outside(start: number, size: number): tf.Tensor2D {
    const key = `${start}:${size}`;
    let mask = this.blocks.get(key);
    if (mask === undefined) {
      const [h, w] = this.grid;
      const cells = h * w;
      const nr = cells * this.refs;
      // The comparison the float32 ops made: integer distances against the radius rounded to float32.
      const radii = this.radii.map((r) => Math.fround(r));
      const data = new Uint8Array(size * nr);
      for (let i = 0; i < size; i++) {
        const [qy, qx] = [Math.floor((start + i) / w), (start + i) % w];
        for (let r = 0; r < nr; r++) {
          const cell = r % cells;
          const [ky, kx] = [Math.floor(cell / w), cell % w];
          data[i * nr + r] = Math.max(Math.abs(qy - ky), Math.abs(qx - kx)) > radii[Math.floor(r / cells)]! ? 1 : 0;
        }
      }
      mask = tf.keep(tf.tensor2d(data, [size, nr], 'bool'));
      this.blocks.set(key, mask);
    }
    return mask;
  }

  dispose(): void {
    for (const m of this.blocks.values()) m.dispose();
    this.blocks.clear();
  }
}

export interface PropagationOptions {
  /** Reference pixels per query (capped at the number of references). */
  topK: number;
  /** Softmax temperature over the cosine similarities of the top k. */
  temperature: number;
  /** Largest affinity block (query rows x references). */
  maxAffinityElements: number;
  /** Absent: every reference pixel is a candidate. Queries are its grid's cells, references its `refs` grids. */
  window?: GridWindow;
}

/** Affinity of a query left outside a window (the top k never picks it while any reference is inside). */
const OUTSIDE_WINDOW = -1e4;

/** Soft labels of the queries [Nq, L]; disposes nothing it was given. */
export function propagateLabels(queries: tf.Tensor2D, keys: tf.Tensor2D, labels: tf.Tensor2D, options: PropagationOptions): tf.Tensor2D {
  const [nq, c] = queries.shape;
  const [nr, ck] = keys.shape;
  if (c !== ck) throw new Error(`propagateLabels: queries have ${c} channels, keys ${ck}`);
  if (labels.shape[0] !== nr) throw new Error(`propagateLabels: ${nr} keys but ${labels.shape[0]} label rows`);
  const window = options.window;
  if (window !== undefined && (window.grid[0] * window.grid[1] !== nq || window.grid[0] * window.grid[1] * window.refs !== nr))
    throw new Error(`propagateLabels: a window over ${window.refs} grid(s) of ${window.grid} cells does not fit ${nq} queries and ${nr} keys`);
  const k = Math.min(options.topK, nr);
  const rows = Math.max(1, Math.min(nq, Math.floor(options.maxAffinityElements / nr)));
  const blocks: tf.Tensor2D[] = [];
  const filters = tf.tidy(() => tf.reshape(tf.transpose(keys), [1, 1, c, nr]) as tf.Tensor4D);
  try {
    for (let start = 0; start < nq; start += rows) {
      const size = Math.min(rows, nq - start);
      blocks.push(
        tf.tidy(() => {
          const q = tf.slice(queries, [start, 0], [size, c]);
          let affinity = tf.reshape(tf.conv2d(tf.reshape(q, [1, 1, size, c]) as tf.Tensor4D, filters, 1, 'valid'), [size, nr]) as tf.Tensor2D;
          if (window !== undefined) affinity = tf.where(window.outside(start, size), tf.fill(affinity.shape, OUTSIDE_WINDOW), affinity);
          const { values, indices } = tf.topk(affinity, k);
          const weights = tf.softmax(tf.div(values, options.temperature)); // [size, k]
          const picked = tf.gather(labels, tf.reshape(indices, [-1])); // [size * k, L]
          const weighted = tf.mul(tf.reshape(picked, [size, k, -1]), tf.expandDims(weights, 2));
          return tf.sum(weighted, 1) as tf.Tensor2D;
        }),
      );
    }
    return blocks.length === 1 ? blocks.pop()! : (tf.concat(blocks, 0) as tf.Tensor2D);
  } finally {
    tf.dispose([...blocks, filters]);
  }
}
