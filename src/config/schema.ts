/**
 * The resolved config of a run, validated with zod. Every object is strict (an unknown key is an
 * error, so typos never pass silently). To add a setting: add it to the section schema here (a
 * baseline family's section `model.<family>`: its definition, src/models/baselines/families.ts)
 * and to the YAML file(s) in configs/ that define that section; model and encoder keys reach the
 * model as options of the same name in camelCase (src/config/options.ts). Keys added after runs were saved carry
 * a `.default(...)` equal to their YAML value, so older run folders still load (infer, resume);
 * renamed or folded keys are read from an old run's record by src/config/older_runs.ts.
 */
import { z } from 'zod';
import { BACKEND_PREFERENCES } from '../backend/preferences.js';
import { ENCODER_FREEZE_WORDS, ENCODER_NAMES } from '../models/encoders/encoder.js';
import { MODEL_CHECKS, type ValueCheck } from '../models/model_checks.js';
import {
  DECODER_INPUTS,
  ONE_SHOT_IGNORED_INPUTS,
  FIRST_FRAME_MOTIONS,
  MOTION_ALIGNMENTS,
  PREVIOUS_MASK_FEEDS,
  PREVIOUS_MASK_SOURCES,
  STAGE_SCHEDULES,
  RECURRENCES,
  SEGMENTATION_MODES,
  SLOT_ASSIGNMENTS,
} from '../models/names.js';
import { EVAL_TASKS } from '../data/types.js';
import { BASELINES, BASELINE_FAMILIES } from '../models/baselines/families.js';

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const probability = z.number().min(0).max(1);

/** A zod refinement running one of the model's value checks (one definition, src/models/model_checks.ts). */
function modelCheck(check: ValueCheck) {
  return (value: unknown, ctx: z.RefinementCtx): void => {
    const problem = check(value);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  };
}

// Name lists come from the code that uses them (src/models/names.ts and friends); only the
// dataset readers' names are defined here, next to the switch that picks a reader.
export const DATASETS = ['synthetic', 'davis2016', 'davis2017', 'youtube_vos', 'frames'] as const;

export const RunConfigSchema = z.strictObject({
  /** Run folders go under root/<date>/<time>[_name]; sweeps under root/multirun/<date>/<time>/<job>. */
  root: z.string().min(1),
  name: z.string().min(1).nullable(),
});

/** Model families: RVOS, and the survey's other systems as baselines (src/models/baselines/families.ts, docs/baselines.md). */
export const MODEL_FAMILIES = ['rvos', ...BASELINE_FAMILIES] as const;

type Baseline = (typeof BASELINES)[number];
/** Each baseline family's section model.<name> (its settings; null when the run is of another family). */
type FamilySections = { [F in Baseline as F['settings'] extends z.ZodObject ? F['name'] : never]: z.ZodDefault<z.ZodNullable<F['settings'] & z.ZodObject>> };

function familySections(): FamilySections {
  const sections = BASELINES.flatMap((f) => (f.settings === null ? [] : [[f.name, (f.settings as z.ZodObject).nullable().default(null)] as const]));
  return Object.fromEntries(sections) as unknown as FamilySections;
}

/**
 * The RVOS family's keys (src/models/rvos_model.ts): the model section's own keys, beside
 * `family` and the baseline families' sections. Each becomes the RVOSModelConfig option of the
 * same name in camelCase (src/config/options.ts).
 */
