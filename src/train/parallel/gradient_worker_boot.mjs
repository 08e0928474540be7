// Entry of a gradient worker thread: registers tsx's TypeScript loader in this thread (Node 20 does
// not apply `--import tsx` from execArgv to a worker's entry), then loads the worker itself.
import { register } from 'tsx/esm/api';

register();
await import('./gradient_worker.ts');
