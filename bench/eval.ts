/**
 * Seconds to evaluate 30 sequences × 70 frames at 480x854 with 2 objects (DAVIS semi-supervised
 * protocol, in memory: masks generated here, no PNG decoding), and the same for one sequence
 * with a literal dense-dilation F as the peer (the official algorithm, written naively).
 */
import type { LabelMap } from '../src/data/palette_png.js';
import { boundaryRadius, seg2bmap } from '../src/eval/boundary.js';
import { evaluateSequenceSemi, evaluateSequenceUnsupervised } from '../src/eval/sequence.js';
import { Rng } from '../src/utils/rng.js';

const W = 854,
  H = 480,
  FRAMES = 70,
  SEQUENCES = 30;

/** Two moving ellipses; `jitter` shifts/resizes them (the "prediction"). */
function frame(t: number, seed: number, jitter: Rng | null): LabelMap {
  const data = new Uint8Array(W * H);
  const objects = [
    { id: 1, cy: 200 + 40 * Math.sin(t / 9 + seed), cx: 250 + 3 * t, ry: 110, rx: 150 },
    { id: 2, cy: 330, cx: 620 - 2 * t, ry: 70, rx: 60 + (seed % 5) * 10 },
  ];
  for (const o of objects) {
    const dy = jitter ? jitter.uniform(-6, 6) : 0,
      dx = jitter ? jitter.uniform(-6, 6) : 0,
      s = jitter ? jitter.uniform(0.93, 1.07) : 1;
    const cy = o.cy + dy,
      cx = o.cx + dx,
      ry = o.ry * s,
      rx = o.rx * s;
    for (let y = Math.max(0, Math.floor(cy - ry)); y <= Math.min(H - 1, Math.ceil(cy + ry)); y++) {
      for (let x = Math.max(0, Math.floor(cx - rx)); x <= Math.min(W - 1, Math.ceil(cx + rx)); x++) {
        if (((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 <= 1) data[y * W + x] = o.id;
      }
    }
  }
  return { width: W, height: H, data };
}

function sequence(seed: number): { gt: LabelMap[]; pred: LabelMap[] } {
  const rng = new Rng(seed);
  return {
    gt: Array.from({ length: FRAMES }, (_, t) => frame(t, seed, null)),
    pred: Array.from({ length: FRAMES }, (_, t) => frame(t, seed, rng)),
  };
}

/** The official F literally: dense seg2bmap, disk dilation of both maps, intersections. */
function naiveF(gt: Uint8Array, pred: Uint8Array, r: number): number {
  const bg = seg2bmap(gt, W, H),
    bp = seg2bmap(pred, W, H);
  const dilate = (b: Uint8Array) => {
    const out = new Uint8Array(W * H);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        if (!b[y * W + x]) continue;
        for (let dy = -r; dy <= r; dy++)
          for (let dx = -r; dx <= r; dx++) {
            const yy = y + dy,
              xx = x + dx;
            if (dx * dx + dy * dy <= r * r && yy >= 0 && yy < H && xx >= 0 && xx < W) out[yy * W + xx] = 1;
          }
      }
    return out;
  };
  const dg = dilate(bg),
    dp = dilate(bp);
  let nP = 0,
    nG = 0,
    mP = 0,
    mG = 0;
  for (let i = 0; i < W * H; i++) {
    nP += bp[i]!;
    nG += bg[i]!;
    mP += bp[i]! & dg[i]!;
    mG += bg[i]! & dp[i]!;
  }
  const p = nP === 0 ? (nG === 0 ? 1 : 1) : mP / nP,
    rc = nG === 0 ? 1 : nP === 0 ? 0 : mG / nG;
  return p + rc === 0 ? 0 : (2 * p * rc) / (p + rc);
}

// Sequences are generated one at a time (holding all 30 would keep 1.7 GB of masks alive);
// only the evaluation is timed.
let genSeconds = 0,
  semiSeconds = 0;
let jSum = 0,
  fSum = 0,
  objects = 0;
let first: { gt: LabelMap[]; pred: LabelMap[] } | undefined;
for (let s = 0; s < SEQUENCES; s++) {
  const g0 = performance.now();
  const seq = sequence(s + 1);
  first ??= seq;
  const t0 = performance.now();
  genSeconds += (t0 - g0) / 1000;
  const ev = evaluateSequenceSemi(seq.gt, seq.pred, { sequence: `seq${s}` });
  semiSeconds += (performance.now() - t0) / 1000;
  for (const o of ev.objects) {
    jSum += o.J.mean;
    fSum += o.F.mean;
    objects++;
  }
}
const data = [first!];

const t1 = performance.now();
evaluateSequenceUnsupervised(data[0]!.gt, data[0]!.pred, { sequence: 'u' });
const unsupOneSeq = (performance.now() - t1) / 1000;

// Peer: F of one sequence (frames 1..68, both objects) with the literal dense algorithm.
const r = boundaryRadius(W, H);
const { gt, pred } = data[0]!;
const t2 = performance.now();
for (let t = 1; t < FRAMES - 1; t++)
  for (const id of [1, 2])
    naiveF(
      gt[t]!.data.map((v) => (v === id ? 1 : 0)),
      pred[t]!.data.map((v) => (v === id ? 1 : 0)),
      r,
    );
const naiveOneSeq = (performance.now() - t2) / 1000;
const t3 = performance.now();
evaluateSequenceSemi(gt, pred, { sequence: 'peer' });
const oursOneSeq = (performance.now() - t3) / 1000;

console.log(`masks generated in ${genSeconds.toFixed(1)} s (not counted)`);
console.log(
  `semi-supervised, ${SEQUENCES} sequences x ${FRAMES} frames, ${W}x${H}, 2 objects: ${semiSeconds.toFixed(2)} s ` +
    `(${((semiSeconds / (SEQUENCES * (FRAMES - 2))) * 1000).toFixed(2)} ms per scored frame; mean J ${(jSum / objects).toFixed(3)}, F ${(fSum / objects).toFixed(3)})`,
);
console.log(`unsupervised (2 proposals x 2 objects, all frames), one sequence: ${unsupOneSeq.toFixed(2)} s`);
console.log(
  `one sequence J+F: ours ${oursOneSeq.toFixed(3)} s vs literal dense-dilation F alone ${naiveOneSeq.toFixed(3)} s ` +
    `(ratio ${(naiveOneSeq / oursOneSeq).toFixed(1)}x)`,
);