export const RvosModelConfigSchema = z.strictObject({
  /** ConvLSTM hidden channels of the first decoder level (a multiple of 8: the levels use hidden/2, /4, /8). */
  hidden: z.number().superRefine(modelCheck(MODEL_CHECKS.hidden)).optional(), // required of family rvos (below); baselines have none
  /** Object slots decoded per frame (the spatial recurrence length); objects with ids above it are dropped. */
  slots: z.number().superRefine(modelCheck(MODEL_CHECKS.slots)),
  /** S = spatial only (slot→slot), T = temporal only (frame→frame), ST = both (RVOS). */
  recurrence: z.enum(RECURRENCES),
  /** zero_shot: discover objects (unsupervised VOS); one_shot: first-frame masks given (semi-supervised). */
  mode: z.enum(SEGMENTATION_MODES),
  /** Per-slot objectness head (an extension; RVOS itself has none). */
  objectness: z.boolean().optional(), // required of family rvos (below); baselines have none
  /** The encoder also sees the difference to the previous frame (a motion cue; encoder=light only; not in RVOS). */
  motion_input: z.boolean(),
  /** Motion input of a video's first frame: zero (none) or the difference to the next frame. */
  first_frame_motion: z.enum(FIRST_FRAME_MOTIONS).default('zero'), // default: run folders made before this key
  /** Camera-motion compensation of the motion input: none | translation (the previous frame shifted by the global translation first). */
  motion_alignment: z.enum(MOTION_ALIGNMENTS).default('none'), // default: run folders made before this key
  /**
   * Per-slot decoder inputs: prev_mask (the mask channel in one-shot: the given or previous mask,
   * RVOS), own_prev_mask (the mask channel in zero-shot: the slot's own previous prediction),
   * global_matching / local_matching (FEELVOS maps, both modes), slot_canvas, foreground,
   * motion_proposal and lead_motion_proposal (zero-shot only: with mode one_shot they are an error,
   * ONE_SHOT_IGNORED_INPUTS):
   * src/models/rvos_model.ts.
   */
  inputs: z.array(z.enum(DECODER_INPUTS)).superRefine(modelCheck(MODEL_CHECKS.inputs)),
  /** FEELVOS matching maps (read when inputs has global_matching or local_matching). Default: absent in run folders made before these keys. */
  matching: z
    .strictObject({
      /** Embedding dimension (FEELVOS: 100). */
      embedding_dim: z.number().superRefine(modelCheck(MODEL_CHECKS['matching.embedding_dim'])),
      /** Local window radius at stride 4: auto = FEELVOS's 15 scaled to the map size (src/layers/matching.ts), or a number. */
      local_radius: z.union([z.literal('auto'), z.number()]).superRefine(modelCheck(MODEL_CHECKS['matching.local_radius'])),
      /** Reference pixels kept per object in training (FEELVOS: 1024); inference keeps all. */
      max_reference: z.number().superRefine(modelCheck(MODEL_CHECKS['matching.max_reference'])),
    })
    .default({ embedding_dim: 100, local_radius: 15, max_reference: 1024 }), // run folders made before these keys ran radius 15
});

/** RVOS's keys with no default: the RVOS options set them, the baseline families have no such setting. */
const RVOS_REQUIRED = ['hidden', 'objectness'] as const;

export const ModelConfigSchema = RvosModelConfigSchema.extend({
  /** rvos, or a baseline family (src/models/baselines/families.ts; one-shot only except feature_propagation; the RVOS keys above apply to rvos only). */
  family: z.enum(MODEL_FAMILIES).default('rvos'),
  ...familySections(),
}).superRefine((model, ctx) => {
  // RVOS's keys without a value every RVOS model must choose (configs/model/rvos.yaml, small.yaml set them).
  if (model.family === 'rvos') {
    for (const key of RVOS_REQUIRED) {
      if (model[key] === undefined)
        ctx.addIssue({ code: 'custom', path: [key], message: `the rvos family needs it (as configs/model/rvos.yaml sets it); set model.${key}` });
    }
  }
  // One-shot slots are told their objects by the given masks, so the model leaves these out; a
  // config that names them for one_shot would say it uses an input it does not.
  const ignored = model.mode === 'one_shot' ? model.inputs.filter((i) => ONE_SHOT_IGNORED_INPUTS.includes(i)) : [];
  if (ignored.length > 0) {
    const kept = model.inputs.filter((i) => !ignored.includes(i));
    ctx.addIssue({
      code: 'custom',
      path: ['inputs'],
      message: `${ignored.join(' and ')} ${ignored.length === 1 ? 'is a zero-shot input' : 'are zero-shot inputs'}, and model.mode is one_shot; remove ${ignored.length === 1 ? 'it' : 'them'} (model.inputs=[${kept.join(',')}])`,
    });
  }
});

