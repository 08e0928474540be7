/**
 * Scores a segmenter (the inference core over a trained model) on whole videos with the official
 * DAVIS protocols: predictions are made at each video's own resolution and compared with its
 * annotations (semi-supervised for one-shot models, unsupervised for zero-shot ones). Used for validation during training and for the final
 * evaluation, where the label maps are also written as palette PNGs.
 */
import path from 'node:path';
import type { VideoSegmenter } from '../../models/index.js';
import type { EvalTask, LabelMap, VideoSequence } from '../../data/index.js';
import { writeLabelPng } from '../../data/index.js';
import { predictSequence, type PredictOptions } from '../../eval/predictor.js';
import type { SequenceEvaluation } from '../../eval/sequence.js';
import { evaluateSequenceWith, type DavisProtocol } from '../../eval/davis2016.js';
import { buildDavisEvaluation, type DavisEvaluation } from '../../eval/report.js';

export interface EvaluateModelOptions extends PredictOptions {
  task: EvalTask;
  /** The scoring rules (default davis2017; davis2016: one binary foreground object per video). */
  protocol?: DavisProtocol;
  /** Write each sequence's label maps to <dir>/<sequence>/<frame>.png. */
  predictionsDir?: string;
  /** Called with each sequence's predicted label maps (e.g. to log overlays). */
  onSequence?: (sequence: VideoSequence, labels: LabelMap[]) => Promise<void> | void;
  /**
   * Filled with the wall and process CPU time of prediction (frame decoding and label maps
   * included) and the frames predicted. CPU time is what a shared machine's load disturbs least.
   */
  timing?: { seconds: number; cpuSeconds: number; frames: number };
}

async function readAllAnnotations(seq: VideoSequence): Promise<LabelMap[]> {
  const out: LabelMap[] = [];
  for (let i = 0; i < seq.frameNames.length; i++) {
    const label = await seq.readAnnotation(i);
    out.push(label ?? { width: seq.width, height: seq.height, data: new Uint8Array(seq.width * seq.height) });
  }
  return out;
}

export async function evaluateModel(segmenter: VideoSegmenter, sequences: VideoSequence[], options: EvaluateModelOptions): Promise<DavisEvaluation> {
  const evaluations: SequenceEvaluation[] = [];
  const warn = options.warn ?? ((m: string) => console.warn(m));
  const { slots } = segmenter;
  for (const seq of sequences) {
    // Zero-shot proposes at most `slots` objects: say which ground-truth objects it cannot cover.
    if (options.task === 'unsupervised' && options.protocol !== 'davis2016' && seq.objectIds.length > slots) {
      warn(
        `[rvos] ${seq.name}: ${seq.objectIds.length} objects (ids ${seq.objectIds.join(', ')}) but the model proposes at most ${slots}; at least ${seq.objectIds.length - slots} of them will be scored as missed (train with more model.slots)`,
      );
    }
    const started = performance.now();
    const cpu = process.cpuUsage();
    const { labels } = await predictSequence(segmenter, seq, options);
    if (options.timing !== undefined) {
      const used = process.cpuUsage(cpu);
      options.timing.seconds += (performance.now() - started) / 1000;
      options.timing.cpuSeconds += (used.user + used.system) / 1e6;
      options.timing.frames += labels.length;
    }
    if (options.predictionsDir !== undefined) {
      labels.forEach((label, t) => writeLabelPng(path.join(options.predictionsDir!, seq.name, `${seq.frameNames[t]}.png`), label));
    }
    await options.onSequence?.(seq, labels);
    const gt = await readAllAnnotations(seq);
    evaluations.push(evaluateSequenceWith(options.protocol ?? 'davis2017', options.task, gt, labels, { sequence: seq.name, frameNames: seq.frameNames }));
  }
  return buildDavisEvaluation(options.task, evaluations);
}
