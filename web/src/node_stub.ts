/**
 * Stands in for node:fs / node:path / node:crypto in the page. The src/ modules the page imports
 * reach them only on Node-only paths (loading a model folder from disk, pretrained encoder files)
 * that the page never takes; if one ever does, the error says which.
 */
const stub = new Proxy(
  {},
  {
    get(_target, key) {
      throw new Error(`Node's file/crypto API (${String(key)}) is not available in the browser; this code path is Node-only`);
    },
  },
);
export default stub;
