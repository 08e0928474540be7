/**
 * TensorFlow.js backends in the page: webgpu, webgl, wasm (with this project's kernels, as
 * `rvos infer` runs them) and cpu. "auto" does what tfjs does by itself: the registered backend
 * with the highest priority that initialises (webgpu, then webgl, then wasm, then cpu).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { registerFusedKernels } from '../../src/backend/fused_kernels/index.js';
import { registerWasmTrainingKernels } from '../../src/backend/wasm_kernels/index.js';

export const BACKEND_CHOICES = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

// Vite gives each binary a hashed URL; tfjs-backend-wasm takes a per-file map.
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});
// The same kernel set as the CLI (src/backend/index.ts registers these before choosing a backend).
registerWasmTrainingKernels();
registerFusedKernels();

export function parseBackendChoice(value: string | null): BackendChoice {
  return (BACKEND_CHOICES as readonly string[]).includes(value ?? '') ? (value as BackendChoice) : 'auto';
}

/** Activates `choice`; resolves to the backend now running, or throws with a message for the page. */
export async function useBackend(choice: BackendChoice): Promise<string> {
  if (choice === 'auto') {
    await tf.ready();
    return tf.getBackend();
  }
  let ok = false;
  try {
    ok = await tf.setBackend(choice);
  } catch {
    ok = false;
  }
  if (!ok || tf.getBackend() !== choice) {
    const why = choice === 'webgpu' && !('gpu' in navigator) ? ' (this browser has no WebGPU)' : '';
    throw new Error(`backend ${choice} is not available in this browser${why}; choose another backend`);
  }
  return choice;
}
