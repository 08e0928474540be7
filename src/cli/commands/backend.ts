/** `rvos backend [--backend auto|tensorflow|wasm|cpu]`: shows which backend would run and why. */
import { parseArgs } from 'node:util';
import { initBackend, parseBackendPreference } from '../../backend/index.js';

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { backend: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log('Usage: rvos backend [--backend auto|tensorflow|wasm|cpu]\nPrints the TensorFlow.js backend that runs and why (RVOS_BACKEND also sets the preference).');
    return 0;
  }
  const pref = values.backend === undefined ? undefined : parseBackendPreference(values.backend, '--backend');
  const report = await initBackend(pref, { quiet: true });
  console.log(`${report.backend}: ${report.reason} (preference from ${report.source})`);
  return 0;
}
