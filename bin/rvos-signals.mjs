// Preloaded by the Slurm batch script (`node --import`), so that from the process's first moment
// SIGUSR1 is recorded rather than opening Node's inspector (its default), and a time-limit warning
// that arrives while rvos is still starting is not lost: src/train/preemption.ts reads it.
const key = Symbol.for('rvos.stopSignal');
process.on('SIGUSR1', () => {
  globalThis[key] ??= 'SIGUSR1';
});
