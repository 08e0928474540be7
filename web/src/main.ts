/**
 * The demo page: loads the run `rvos demo` serves, opens a video / folder of frames / webcam,
 * takes the first-frame objects of a one-shot run, segments frame by frame with the chosen tfjs
 * backend, overlays the masks live and offers them as a zip. Every problem ends as a message on
 * the page; `window.rvosDemo` exposes the state for tests.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DAVIS_PALETTE, type LabelMap } from '../../src/data/palette_codec.js';
import { overlayLabels } from '../../src/eval/overlay.js';
import type { RVOSModel } from '../../src/models/rvos_model.js';
import { FirstMask } from './annotate.js';
import type { DemoPhase as State, DemoState } from './demo_state.js';
import { parseBackendChoice, useBackend, type BackendChoice } from './backends.js';
import { fetchModelFiles, fetchRunInfo, type ModelFiles, type RunInfo } from './load_model.js';
import { FrameSegmenter } from './segmenter.js';
import { openFrameFiles, openVideoFile, openWebcam, type FrameSource, type SourceFrame } from './sources.js';
import { masksZip } from './zip.js';

const el = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const view = el<HTMLCanvasElement>('view');
const video = el<HTMLVideoElement>('video');
const runButton = el<HTMLButtonElement>('run-button');
const stopButton = el<HTMLButtonElement>('stop-button');
const downloadButton = el<HTMLButtonElement>('download-button');
const backendSelect = el<HTMLSelectElement>('backend-select');

const demo: DemoState = { state: 'loading', backend: '', frames: 0, fps: 0, message: '', timings: null, tensors: null };
(window as unknown as { rvosDemo: DemoState }).rvosDemo = demo;

let info: RunInfo | null = null;
let files: ModelFiles | null = null;
let model: RVOSModel | null = null;
let source: FrameSource | null = null;
let firstMask: FirstMask | null = null;
let current: SourceFrame | null = null;
let currentLabels: LabelMap | null = null;
let objectId = 1;
const hidden = new Set<number>();
const masks = new Map<string, LabelMap>();

function setState(state: State): void {
  demo.state = state;
  const status = el('status');
  status.dataset.state = state;
  status.textContent = state;
  const busy = state === 'running' || state === 'loading';
  runButton.disabled = busy || source === null || model === null;
  stopButton.disabled = state !== 'running';
  downloadButton.disabled = busy || masks.size === 0;
  backendSelect.disabled = busy;
}

function say(text: string, error = false): void {
  demo.message = text;
  const m = el('message');
  m.textContent = text;
  m.classList.toggle('error', error);
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Draws the current frame with its labels (hidden ids left out) or the first-frame mask. */
function render(): void {
  if (current === null) return;
  const { image } = current;
  const labels = currentLabels ?? firstMask?.labels ?? null;
  let shown = image;
  if (labels !== null) {
    const visible = hidden.size === 0 ? labels : { ...labels, data: labels.data.map((id) => (hidden.has(id) ? 0 : id)) };
    shown = overlayLabels(image, visible, 0.5);
  }
  if (view.width !== image.width || view.height !== image.height) {
    view.width = image.width;
    view.height = image.height;
    view.style.width = `${Math.min(Math.max(512, image.width), 960)}px`;
  }
  const rgba = new ImageData(image.width, image.height);
  for (let p = 0, q = 0; p < shown.data.length; p += 3, q += 4) {
    rgba.data[q] = shown.data[p]!;
    rgba.data[q + 1] = shown.data[p + 1]!;
    rgba.data[q + 2] = shown.data[p + 2]!;
    rgba.data[q + 3] = 255;
  }
  view.getContext('2d')!.putImageData(rgba, 0, 0);
}

const swatch = (id: number) => `<span class="swatch" style="background: rgb(${DAVIS_PALETTE[id]!.join(',')})"></span>`;

function buildObjectControls(slots: number): void {
  const tools = el('tools');
  const toggles = el('toggles');
  tools.innerHTML = '';
  toggles.innerHTML = '';
  for (let id = 0; id <= slots; id++) {
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.id = String(id);
    b.innerHTML = id === 0 ? 'eraser' : `${swatch(id)}object ${id}`;
    b.classList.toggle('active', id === objectId);
    b.onclick = () => {
      objectId = id;
      for (const other of tools.querySelectorAll('button')) other.classList.toggle('active', other === b);
    };
    tools.append(b);
    if (id === 0) continue;
    const label = document.createElement('label');
    label.innerHTML = `<input type="checkbox" checked data-id="${id}">${swatch(id)}${id}`;
    label.querySelector('input')!.onchange = (e) => {
      if ((e.target as HTMLInputElement).checked) hidden.delete(id);
      else hidden.add(id);
      render();
    };
    toggles.append(label);
  }
}

