/**
 * `rvos demo [--run RUN_DIR] [--port P]`: serves the browser demo (web/) and a trained run's model
 * from localhost and prints the address; the page segments videos with the model client-side.
 * Without --run it serves the newest trained run under the results root.
 */
import path from 'node:path';
import { ConfigError } from '../../utils/errors.js';
import { parseFlags } from '../args.js';

const USAGE = 'Usage: rvos demo [--run RUN_DIR] [--port P] [--results DIR]';
const DEFAULT_PORT = 5180;

export async function run(argv: string[]): Promise<number> {
  const { flags: values, help } = parseFlags(
    argv,
    {
      run: { type: 'string', placeholder: 'RUN_DIR' },
      port: { type: 'int', min: 0, max: 65535, placeholder: 'P' },
      results: { type: 'string', placeholder: 'DIR' },
    },
    { command: 'demo', usage: USAGE },
  );
  if (help) {
    console.log(
      `${USAGE}\n\nServes the demo page and RUN_DIR's model on http://localhost:P/ (default ${DEFAULT_PORT}; 0 = any free port).\nWithout --run: the newest trained run under --results (default results/).`,
    );
    return 0;
  }
  const port = values.port ?? DEFAULT_PORT;
  const { ensureWebBuild, findTrainedRuns, startDemoServer } = await import('../demo_server.js');
  let runDir = values.run;
  if (runDir === undefined) {
    const root = values.results ?? 'results';
    runDir = findTrainedRuns(root)[0];
    if (runDir === undefined) {
      throw new ConfigError(
        `no trained run under ${path.resolve(root)}: train one with \`npm start\` (the main job, ~12 min) or \`npx rvos train\`, or pass --run RUN_DIR`,
      );
    }
    console.log(`rvos demo: the newest trained run is ${runDir}`);
  }
  await ensureWebBuild({ log: (line) => console.log(`rvos demo: ${line}`) });
  const server = await startDemoServer(runDir, port);
  console.log(`rvos demo: serving ${runDir} at ${server.url}  (open it in a browser; Ctrl-C stops)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}
