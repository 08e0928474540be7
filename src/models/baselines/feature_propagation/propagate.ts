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

/** A square window around each query: reference pixels farther than `radius` grid cells in y or x are left out. */
export interface PropagationWindow {
  /** [Nq, 2] (y, x) grid coordinates of the queries. */
  queryCoords: tf.Tensor2D;
  /** [Nr, 2] (y, x) grid coordinates of the references (on the query frame's grid). */
  keyCoords: tf.Tensor2D;
  /** In grid cells (Chebyshev distance); 0 keeps only the same position. */
  radius: number;
}

export interface PropagationOptions {
  /** Reference pixels per query (capped at the number of references). */
  topK: number;
  /** Softmax temperature over the cosine similarities of the top k. */
  temperature: number;
  /** Largest affinity block (query rows x references). */
  maxAffinityElements: number;
  /** Absent: every reference pixel is a candidate. */
  window?: PropagationWindow;
}

/** Affinity of a query left outside a window (the top k never picks it while any reference is inside). */
const OUTSIDE_WINDOW = -1e4;

/** Soft labels of the queries [Nq, L]; disposes nothing it was given. */
export function propagateLabels(queries: tf.Tensor2D, keys: tf.Tensor2D, labels: tf.Tensor2D, options: PropagationOptions): tf.Tensor2D {
  const [nq, c] = queries.shape;
  const [nr, ck] = keys.shape;
  if (c !== ck) throw new Error(`propagateLabels: queries have ${c} channels, keys ${ck}`);
  if (labels.shape[0] !== nr) throw new Error(`propagateLabels: ${nr} keys but ${labels.shape[0]} label rows`);
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
          const window = options.window;
          if (window !== undefined) {
            const qc = tf.slice(window.queryCoords, [start, 0], [size, 2]);
            // Chebyshev distance [size, Nr] from the (y, x) differences.
            const dy = tf.abs(tf.sub(tf.slice(qc, [0, 0], [size, 1]), tf.reshape(tf.slice(window.keyCoords, [0, 0], [nr, 1]), [1, nr])));
            const dx = tf.abs(tf.sub(tf.slice(qc, [0, 1], [size, 1]), tf.reshape(tf.slice(window.keyCoords, [0, 1], [nr, 1]), [1, nr])));
            const outside = tf.greater(tf.maximum(dy, dx), window.radius);
            affinity = tf.where(outside, tf.fill(affinity.shape, OUTSIDE_WINDOW), affinity);
          }
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

/** (y, x) of every cell of an h x w grid, row-major, repeated `times` times: [h * w * times, 2]. */
export function gridCoords(h: number, w: number, times = 1): tf.Tensor2D {
  const data = new Float32Array(h * w * 2 * times);
  for (let r = 0; r < times; r++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const i = (r * h * w + y * w + x) * 2;
        data[i] = y;
        data[i + 1] = x;
      }
  return tf.tensor2d(data, [h * w * times, 2]);
}
