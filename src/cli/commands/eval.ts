/**
 * `rvos eval`: evaluates a result folder with the official DAVIS-2017 (semi-supervised or
 * unsupervised) or YouTube-VOS protocol, writes the CSVs + JSON and prints the global table.
 */
import fs from 'node:fs';
import { evaluateDavis } from '../../eval/davis.js';
import { formatFixed3, formatGlobalTable, writeEvaluation } from '../../eval/report.js';
import { evaluateYouTubeVOS, writeYouTubeVOSEvaluation, YOUTUBE_VOS_MEASURES } from '../../eval/youtube_vos.js';
import { ConfigError } from '../../utils/errors.js';
import { parseFlags, UsageError } from '../args.js';

const USAGE = `Usage: rvos eval --dataset davis2017|youtube_vos --root DIR --results DIR [options]

Evaluates predicted palette PNGs (<results>/<sequence>/<frame>.png) with the official metrics.

Options:
  --dataset davis2017|youtube_vos
  --root DIR          dataset root (DAVIS: holds ImageSets/ and Annotations/; YouTube-VOS: holds <split>/)
  --results DIR       result folder
  --task semi|unsupervised   DAVIS protocol (default semi)
  --split NAME        DAVIS: ImageSets/2017/<split>.txt (default val); YouTube-VOS: train|valid (default valid)
  --sequences A,B     evaluate only these sequences/videos
  --seen FILE         YouTube-VOS: categories seen in training, one per line (others count as unseen)
  --out DIR           where to write CSV/JSON (default: the result folder)
  --temporal-stability   DAVIS: also compute the DAVIS-2016 temporal stability T (slow; separate CSV)
  -h, --help`;

export async function run(argv: string[]): Promise<number> {
  const { flags: values, help } = parseFlags(
    argv,
    {
      dataset: { type: 'string', choices: ['davis2017', 'youtube_vos'] }, root: { type: 'string' }, results: { type: 'string' }, task: { type: 'string', choices: ['semi', 'unsupervised'] },
      split: { type: 'string' }, sequences: { type: 'string' }, seen: { type: 'string' }, out: { type: 'string' }, 'temporal-stability': { type: 'boolean' },
    },
    { command: 'eval', usage: USAGE },
  );
  if (help) {
    console.log(USAGE);
    return 0;
  }
  const required = (name: 'dataset' | 'root' | 'results'): string => {
    const v = values[name];
    if (v === undefined) throw new UsageError(`--${name} is required`, USAGE.split('\n')[0]!, 'eval');
    return v;
  };
  const dataset = required('dataset');
  const root = required('root');
  const results = required('results');
  const out = values.out ?? results;
  const sequences = values.sequences?.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const started = Date.now();
  if (dataset === 'davis2017') {
    const task = values.task ?? 'semi';
    const evaluation = await evaluateDavis({
      root, results, task, split: values.split, sequences, temporalStability: values['temporal-stability'] === true,
      onSequence: (s, i, n) => process.stderr.write(`\r[${i + 1}/${n}] ${s.sequence}`.padEnd(60)),
    });
    process.stderr.write('\n');
    const files = writeEvaluation(out, evaluation);
    console.log(`DAVIS-2017 ${evaluation.task}: ${evaluation.perObject.length} objects in ${evaluation.sequences.length} sequences (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    console.log(formatGlobalTable(evaluation.global));
    if (evaluation.temporalStability !== undefined) console.log(`T-Mean (DAVIS-2016 temporal stability, lower is better): ${formatFixed3(evaluation.temporalStability.mean) || 'NaN'}`);
    console.log(`Wrote ${files.join(', ')}`);
    return 0;
  }
  if (dataset === 'youtube_vos') {
    if (values.seen === undefined) throw new ConfigError('--seen FILE (the categories seen in training, one per line) is required for youtube_vos');
    let seenText: string;
    try {
      seenText = fs.readFileSync(values.seen, 'utf8');
    } catch {
      throw new ConfigError(`--seen ${values.seen}: file is missing or unreadable`);
    }
    const seenCategories = seenText.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
    const evaluation = await evaluateYouTubeVOS({ root, results, split: values.split, videos: sequences, seenCategories });
    const files = writeYouTubeVOSEvaluation(out, evaluation);
    console.log(`YouTube-VOS: ${evaluation.objects.length} objects (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    console.log(YOUTUBE_VOS_MEASURES.map((m) => m.padStart(9)).join(' '));
    console.log(YOUTUBE_VOS_MEASURES.map((m) => (formatFixed3(evaluation.global[m]) || 'NaN').padStart(9)).join(' '));
    console.log(`Wrote ${files.join(', ')}`);
    return 0;
  }
  throw new ConfigError(`--dataset must be davis2017 or youtube_vos, got '${dataset}'`);
}