async function switchBackend(choice: BackendChoice): Promise<void> {
  setState('loading');
  model?.dispose();
  model = null;
  demo.backend = await useBackend(choice);
  el('backend').textContent = demo.backend;
  model = await files!.build();
}

async function init(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const base = params.get('run') ?? './run/';
  const choice = parseBackendChoice(params.get('backend'));
  backendSelect.value = choice;
  try {
    info = await fetchRunInfo(base);
    files = await fetchModelFiles(base);
    const { mode, slots, encoder, hidden: width } = files.config;
    el('run-info').textContent =
      `${info.run}: ${mode.replace('_', '-')}, up to ${slots} objects, encoder ${encoder.name}, decoder ${width}, input ${info.size[0]}x${info.size[1]}`;
    buildObjectControls(slots);
    await switchBackend(choice);
  } catch (err) {
    say(messageOf(err), true);
    setState('error');
    return;
  }
  say(`Open a video file, a folder of frames or the webcam${files.config.mode === 'one_shot' ? ', then give the first-frame objects' : ''}.`);
  setState('ready');
}

async function openSource(open: () => Promise<FrameSource>): Promise<void> {
  if (demo.state === 'running' || demo.state === 'loading' || files === null) return;
  source?.close();
  source = null;
  current = null;
  currentLabels = null;
  masks.clear();
  try {
    source = await open();
  } catch (err) {
    say(messageOf(err), true);
    setState(model === null ? 'error' : 'ready');
    return;
  }
  current = source.first;
  firstMask = files.config.mode === 'one_shot' ? new FirstMask(source.width, source.height) : null;
  el('first-mask').hidden = firstMask === null;
  render();
  const what = `${source.label}: ${source.width}x${source.height}${source.count === null ? '' : `, ${source.count} frames`}`;
  say(
    firstMask === null
      ? `${what}. Press Segment.`
      : `${what}. Give the first-frame objects (drag a box or click, per object id, or load a palette PNG), then press Segment.`,
  );
  setState('ready');
}

async function segment(): Promise<void> {
  if (source === null || model === null || info === null) return;
  if (firstMask !== null && firstMask.ids().length === 0) {
    say('Give at least one object on the first frame (select an object id, then drag a box or click on it), or load a palette PNG.', true);
    return;
  }
  const slots = model.config.slots;
  const beyond = firstMask?.ids().filter((id) => id > slots && id !== 255) ?? [];
  masks.clear();
  demo.frames = 0;
  demo.fps = 0;
  setState('running');
  say(beyond.length > 0 ? `This run follows ids 1..${slots}; ids ${beyond.join(', ')} are ignored.` : 'Segmenting…');
  const before = tf.memory().numTensors;
  const segmenter = new FrameSegmenter(model, {
    size: info.size,
    threshold: info.threshold,
    objectnessThreshold: info.objectnessThreshold,
    previousMask: info.previousMask,
  });
  let failed = false;
  const started = performance.now();
  let last = started;
  let ema = 0;
  const sums = { read: 0, step: 0, draw: 0 };
  const pending: SourceFrame[] = [];
  try {
    const frames = source.frames();
    // A model whose frame 0 looks at frame 1 (first_frame_motion=next) reads one frame ahead there.
    let lookahead: SourceFrame | null = null;
    if (segmenter.needsLookahead) {
      const [zero, one] = [await frames.next(), await frames.next()];
      if (!zero.done) pending.push(zero.value);
      if (!one.done) {
        lookahead = one.value;
        pending.push(one.value);
      }
    }
    for (;;) {
      const t0 = performance.now();
      let frame: SourceFrame;
      if (pending.length > 0) {
        frame = pending.shift()!;
      } else {
        const next = await frames.next();
        if (next.done) break;
        frame = next.value;
      }
      const t1 = performance.now();
      const atFirst = segmenter.frames === 0;
      currentLabels = segmenter.step(frame.image, atFirst ? (firstMask?.labels ?? null) : null, atFirst ? (lookahead?.image ?? null) : null);
      const t2 = performance.now();
      current = frame;
      masks.set(frame.name, currentLabels);
      render();
      const now = performance.now();
      sums.read += t1 - t0;
      sums.step += t2 - t1;
      sums.draw += now - t2;
      // Frames per second over about the last 10 frames (the first includes shader/kernel set-up).
      ema = ema === 0 ? now - last : 0.9 * ema + 0.1 * (now - last);
      last = now;
      demo.frames = masks.size;
      demo.fps = 1000 / ema;
      el('fps').textContent = `${demo.fps.toFixed(1)} fps`;
      el('frames').textContent = `${demo.frames} frames`;
      // Let the page paint and take clicks (Stop) between frames.
      await yieldToPage();
    }
  } catch (err) {
    failed = true;
    say(messageOf(err), true);
  } finally {
    segmenter.dispose();
  }
  demo.tensors = { before, after: tf.memory().numTensors };
  const n = Math.max(masks.size, 1);
  demo.timings = { read: sums.read / n, step: sums.step / n, draw: sums.draw / n };
  const seconds = (performance.now() - started) / 1000;
  if (!failed) say(`${masks.size} frames in ${seconds.toFixed(1)} s (${(masks.size / seconds).toFixed(1)} fps on average) with ${demo.backend}.`);
  setState(failed ? 'ready' : 'done');
}

