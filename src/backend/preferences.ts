/** Backend preferences (`backend=` in the config, `--backend`, RVOS_BACKEND); no imports, so the config layer can read them. */
export const BACKEND_PREFERENCES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendPreference = (typeof BACKEND_PREFERENCES)[number];
