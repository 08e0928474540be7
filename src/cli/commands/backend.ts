/** `rvos backend [--backend auto|tensorflow|wasm|cpu]`: shows which backend would run and why. */
import { parseFlags } from '../args.js';
import { initBackend, parseBackendPreference } from '../../backend/index.js';
import { describeNative } from '../../backend/native/index.js';

export async function run(argv: string[]): Promise<number> {
  const usage =
    'Usage: rvos backend [--backend auto|tensorflow|wasm|cpu]\nPrints the TensorFlow.js backend that runs and why (RVOS_BACKEND also sets the preference), and on wasm whether the oneDNN convolutions run (RVOS_NATIVE=0 switches them off, RVOS_NATIVE_THREADS=N sets their threads).';
  const { flags, help } = parseFlags(argv, { backend: { type: 'string', placeholder: 'NAME' } }, { command: 'backend', usage });
  if (help) {
    console.log(usage);
    return 0;
  }
  const pref = flags.backend === undefined ? undefined : parseBackendPreference(flags.backend, '--backend');
  const report = await initBackend(pref, { quiet: true });
  // On wasm, say whether the convolutions run on oneDNN (and with how many threads) or why not.
  const what = report.native?.active ? `${report.backend} + ${describeNative(report.native)}` : report.backend;
  console.log(`${what}: ${report.reason} (preference from ${report.source})`);
  if (report.native !== undefined && !report.native.active) console.log(describeNative(report.native));
  return 0;
}