export const EncoderConfigSchema = z.strictObject({
  name: z.enum(ENCODER_NAMES),
  /** Path to pretrained weights (a tfjs model.json), or null to train from scratch. */
  pretrained: z.string().min(1).nullable(),
  freeze_batch_norm: z.boolean(),
  /** encoder=light only: every channel width times this (1 = the light encoder's own widths). */
  width_multiplier: z.number().positive().default(1),
  /** Which backbone weights train: none (all), all (none; off the gradient tape), or N = the last N units (mobilenetv2). */
  freeze: z
    .union([z.enum(ENCODER_FREEZE_WORDS), z.number().int().nonnegative()], {
      error: `must be ${ENCODER_FREEZE_WORDS.join(' | ')} or a number of trainable last units (an integer >= 0)`,
    })
    .default('none'),
  /** mobilenetv2: stop the backbone at stride 16 or 8 (32 = the whole network). */
  output_stride: z.union([z.literal(32), z.literal(16), z.literal(8)], { error: 'must be 32, 16 or 8' }).default(32),
});

export const AugmentConfigSchema = z.strictObject({
  /** Probability of a horizontal flip per clip. */
  flip: probability,
  /** Maximum rotation in degrees. */
  rotation: z.number().nonnegative(),
  /** Maximum translation as a fraction of the image size. */
  translation: z.number().nonnegative(),
  /** Maximum shear (radians-free factor). */
  shear: z.number().nonnegative(),
  /** [min, max] scale factor. */
  zoom: z.tuple([z.number().positive(), z.number().positive()]).refine(([lo, hi]) => lo <= hi, 'zoom must be [min, max] with min <= max'),
});

function SynthSettingSchema() {
  return z.strictObject({
    /** [[H, W], …] frame sizes, one drawn per video. */
    sizes: z.array(z.tuple([positiveInt, positiveInt])).min(1),
    /** Shape kinds (src/data/synth/shapes.ts). */
    shapes: z.array(z.string()).min(1),
    /** Texture kinds (src/data/synth/texture.ts). */
    textures: z.array(z.string()).min(1),
    /** [min, max] objects per video (null = data.synth.objects). */
    objects: z.tuple([positiveInt, positiveInt]).nullable(),
    /** Overrides of the difficulty preset's knobs (src/data/synth/options.ts SynthDifficulty). */
    difficulty: z.record(z.string(), z.union([z.number(), z.tuple([z.number(), z.number()])])),
  });
}

/**
 * Run folders saved before the test split named the videos `videos` (all of them, the last
 * `val_videos` held out) and the held-out setting `val`: read as the splits they were.
 */
function olderSynth(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || !('videos' in value) || 'train_videos' in value) return value;
  const { videos, ...rest } = value as Record<string, unknown> & { videos: number; val_videos: number };
  const converted: Record<string, unknown> = { ...rest, train_videos: videos - rest.val_videos, test_videos: rest.val_videos };
  const variety = rest.variety as Record<string, unknown> | null | undefined;
  if (variety != null && 'val' in variety && !('held_out' in variety)) {
    const { val, ...others } = variety;
    converted.variety = { ...others, held_out: val };
  }
  return converted;
}

const SynthObjectSchema = z.strictObject({
  /** Videos of each split (docs/protocol.md): train trains, val chooses (checkpoints, levers), test reports. */
  train_videos: positiveInt,
  val_videos: positiveInt,
  test_videos: positiveInt,
  frames: positiveInt,
  /** [min, max] objects per video. */
  objects: z.tuple([positiveInt, positiveInt]).refine(([lo, hi]) => lo <= hi, 'objects must be [min, max] with min <= max'),
  seed: z.number().int(),
  /** Preset of the generator's difficulty knobs (src/data/synth/options.ts). */
  difficulty: z.enum(['easy', 'default', 'hard']),
  /**
   * The varied generator (null = the original one): training videos from `train`, val and test
   * videos from `held_out`, two settings with no frame size, shape kind or texture kind in common.
   */
  variety: z
    .strictObject({
      train: SynthSettingSchema(),
      held_out: SynthSettingSchema(),
    })
    .nullable()
    .default(null),
  /**
   * Folder of photographs for the photographic generator (null = procedural textures; a missing
   * or empty folder falls back to them with a note). docs/synthetic_photo.md.
   */
  photos: z.string().min(1).nullable().default(null),
  /** Overrides of the photographic generator's effects (src/data/synth/photo_options.ts PhotoEffects). */
  photo_effects: z.record(z.string(), z.union([z.number(), z.tuple([z.number(), z.number()])])).default({}),
});

