/**
 * `rvos model summary [--encoder resnet101 --hidden 128 --slots 10 --recurrence ST --mode zero_shot
 * --objectness --pretrained PATH|nsfwjs]`: builds the model and prints parameter counts by part.
 */
import { parseArgs } from 'node:util';
import { initBackend } from '../../backend/index.js';
import { ENCODER_NAMES, parameterCounts, RVOSModel, type RVOSModelConfig } from '../../models/index.js';
import { ConfigError } from '../../utils/errors.js';

const USAGE = `Usage: rvos model summary [options]
Builds an RVOS model and prints its parameter counts by part (encoder, skip reductions,
ConvLSTM decoder, objectness head).
  --encoder NAME      ${ENCODER_NAMES.join(' | ')} (default resnet101)
  --hidden N          decoder width, a multiple of 8 (default 128)
  --slots N           object slots (default 10)
  --recurrence R      S | T | ST (default ST)
  --mode M            zero_shot | one_shot (default zero_shot)
  --objectness        add the objectness head
  --pretrained SRC    TF.js layers model folder or 'nsfwjs' (default none)
  --json              print JSON instead of a table`;

function int(value: string | undefined, key: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new ConfigError(`${key}: expected an integer, got '${value}'`);
  return n;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      encoder: { type: 'string' },
      hidden: { type: 'string' },
      slots: { type: 'string' },
      recurrence: { type: 'string' },
      mode: { type: 'string' },
      objectness: { type: 'boolean' },
      pretrained: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals[0] !== 'summary') {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const config: RVOSModelConfig = {
    encoder: { name: (values.encoder ?? 'resnet101') as RVOSModelConfig['encoder']['name'], pretrained: values.pretrained ?? null },
    hidden: int(values.hidden, '--hidden', 128),
    slots: int(values.slots, '--slots', 10),
    recurrence: (values.recurrence ?? 'ST') as RVOSModelConfig['recurrence'],
    mode: (values.mode ?? 'zero_shot') as RVOSModelConfig['mode'],
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
  const labels: Record<string, string> = { encoder: `encoder (${config.encoder.name})`, skip: 'skip reductions', decoder: 'ConvLSTM decoder + head', objectness: 'objectness head' };
  const fmt = (n: number): string => n.toLocaleString('en-US').padStart(14);
  console.log(`RVOS ${config.recurrence} ${config.mode}, hidden ${config.hidden}, ${config.slots} slots`);
  console.log(`${'part'.padEnd(28)}${'params'.padStart(14)}${'BN stats'.padStart(14)}`);
  for (const c of counts) console.log(`${labels[c.part]!.padEnd(28)}${fmt(c.params)}${fmt(c.buffers)}`);
  const total = counts.reduce((a, c) => a + c.params, 0);
  console.log(`${'total'.padEnd(28)}${fmt(total)}`);
  return 0;
}
