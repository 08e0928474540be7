/**
 * Filters derived from a kernel input (flipped, channel-swapped, split by stride phase), kept as
 * long as the input's data lives. tfjs data is immutable and a dataId is never reused (a
 * Variable's assign() gives the variable the new value's dataId: tfjs-core tensor.js), so an
 * entry keyed by (source dataId, shape and geometry) stays valid until the source is freed.
 *
 * Lifetime: the entries are backend data, not engine tensors (tf.memory().numTensors does not
 * change); they are freed the moment their source's data is freed, through a hook on the
 * backend's disposeData. Reusing one derived filter also lets XNNPACK reuse the operator it packed
 * for it (the wasm Conv2D caches operators by filter id until that data is disposed).
 */
import * as tf from '@tensorflow/tfjs-core';
import { heapF32, internals, makeHeapOutput } from './wasm_heap.js';

type Entries = Map<string, tf.TensorInfo>;

interface Cache {
  bySource: Map<tf.DataId, Entries>;
  /** The backend's own disposeData, called for derived data. */
  dispose: (dataId: tf.DataId, force?: boolean) => boolean;
}

const caches = new WeakMap<tf.KernelBackend, Cache>();

function cacheOf(backend: tf.KernelBackend): Cache {
  let cache = caches.get(backend);
  if (cache !== undefined) return cache;
  const raw = internals(backend);
  const original = raw.disposeData.bind(backend) as Cache['dispose'];
  const created: Cache = { bySource: new Map(), dispose: original };
  raw.disposeData = (dataId: tf.DataId, force?: boolean): boolean => {
    const freed = original(dataId, force);
    if (freed) {
      const entries = created.bySource.get(dataId);
      if (entries !== undefined) {
        created.bySource.delete(dataId);
        for (const info of entries.values()) release(backend, created, info);
      }
    }
    return freed;
  };
  caches.set(backend, created);
  return created;
}

function release(backend: tf.KernelBackend, cache: Cache, info: tf.TensorInfo): void {
  if (cache.dispose(info.dataId)) tf.engine().removeDataId(info.dataId, backend);
}

/**
 * The filter derived from `source` under `key`, built by `fill(sourceValues, out)` into a fresh
 * float32 array of `shape` on first use. With `cache` false it is built every call and the
 * caller owns it (reference count 1); otherwise the cache owns it: wrap it with `tensorOf`.
 */
export function derivedFilter(
  backend: tf.KernelBackend,
  source: tf.TensorInfo,
  key: string,
  shape: number[],
  fill: (source: Float32Array, out: Float32Array) => void,
  cache: boolean,
): { info: tf.TensorInfo; owned: boolean } {
  const fullKey = `${source.shape.join('x')}|${key}`;
  const store = cache ? cacheOf(backend) : null;
  const hit = store?.bySource.get(source.dataId)?.get(fullKey);
  if (hit !== undefined) return { info: hit, owned: false };
  const out = makeHeapOutput(backend, shape);
  // Views after the allocation: it may have grown the heap.
  fill(heapF32(backend, source), heapF32(backend, out));
  if (store === null) return { info: out, owned: true };
  let entries = store.bySource.get(source.dataId);
  if (entries === undefined) {
    entries = new Map();
    store.bySource.set(source.dataId, entries);
  }
  entries.set(fullKey, out);
  return { info: out, owned: false };
}

/** Frees every derived filter now (e.g. before measuring memory); later calls rebuild them. */
export function releaseDerivedFilters(backend: tf.KernelBackend): void {
  const cache = caches.get(backend);
  if (cache === undefined) return;
  for (const entries of cache.bySource.values()) for (const info of entries.values()) release(backend, cache, info);
  cache.bySource.clear();
}

/** How many derived filters are alive (for tests). */
export function derivedFilterCount(backend: tf.KernelBackend): number {
  let n = 0;
  for (const entries of caches.get(backend)?.bySource.values() ?? []) n += entries.size;
  return n;
}
