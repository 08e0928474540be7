/** Registers the project's training kernels for the wasm backend (filled in by the foundation work). */
let registered = false;

export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
}