/**
 * Yields one task turn, so the page paints and handles clicks between frames. A message, not
 * setTimeout(0): nested timers are clamped to 4 ms, a tenth of a frame budget at 25 fps.
 */
function yieldToPage(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

function download(): void {
  const blob = new Blob([masksZip(masks) as BlobPart], { type: 'application/zip' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `${source?.label ?? 'video'}-masks.zip`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** Canvas event → frame pixel coordinates. */
function framePoint(e: MouseEvent): [number, number] {
  const r = view.getBoundingClientRect();
  return [((e.clientX - r.left) / r.width) * view.width, ((e.clientY - r.top) / r.height) * view.height];
}

let dragFrom: [number, number] | null = null;
view.addEventListener('mousedown', (e) => {
  if (firstMask !== null && demo.state !== 'running' && masks.size === 0) dragFrom = framePoint(e);
});
view.addEventListener('mouseup', (e) => {
  if (dragFrom === null || firstMask === null) return;
  const to = framePoint(e);
  const moved = Math.hypot(to[0] - dragFrom[0], to[1] - dragFrom[1]) > 2;
  if (moved) firstMask.box(dragFrom[0], dragFrom[1], to[0], to[1], objectId);
  else firstMask.disk(to[0], to[1], objectId);
  dragFrom = null;
  render();
});

el<HTMLInputElement>('video-input').onchange = (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (file) void openSource(() => openVideoFile(file, video));
};
el<HTMLInputElement>('folder-input').onchange = (e) => {
  const list = [...((e.target as HTMLInputElement).files ?? [])];
  if (list.length > 0) void openSource(() => openFrameFiles(list));
};
el('webcam-button').onclick = () => void openSource(() => openWebcam(video));
el<HTMLInputElement>('mask-input').onchange = async (e) => {
  const input = e.target as HTMLInputElement;
  const file = input.files?.[0];
  input.value = '';
  if (!file || firstMask === null) return;
  try {
    firstMask.load(new Uint8Array(await file.arrayBuffer()), file.name);
    say(`${file.name}: objects ${firstMask.ids().join(', ') || 'none'}. Press Segment.`);
  } catch (err) {
    say(messageOf(err), true);
  }
  currentLabels = null;
  masks.clear();
  current = source?.first ?? null;
  render();
  setState('ready');
};
el('clear-button').onclick = () => {
  firstMask?.clear();
  currentLabels = null;
  masks.clear();
  current = source?.first ?? null;
  render();
  setState('ready');
};
runButton.onclick = () => void segment();
stopButton.onclick = () => source?.stop();
downloadButton.onclick = download;
backendSelect.onchange = async () => {
  const choice = parseBackendChoice(backendSelect.value);
  try {
    await switchBackend(choice);
    setState('ready');
  } catch (err) {
    say(messageOf(err), true);
    setState(model === null ? 'error' : 'ready');
  }
};

void init();
