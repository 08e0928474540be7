/**
 * `rvos model summary [--encoder resnet101 --hidden 128 --slots 10 --recurrence ST --mode zero_shot
 * --objectness --pretrained PATH|nsfwjs]`: builds the model and prints parameter counts by part.
 */
import { initBackend } from '../../backend/index.js';
import { ENCODER_NAMES, parameterCounts, RVOSModel, type RVOSModelConfig } from '../../models/index.js';
import { parseFlags } from '../args.js';

const USAGE = `Usage: rvos model summary [options]
Builds an RVOS model and prints its parameter counts by part (encoder, skip reductions,
ConvLSTM decoder, objectness head).
  --encoder NAME      ${ENCODER_NAMES.join(' | ')} (default resnet101)
  --hidden N          decoder width, a multiple of 8 (default 128)
  --slots N           object slots (default 10)
  --recurrence R      S | T | ST | T_no_spatial (default ST)
  --mode M            zero_shot | one_shot (default zero_shot)
  --objectness        add the objectness head
  --pretrained SRC    TF.js layers model folder or 'nsfwjs' (default none)
  --json              print JSON instead of a table`;

export async function run(argv: string[]): Promise<number> {
  const {
    flags: values,
    positionals,
    help,
  } = parseFlags(
    argv,
    {
      encoder: { type: 'string', choices: ENCODER_NAMES },
      hidden: { type: 'int', min: 8 },
      slots: { type: 'int', min: 1 },
      recurrence: { type: 'string', choices: ['S', 'T', 'ST', 'T_no_spatial'] },
      mode: { type: 'string', choices: ['zero_shot', 'one_shot'] },
      objectness: { type: 'boolean' },
      pretrained: { type: 'string', placeholder: 'SRC' },
      json: { type: 'boolean' },
    },
    { command: 'model', usage: USAGE, positionals: 1 },
  );
  if (help || positionals[0] !== 'summary') {
    console.log(USAGE);
    return help ? 0 : 2;
  }
  const config: RVOSModelConfig = {
    encoder: { name: values.encoder ?? 'resnet101', pretrained: values.pretrained ?? null },
    hidden: values.hidden ?? 128,
    slots: values.slots ?? 10,
    recurrence: values.recurrence ?? 'ST',
    mode: values.mode ?? 'zero_shot',
    objectness: values.objectness ?? false,
    seed: 0,
  };
  await initBackend(undefined, { quiet: true });
  const model = await RVOSModel.create(config);
  const counts = parameterCounts(model);
  model.dispose();
  if (values.json) {
    console.log(JSON.stringify({ config, parts: counts }, null, 2));
    return 0;
  }
  const labels: Record<string, string> = {
    encoder: `encoder (${config.encoder.name})`,
    skip: 'skip reductions',
    decoder: 'ConvLSTM decoder + head',
    objectness: 'objectness head',
  };
  const fmt = (n: number): string => n.toLocaleString('en-US').padStart(14);
  console.log(`RVOS ${config.recurrence} ${config.mode}, hidden ${config.hidden}, ${config.slots} slots`);
  console.log(`${'part'.padEnd(28)}${'params'.padStart(14)}${'BN stats'.padStart(14)}`);
  for (const c of counts) console.log(`${labels[c.part]!.padEnd(28)}${fmt(c.params)}${fmt(c.buffers)}`);
  const total = counts.reduce((a, c) => a + c.params, 0);
  console.log(`${'total'.padEnd(28)}${fmt(total)}`);
  return 0;
}