export const SynthConfigSchema = z.preprocess(olderSynth, SynthObjectSchema);

export const DataConfigSchema = z.strictObject({
  dataset: z.enum(DATASETS),
  root: z.string().min(1),
  /** The split training reads (an ImageSets/2017 list name for DAVIS-layout data). */
  split: z.string().min(1),
  /** The split that chooses: checkpoint selection, early stopping, every lever (docs/protocol.md). */
  val_split: z.string().min(1),
  /** The split that reports: the final evaluation, never chosen on (default: run folders made before this key reported val). */
  test_split: z.string().min(1).default('val'),
  /**
   * A DAVIS-2016 folder (either layout) the runs of `rvos experiment` are also scored on after
   * training ("Real video" in the report; src/experiments/report/real_video.ts). null = the DAVIS2016_ROOT
   * or DAVIS_ROOT environment variable, else none. Never trained or chosen on.
   */
  real_root: z.string().min(1).nullable().default(null),
  /** [height, width] frames are resized to. */
  size: z.tuple([positiveInt, positiveInt]),
  /** Multi-scale training: [[H, W], …], one drawn per training step (null = every step at `size`; evaluation always uses `size`). */
  scales: z
    .array(z.tuple([positiveInt, positiveInt]))
    .min(1)
    .nullable()
    .default(null),
  clip_length: positiveInt,
  /** Largest frame gap inside a training clip (1 = consecutive frames, RVOS). */
  max_skip: positiveInt,
  batch_size: positiveInt,
  /**
   * Objects per video the data is expected to hold. No data reader uses it: model.slots defaults to
   * it (configs/model/base.yaml) and configWarnings says when model.slots is below it. Ids above
   * model.slots are dropped (the clip sampler, src/data/clip.ts).
   */
  max_objects: positiveInt,
  /** What to do with an unreadable sample: raise an error, or skip it and count it. */
  on_error: z.enum(['raise', 'skip']),
  /** Batches prepared ahead of the training step. */
  prefetch: nonNegativeInt,
  augment: AugmentConfigSchema.nullable(),
  /** One-shot training: replace frame 0's previous-mask input by a deformed copy of its ground truth (MaskTrack-style prior masks). */
  prior_mask: z.boolean(),
  synth: SynthConfigSchema,
});

export const StageConfigSchema = z.strictObject({
  /** gt_prev: the previous-mask input is the ground truth; pred_prev: the model's own detached prediction (RVOS "ST+"). */
  name: z.enum(PREVIOUS_MASK_SOURCES),
  steps: positiveInt,
});

