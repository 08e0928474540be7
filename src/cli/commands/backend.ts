/** `rvos backend [--backend auto|tensorflow|wasm|cpu]`: shows which backend would run and why. */
import { parseFlags } from '../args.js';
import { initBackend, parseBackendPreference } from '../../backend/index.js';

export async function run(argv: string[]): Promise<number> {
  const usage = 'Usage: rvos backend [--backend auto|tensorflow|wasm|cpu]\nPrints the TensorFlow.js backend that runs and why (RVOS_BACKEND also sets the preference).';
  const { flags, help } = parseFlags(argv, { backend: { type: 'string', placeholder: 'NAME' } }, { command: 'backend', usage });
  if (help) {
    console.log(usage);
    return 0;
  }
  const pref = flags.backend === undefined ? undefined : parseBackendPreference(flags.backend, '--backend');
  const report = await initBackend(pref, { quiet: true });
  console.log(`${report.backend}: ${report.reason} (preference from ${report.source})`);
  return 0;
}
