// Every test file runs on the wasm backend (the everyday backend on this machine), with the
// project's training kernels registered, unless RVOS_BACKEND says otherwise.
import { initBackend } from '../src/backend/index.js';

await initBackend(process.env.RVOS_BACKEND === undefined ? 'wasm' : undefined, { quiet: true });
