/**
 * The RVOS paper's numbers for each named ablation, quoted beside ours as context. Source:
 * Ventura et al., CVPR 2019, tables as summarised in docs/rvos.md. They are on
 * YouTube-VOS / DAVIS-2017 with a ResNet-101 encoder: different data and scale from our runs.
 */
export const PAPER_CONTEXT: Record<string, string> = {
  zero_vs_one_shot: [
    'RVOS paper (different data: YouTube-VOS 2018 val, ResNet-101; J seen / J unseen / F seen / F unseen):',
    '',
    '- one-shot RVOS-Mask-ST+: 63.6 / 45.5 / 67.2 / 51.0 (mean 56.8)',
    '- zero-shot RVOS-ST (80/20 train split): 44.7 / 21.2 / 45.0 / 23.9',
    '- DAVIS-2017: one-shot J/F 48.0 / 52.6 (test-dev, fine-tuned); zero-shot J/F 23.0 / 29.9 (fine-tuned)',
  ].join('\n'),
  recurrence: [
    'RVOS paper ablation (different data: YouTube-VOS 2018, ResNet-101; J seen / J unseen / F seen / F unseen):',
    '',
    '- one-shot: S 54.7/37.3/57.4/42.4; T 59.9/39.2/63.1/45.6; ST 60.8/44.6/63.7/50.3; ST+ 63.1/44.5/67.1/50.4',
    '- zero-shot: S 40.8/19.9/43.9/23.2; T 37.1/20.2/38.7/21.6; ST 44.7/21.2/45.0/23.9',
  ].join('\n'),
};
PAPER_CONTEXT.matching_inputs = [
  'FEELVOS (Voigtlaender et al., CVPR 2019; different data and model: DAVIS-2017 val, semi-supervised, its own dynamic segmentation head rather than an RVOS decoder; docs/rvos.md):',
  '',
  '- global + local matching + previous-frame predictions: J&F 71.5 without fine-tuning',
  '- its ablation: removing global or removing local matching costs several points of J&F',
  '- for scale, RVOS one-shot on DAVIS-2017 (test-dev, fine-tuned) reaches J/F 48.0 / 52.6; zero-shot J/F 23.0 / 29.9',
].join('\n');
PAPER_CONTEXT.main = PAPER_CONTEXT.zero_vs_one_shot!;
PAPER_CONTEXT.recurrence_zero_shot = [
  'RVOS paper zero-shot ablation (different data: YouTube-VOS 2018, 80/20 split of its training set, ResNet-101; J seen / J unseen / F seen / F unseen):',
  '',
  '- zero-shot: S 40.8/19.9/43.9/23.2; T 37.1/20.2/38.7/21.6; ST 44.7/21.2/45.0/23.9',
].join('\n');
PAPER_CONTEXT.baselines = [
  'Quoted, not measured here (different data, hardware and scale; docs/baselines.md):',
  '',
  "- Google mobile segmentation (2018 blog): 100+ fps on iPhone 7, 40+ fps on Pixel 2, 94.8% IoU on Google's own person data; no architecture or training details published",
  '- SiamMask (CVPR 2019): 56 fps with masks / 77 fps boxes only on an RTX 2080; users measured 2–2.5 fps on CPUs; initialised from a box only',
  '- RVOS: 44 ms/frame on a P100 (256x448, ResNet-101); one-shot ST+ 56.8 mean J/F on YouTube-VOS 2018 val',
].join('\n');
PAPER_CONTEXT.real = [
  'Published on DAVIS-2016 val (all 20 videos; quoted, not measured here; docs/real_video.md):',
  '',
  '- semi-supervised J / F: OSVOS 0.798 / 0.806, MaskTrack 0.797 / 0.754, SiamMask 0.717 / 0.678',
  '- unsupervised foreground J: FST 0.558 and NLC 0.551 (no learning), FSEG 0.707, ARP 0.762',
].join('\n');
