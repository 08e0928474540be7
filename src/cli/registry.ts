/**
 * The table of `rvos` subcommands. Each entry lazily imports its implementation so that
 * `rvos --help` starts instantly and a command only loads the stages it uses.
 */
export interface Command {
  /** Runs the command with the arguments after its name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

export interface CommandEntry {
  summary: string;
  load: () => Promise<Command>;
}

export const COMMANDS: Record<string, CommandEntry> = {
  main: { summary: 'the main job: zero-shot vs one-shot on synthetic videos, evaluated and reported (npm start)', load: () => import('./commands/main.js') },
  train: { summary: 'train a model from configs/ + overrides (-m for sweeps, --cfg to print the config)', load: () => import('./commands/train.js') },
  experiment: { summary: 'run a named experiment (configs/experiment/NAME.yaml) and write its report', load: () => import('./commands/experiment.js') },
  report: { summary: 'write the report of a sweep folder', load: () => import('./commands/report.js') },
  demo: { summary: 'serve the browser demo: a trained run segments video live in a web page', load: () => import('./commands/demo.js') },
  infer: { summary: 'segment your own video (a folder of frames) with a trained run', load: () => import('./commands/infer.js') },
  backend: { summary: 'initialise TensorFlow.js and report which backend runs and why', load: () => import('./commands/backend.js') },
  data: { summary: 'data tools: synth (generate a synthetic DAVIS-layout dataset), info', load: () => import('./commands/data.js') },
  eval: { summary: 'evaluate result folders with the official DAVIS / YouTube-VOS metrics', load: () => import('./commands/eval.js') },
  model: { summary: 'model tools: summary (parameter counts)', load: () => import('./commands/model.js') },
};
