/**
 * Builds the browser demo (web/index.html + web/src) into web/dist (git-ignored). `rvos demo`
 * builds it on demand; `npm run build:web` does the same by hand. The page imports the project's
 * own src/ modules (the inference code, the model format, the palette codec) and the tfjs wasm
 * binaries as assets (web/src/backends.ts hands their URLs to tfjs-backend-wasm).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  // Relative asset URLs: the page works under any path the server mounts it at.
  base: './',
  resolve: {
    // Node-only paths of shared src/ modules (model folders on disk, pretrained files) are never
    // taken in the page; a stub keeps them out of the bundle (web/src/node_stub.ts).
    alias: [{ find: /^node:(fs|path|crypto)$/, replacement: path.join(here, 'src', 'node_stub.ts') }],
  },
  logLevel: 'warn',
  build: {
    outDir: path.join(here, 'dist'),
    emptyOutDir: true,
    // tfjs (core, layers, three backends) is one large chunk by nature; not worth a warning.
    chunkSizeWarningLimit: 8000,
    // The wasm binaries stay files (inlining 3 x 7 MB as base64 would only slow the first load).
    assetsInlineLimit: 0,
    target: 'es2022',
  },
  server: { fs: { allow: [path.join(here, '..')] } },
});
