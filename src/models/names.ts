/**
 * The names the YAML config, the code and the reports share for the model's modes and inputs,
 * defined once here (src/config/schema.ts validates against these lists). No imports: the config
 * layer and the browser demo can load it without TF.js.
 */

/** zero_shot: objects are discovered (unsupervised VOS); one_shot: first-frame masks are given (semi-supervised). */
export const SEGMENTATION_MODES = ['zero_shot', 'one_shot'] as const;
export type SegmentationMode = (typeof SEGMENTATION_MODES)[number];

/**
 * S: slot→slot recurrence only; T: frame→frame only, as RVOS's code runs it (frame 0, which has no
 * previous frame, keeps slot→slot); ST: both (RVOS); T_no_spatial: frame→frame only on every frame,
 * frame 0 included (an earlier reading of T, kept as a named variant; docs/rvos.md).
 */
export const RECURRENCES = ['S', 'T', 'ST', 'T_no_spatial'] as const;
export type Recurrence = (typeof RECURRENCES)[number];

/** The motion input of a video's first frame (model.motion_input): zero (none) or the difference to the next frame. */
export const FIRST_FRAME_MOTIONS = ['zero', 'next'] as const;
export type FirstFrameMotion = (typeof FIRST_FRAME_MOTIONS)[number];

/** How the motion input treats camera motion: none (plain difference) or translation (the previous frame shifted by the global translation first). */
export const MOTION_ALIGNMENTS = ['none', 'translation'] as const;
export type MotionAlignment = (typeof MOTION_ALIGNMENTS)[number];

/**
 * Per-slot decoder inputs: the previous mask (RVOS one-shot), FEELVOS matching maps, the slot
 * canvas and the slot's own previous-frame prediction as its mask channel (own_prev_mask). Each
 * mode reads the inputs that make sense for it: prev_mask is one-shot only; slot_canvas (what the
 * frame's earlier slots claimed; src/models/slot_canvas.ts) and own_prev_mask are zero-shot only.
 * foreground (zero-shot only) adds a head that maps any object's pixels, trained on the union of
 * the masks, and shows that map to every slot (src/models/foreground_head.ts). motion_proposal
 * (zero-shot only, with the motion input) shows every slot the motion blob of the frame: the
 * largest region of the camera-aligned difference to the previous frame, the non-learned zero-shot
 * floor's prediction (src/models/motion_blob.ts), as a proposal the slots may take or refine.
 * lead_motion_proposal shows the same blob to the first slot only (the others get a zero channel),
 * so that one slot may take the moving object and the rest look elsewhere.
 */
export const DECODER_INPUTS = [
  'prev_mask',
  'global_matching',
  'local_matching',
  'slot_canvas',
  'own_prev_mask',
  'foreground',
  'motion_proposal',
  'lead_motion_proposal',
] as const;
export type DecoderInput = (typeof DECODER_INPUTS)[number];
/** Decoder inputs a one-shot model has no use for (its slots are told their objects by the given masks); the config refuses them with mode one_shot. */
export const ONE_SHOT_IGNORED_INPUTS: readonly DecoderInput[] = ['slot_canvas', 'foreground', 'motion_proposal', 'lead_motion_proposal'];

/**
 * Where a one-shot model's previous-mask input comes from in training after frame 0: the ground
 * truth of the previous frame (gt_prev) or the model's own detached prediction (pred_prev); RVOS
 * "ST+" trains a gt_prev stage, then a pred_prev stage.
 */
export const PREVIOUS_MASK_SOURCES = ['gt_prev', 'pred_prev'] as const;
export type PreviousMaskSource = (typeof PREVIOUS_MASK_SOURCES)[number];

/**
 * RVOS's "ST+" schedule, defined once: a gt_prev stage, then a pred_prev stage of the same length
 * (the paper's 20 + 20 epochs), as fractions of train.steps. Configs name it `train.stages: st_plus`.
 */
export const ST_PLUS_SCHEDULE: readonly { name: PreviousMaskSource; fraction: number }[] = [
  { name: 'gt_prev', fraction: 0.5 },
  { name: 'pred_prev', fraction: 0.5 },
];
/**
 * When training assigns slots to objects (train.slot_assignment): once per clip on its first frame
 * (RVOS), or anew on every frame.
 */
export const SLOT_ASSIGNMENTS = ['first_frame', 'every_frame'] as const;
export type SlotAssignment = (typeof SLOT_ASSIGNMENTS)[number];

/** Named stage schedules `train.stages` accepts besides an explicit list. */
export const STAGE_SCHEDULES = ['st_plus'] as const;

/** At inference, how the previous output is fed back: its sigmoid (soft, RVOS) or that thresholded (binary). */
export const PREVIOUS_MASK_FEEDS = ['soft', 'binary'] as const;
export type PreviousMaskFeed = (typeof PREVIOUS_MASK_FEEDS)[number];