export const TrainConfigSchema = z.strictObject({
  steps: positiveInt,
  lr: z.number().positive(),
  encoder_lr: z.number().nonnegative(),
  /** constant (RVOS) | cosine: lr and encoder_lr decay to 0 over the run. Default: absent in run folders made before this key. */
  lr_schedule: z.enum(['constant', 'cosine']).default('constant'),
  weight_decay: z.number().nonnegative(),
  /** Global-norm gradient clipping; null = off. */
  grad_clip: z.number().positive().nullable(),
  /**
   * When slots are assigned to objects (by slot_order): once per clip, on its first frame (RVOS),
   * or anew on every frame. Run folders saved before the name: train.matching (src/config/older_runs.ts).
   */
  slot_assignment: z.enum(SLOT_ASSIGNMENTS),
  /**
   * Each loss term is on when its weight is > 0 (run folders saved with an on/off switch beside
   * the weight, `*_loss: false`, read as weight 0: src/config/older_runs.ts).
   * Weight of the objectness BCE (models with model.objectness; 0 = off).
   */
  objectness_weight: z.number().nonnegative(),
  /** Weight of the loss pushing unmatched slots toward empty masks (0 = off, RVOS-exact). */
  empty_slot_weight: z.number().nonnegative(),
  /** Objectness calibration: weight of the BCE terms of slots holding an object (1 = plain BCE). */
  objectness_pos_weight: z.number().positive().default(1),
  /** Loss balancing between slots: mask loss averaged per slot, then over slots (false = per (object, frame) pair, RVOS). */
  slot_balance: z.boolean().default(false),
  /**
   * Which slot learns which object in zero-shot training: hungarian (RVOS: the assignment that fits
   * the predictions best) or largest_first (a fixed order: slot 1 the largest object, slot 2 the
   * next, ...; a target that does not move while the predictions are still noise).
   */
  slot_order: z.enum(['hungarian', 'largest_first']).default('hungarian'),
  /** Weight of the foreground head's BCE against the union of the masks (models with model.inputs: foreground). */
  foreground_weight: z.number().nonnegative().default(1),
  /** Weight of a per-pixel BCE beside the soft IoU for slots holding an object (0 = off, RVOS-exact; src/models/losses.ts). */
  mask_bce_weight: z.number().nonnegative().default(0),
  /**
   * Training stages run in order: null = one stage of `steps`; st_plus = RVOS's ST+ schedule
   * (src/models/names.ts ST_PLUS_SCHEDULE); or a list whose lengths are relative, scaled to add up to `steps`.
   */
  stages: z.union([z.enum(STAGE_SCHEDULES), z.array(StageConfigSchema).min(1)]).nullable(),
  val_every: positiveInt,
  ckpt_every: positiveInt,
  /** Newest periodic checkpoints kept (best.json is kept apart). Default: absent in run folders made before this key. */
  keep_checkpoints: positiveInt.default(3),
  /** Validations without improvement before stopping early. */
  patience: positiveInt,
  log_every: positiveInt,
  workers: positiveInt,
});

export const EvalConfigSchema = z.strictObject({
  /** auto: semi_supervised for one_shot models, unsupervised for zero_shot ones. */
  task: z.enum(['auto', ...EVAL_TASKS]),
  threshold: probability,
  objectness_threshold: probability,
  /** One-shot previous-mask input from frame 2 on: the previous soft output (RVOS) or it thresholded. */
  previous_mask: z.enum(PREVIOUS_MASK_FEEDS).default('soft'), // default: run folders made before this key
  write_overlays: z.boolean(),
});

const LocalLauncherSchema = z.strictObject({
  /** basic: jobs one after another; local: up to `jobs` processes at once. */
  name: z.enum(['basic', 'local']),
  jobs: positiveInt,
});

/** launcher=slurm: the sweep as one Slurm job array; submitit's key names (docs/slurm.md). */
export const SlurmLauncherSchema = z.strictObject({
  name: z.literal('slurm'),
  /** Time limit of each array task in minutes (sbatch --time). */
  timeout_min: positiveInt,
  cpus_per_task: positiveInt,
  /** GPUs per node, requested as --gres=gpu:N (0 = none). */
  gpus_per_node: nonNegativeInt,
  tasks_per_node: positiveInt,
  nodes: positiveInt,
  /** Memory per node in GB (sbatch --mem); null = the partition's default. */
  mem_gb: z.number().positive().nullable(),
  partition: z.string().min(1).nullable(),
  qos: z.string().min(1).nullable(),
  account: z.string().min(1).nullable(),
  /** Extra generic resources, e.g. 'nvme:1' (joined with the GPUs into one --gres). */
  gres: z.string().min(1).nullable(),
  /** SIGUSR1 this many seconds before the time limit: checkpoint and requeue (0 = no signal). */
  signal_delay_s: nonNegativeInt,
  /** Requeues after a time-limit signal before the task is reported failed. */
  max_num_timeout: nonNegativeInt,
  /** Array tasks running at once (sbatch --array=...%N). */
  array_parallelism: positiveInt,
  /** Shell lines run before each task (module load, source venv, export ...). */
  setup: z.array(z.string()),
  /** Extra sbatch flags without the dashes, e.g. {constraint: a100, exclusive: true}. */
  additional_parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  /** Node.js on the compute nodes; null = the one running rvos (a shared filesystem is assumed). */
  node: z.string().min(1).nullable(),
  /** Seconds between squeue polls while waiting. */
  poll_s: z.number().positive(),
});

