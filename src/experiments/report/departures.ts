/**
 * What a config changes from RVOS (Ventura et al., CVPR 2019, and its official code), by name, so a
 * results page can say which of its numbers are RVOS's method and which are ours. The reference
 * values are RVOS's (docs/rvos.md); `model=rvos` with `train=default` departs only where the CPU
 * forces it (the encoder and its pre-training) and where data.* differs from RVOS's clips.
 */
import { loadRunConfig, type RvosConfig } from '../../config/index.js';
import type { SweepJobResult } from './sweep_results.js';

export interface Departure {
  /** What differs, in words a results page prints ("objectness head"). */
  name: string;
  /** The config key(s) and value ("model.objectness=true"). */
  setting: string;
  /** What RVOS does instead ("none"). */
  rvos: string;
}

/** RVOS's settings (docs/rvos.md): the values a config is compared with. */
export const RVOS_REFERENCE = {
  hidden: 128,
  slots: 10,
  encoder: 'resnet101',
  lr: 1e-3,
  encoderLr: 1e-6,
  weightDecay: 1e-6,
  clipLength: 5,
} as const;

/** The config's departures from RVOS, in a fixed order (empty: the config runs RVOS as published). */
export function rvosDepartures(config: RvosConfig): Departure[] {
  const m = config.model;
  const t = config.train;
  if (m.family !== 'rvos') return [{ name: 'another method', setting: `model.family=${m.family}`, rvos: 'this is a baseline, not RVOS' }];
  const out: Departure[] = [];
  const add = (when: boolean, name: string, setting: string, rvos: string) => {
    if (when) out.push({ name, setting, rvos });
  };
  const zeroShot = m.mode === 'zero_shot';
  add(m.objectness === true, 'objectness head', 'model.objectness=true', 'none');
  add(
    m.objectness === true && t.objectness_weight > 0 && t.objectness_pos_weight !== 1,
    'objectness positive weight',
    `train.objectness_pos_weight=${t.objectness_pos_weight}`,
    'no objectness head',
  );
  add(t.empty_slot_weight > 0, 'empty-slot loss', `train.empty_slot_weight=${t.empty_slot_weight}`, 'unmatched slots get no loss');
  add(
    m.motion_input,
    'motion input',
    `model.motion_input=true, model.first_frame_motion=${m.first_frame_motion}, model.motion_alignment=${m.motion_alignment}`,
    'RGB only',
  );
  add(zeroShot && m.inputs.includes('slot_canvas'), 'slot canvas', 'model.inputs has slot_canvas', 'slots see only the recurrent state');
  add(zeroShot && m.inputs.includes('foreground'), 'foreground head', 'model.inputs has foreground', 'none');
  add(zeroShot && m.inputs.includes('motion_proposal'), 'motion proposal', 'model.inputs has motion_proposal', 'slots get no proposal');
  add(
    zeroShot && m.inputs.includes('lead_motion_proposal'),
    'motion proposal for the first slot',
    'model.inputs has lead_motion_proposal',
    'slots get no proposal',
  );
  add(zeroShot && m.inputs.includes('own_prev_mask'), 'own previous mask', 'model.inputs has own_prev_mask', 'zero-shot slots get no mask input');
  add(m.inputs.includes('global_matching'), 'global matching map', 'model.inputs has global_matching', "none (FEELVOS's)");
  add(
    m.inputs.includes('local_matching'),
    'local matching map',
    `model.inputs has local_matching, model.matching.local_radius=${m.matching.local_radius}`,
    "none (FEELVOS's)",
  );
  add(m.mode === 'one_shot' && !m.inputs.includes('prev_mask'), 'no previous-mask input', 'model.inputs lacks prev_mask', 'one-shot feeds the previous mask');
  // S and T are RVOS's own ablation rows, not its model (ST): a page whose model uses one says so.
  add(m.recurrence === 'S' || m.recurrence === 'T', 'recurrence', `model.recurrence=${m.recurrence}`, 'ST (slot to slot and frame to frame)');
  add(m.recurrence === 'T_no_spatial', 'T without frame-0 spatial state', 'model.recurrence=T_no_spatial', 'T keeps the slot-to-slot state on frame 0');
  add(m.hidden !== RVOS_REFERENCE.hidden, 'hidden width', `model.hidden=${m.hidden}`, String(RVOS_REFERENCE.hidden));
  add(m.slots !== RVOS_REFERENCE.slots, 'slots', `model.slots=${m.slots}`, String(RVOS_REFERENCE.slots));
  add(config.encoder.name !== RVOS_REFERENCE.encoder, 'encoder', `encoder.name=${config.encoder.name}`, 'ResNet-101');
  add(config.encoder.pretrained === null, 'encoder from scratch', 'encoder.pretrained=null', 'ImageNet weights');
  add(config.encoder.freeze !== 'none', 'frozen encoder', `encoder.freeze=${config.encoder.freeze}`, 'the whole encoder trains (lr 1e-6)');
  add(config.encoder.output_stride !== 32, 'truncated encoder', `encoder.output_stride=${config.encoder.output_stride}`, 'the whole backbone (stride 32)');
  add(t.lr !== RVOS_REFERENCE.lr, 'learning rate', `train.lr=${t.lr}`, '1e-3');
  add(t.encoder_lr !== RVOS_REFERENCE.encoderLr, 'encoder learning rate', `train.encoder_lr=${t.encoder_lr}`, '1e-6');
  add(t.lr_schedule !== 'constant', 'lr schedule', `train.lr_schedule=${t.lr_schedule}`, 'constant');
  add(t.weight_decay !== RVOS_REFERENCE.weightDecay, 'weight decay', `train.weight_decay=${t.weight_decay}`, '1e-6');
  add(t.slot_assignment !== 'first_frame', 'slot assignment', `train.slot_assignment=${t.slot_assignment}`, 'Hungarian on the first frame');
  add(zeroShot && t.slot_order !== 'hungarian', 'slot order', `train.slot_order=${t.slot_order}`, 'Hungarian');
  add(t.slot_balance, 'slot-balanced loss', 'train.slot_balance=true', 'averaged per (object, frame) pair');
  add(config.data.clip_length !== RVOS_REFERENCE.clipLength, 'clip length', `data.clip_length=${config.data.clip_length}`, '5');
  add(config.data.max_skip > 1, 'frame skipping', `data.max_skip=${config.data.max_skip}`, 'consecutive frames');
  add(m.mode === 'one_shot' && config.data.prior_mask, 'prior masks', 'data.prior_mask=true', 'exact first-frame masks');
  add(m.mode === 'one_shot' && config.eval.previous_mask !== 'soft', 'thresholded previous mask', `eval.previous_mask=${config.eval.previous_mask}`, 'soft');
  return out;
}

/** "objectness head, empty-slot loss, …" or "none". */
export function departureNames(config: RvosConfig): string {
  const d = rvosDepartures(config);
  return d.length === 0 ? 'none' : d.map((x) => x.name).join(', ');
}

/**
 * The "Departures from RVOS" section of a sweep report: one line per variant, from its first
 * job's saved config; empty when no job has a readable config.
 */
export function departuresMarkdown(variants: { jobs: SweepJobResult[] }[], labelOf: (v: { jobs: SweepJobResult[] }) => string): string {
  const lines: string[] = [];
  for (const v of variants) {
    const config = v.jobs.map(readConfig).find((c) => c !== null);
    if (config == null) continue;
    const d = rvosDepartures(config);
    lines.push(`- ${labelOf(v)}: ${d.length === 0 ? 'none' : d.map((x) => `${x.name} (\`${x.setting}\`; RVOS: ${x.rvos})`).join('; ')}`);
  }
  return lines.length === 0 ? '' : ['## Departures from RVOS', '', ...lines].join('\n');
}

function readConfig(job: SweepJobResult): RvosConfig | null {
  try {
    return loadRunConfig(job.runDir).config;
  } catch {
    return null;
  }
}
