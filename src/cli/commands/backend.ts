/** `rvos backend [--backend auto|tensorflow|wasm|cpu]`: shows which backend would run and why. */
import { parseArgs } from 'node:util';
import { initBackend, parseBackendPreference } from '../../backend/index.js';
import { describeNative } from '../../backend/native/index.js';

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { backend: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log('Usage: rvos backend [--backend auto|tensorflow|wasm|cpu]\nPrints the TensorFlow.js backend that runs and why (RVOS_BACKEND also sets the preference), and on wasm whether the oneDNN convolutions run (RVOS_NATIVE=0 switches them off, RVOS_NATIVE_THREADS=N sets their threads).');
    return 0;
  }
  const pref = values.backend === undefined ? undefined : parseBackendPreference(values.backend, '--backend');
  const report = await initBackend(pref, { quiet: true });
  // On wasm, say whether the convolutions run on oneDNN (and with how many threads) or why not.
  const what = report.native?.active ? `${report.backend} + ${describeNative(report.native)}` : report.backend;
  console.log(`${what}: ${report.reason} (preference from ${report.source})`);
  if (report.native !== undefined && !report.native.active) console.log(describeNative(report.native));
  return 0;
}