export const LauncherConfigSchema = z.discriminatedUnion('name', [LocalLauncherSchema, SlurmLauncherSchema]);

/**
 * Sweep axes a config carries with it (Hydra's `hydra.sweeper.params`): key → comma-separated
 * values, e.g. {'model.mode': 'zero_shot,one_shot', seed: '1,2,3'}. `rvos experiment NAME` runs
 * their cartesian product; command-line sweep overrides are added on top.
 */
export const SweepConfigSchema = z.strictObject({
  params: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)),
  /**
   * Named variants that are not a cartesian product (RVOS "ST+" = ST with two training stages):
   * each is a bundle of overrides; `rvos experiment` runs every variant × the params product.
   */
  variants: z.array(z.strictObject({ name: z.string().min(1), overrides: z.array(z.string()) })).default([]),
});

/**
 * What an experiment's report compares (src/experiments/report/comparisons.ts). A selector is a
 * sweep.variants name (`ST`) or a `key=value` setting (`model.mode=zero_shot`).
 */
export const ReportConfigSchema = z.strictObject({
  /** The variant every other one is compared with, seed by seed; null = the first variant. */
  baseline: z.string().min(1).nullable(),
  /** Directions a paper claims: `better` beats `worse` (selectors), among the variants where `where` (a `key=value` selector) holds. */
  claims: z
    .array(z.strictObject({ better: z.string().min(1), worse: z.string().min(1), where: z.string().min(1).nullable().default(null), paper: z.string().min(1) }))
    .default([]),
  /**
   * Training-setting videos (docs/protocol.md): each finished run of an experiment is also scored on
   * this many held-out videos of the synthetic data's training setting, generated at report time
   * beside data.root (`<data.root>-seen`); 0 = off. Never trained or chosen on.
   */
  seen_videos: z.number().int().nonnegative().max(1_000_000).default(0),
});

export const RvosConfigSchema = z.strictObject({
  seed: z.number().int(),
  backend: z.enum(BACKEND_PREFERENCES),
  run: RunConfigSchema,
  model: ModelConfigSchema,
  encoder: EncoderConfigSchema,
  data: DataConfigSchema,
  train: TrainConfigSchema,
  eval: EvalConfigSchema,
  launcher: LauncherConfigSchema,
  sweep: SweepConfigSchema,
  // Defaulted so run folders saved before the key existed still load.
  report: ReportConfigSchema.default({ baseline: null, claims: [], seen_videos: 0 }),
});

export type RvosConfig = z.infer<typeof RvosConfigSchema>;
export type RunConfig = RvosConfig['run'];
export type ModelConfig = RvosConfig['model'];
export type EncoderConfig = RvosConfig['encoder'];
export type DataConfig = RvosConfig['data'];
export type AugmentConfig = NonNullable<DataConfig['augment']>;
export type SynthConfig = DataConfig['synth'];
export type TrainConfig = RvosConfig['train'];
export type StageConfig = z.infer<typeof StageConfigSchema>;
export type EvalConfig = RvosConfig['eval'];
export type LauncherConfig = RvosConfig['launcher'];
export type SlurmLauncherConfig = z.infer<typeof SlurmLauncherSchema>;
export type SweepConfig = RvosConfig['sweep'];
export type ReportConfig = RvosConfig['report'];
export type ClaimConfig = ReportConfig['claims'][number];
