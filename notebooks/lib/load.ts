/**
 * Brings the library into a tslab kernel.
 *
 * tslab compiles cells (and every .ts file they import, with all its imports) to CommonJS with its
 * own TypeScript 5.0, and type-checks them all. The library does not load that way: it is ESM
 * (`import.meta.url` in src/backend, src/experiments/launch/launcher.ts and src/data/worker_pool.ts is a
 * syntax error in CommonJS) and zod 4's types need TypeScript ≥ 5.5. So the notebooks load it at
 * run time through tsx, the loader `rvos` and the tests use: the same code, the same module
 * instances (one tfjs-core), no second compiler. This file is the only one tslab compiles.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * A real dynamic import(): in a file tslab compiles, `import()` becomes `require()`, which cannot
 * load ESM with top-level await (vega) or TypeScript through tsx.
 */
const dynamicImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

let registered: Promise<void> | null = null;

/** Imports a TypeScript or JavaScript ESM file (path relative to the kernel's working directory, the repository root). */
export async function importEsm(file: string): Promise<any> {
  if (registered === null) {
    registered = dynamicImport('tsx/esm/api').then((tsx) => {
      (tsx as { register(): unknown }).register();
    });
  }
  await registered;
  return dynamicImport(pathToFileURL(path.resolve(file)).href);
}

/**
 * The library's public API plus the notebooks' display helpers (notebooks/lib/api.ts). Typed `any`
 * on purpose: its declarations do not compile under tslab's TypeScript 5.0 (see above).
 */
export function rvos(): Promise<any> {
  return importEsm(path.join('notebooks', 'lib', 'api.ts'));
}
