/**
 * Where frames come from: a video file (decoded by the browser), a folder of frames (JPEG/PNG,
 * ordered by name with numeric collation, as `rvos infer` orders them), or the webcam. Each
 * source shows its first frame for annotation, then yields frames: a folder every frame in order,
 * a video or the webcam live (the frame on screen whenever the model is ready for the next one,
 * so a slow backend drops frames instead of falling behind).
 */
import type { RgbImage } from '../../src/data/types.js';

export interface SourceFrame {
  /** File stem, or the frame's index for live sources (00000, 00001, ...). */
  name: string;
  image: RgbImage;
}

export interface FrameSource {
  kind: 'video' | 'frames' | 'webcam';
  /** What the user opened, for messages and the zip name. */
  label: string;
  width: number;
  height: number;
  /** Frame count when known in advance (folders). */
  count: number | null;
  first: SourceFrame;
  /** Frames from the first on; ends with the source, or when stop() is called. */
  frames(): AsyncGenerator<SourceFrame>;
  stop(): void;
  close(): void;
}

/** A problem with what the user opened; the message is shown on the page as is. */
export class SourceError extends Error {}

const pad = (i: number) => String(i).padStart(5, '0');
const FRAME_FILE = /\.(jpe?g|png)$/i;
/** Frames of a folder decoded ahead of the one being segmented. */
const PREFETCH = 3;

let scratch: HTMLCanvasElement | null = null;

/** Pixels of a drawable at its own size, RGB (the alpha channel of a frame is dropped). */
function grab(source: CanvasImageSource, width: number, height: number): RgbImage {
  scratch ??= document.createElement('canvas');
  if (scratch.width !== width || scratch.height !== height) {
    scratch.width = width;
    scratch.height = height;
  }
  const ctx = scratch.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(source, 0, 0, width, height);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const data = new Uint8Array(width * height * 3);
  for (let p = 0, q = 0; p < data.length; p += 3, q += 4) {
    data[p] = rgba[q]!;
    data[p + 1] = rgba[q + 1]!;
    data[p + 2] = rgba[q + 2]!;
  }
  return { width, height, data };
}

async function decodeImageFile(file: File): Promise<RgbImage> {
  let bitmap: ImageBitmap;
  try {
    // No colour management or premultiplication: the pixels as stored, as sharp decodes them.
    bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    throw new SourceError(`${file.name}: not a readable image; frames must be JPEG or PNG`);
  }
  try {
    return grab(bitmap, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}

export async function openFrameFiles(files: File[]): Promise<FrameSource> {
  const frames = files.filter((f) => FRAME_FILE.test(f.name)).sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  if (frames.length === 0) throw new SourceError('the folder has no .jpg/.jpeg/.png frames; open a folder of video frames');
  const folder = (frames[0]!.webkitRelativePath || frames[0]!.name).split('/').slice(-2, -1)[0] ?? 'frames';
  const stem = (f: File) => f.name.replace(/\.[^.]+$/, '');
  const first = await decodeImageFile(frames[0]!);
  let stopped = false;
  return {
    kind: 'frames',
    label: folder,
    width: first.width,
    height: first.height,
    count: frames.length,
    first: { name: stem(frames[0]!), image: first },
    async *frames() {
      stopped = false;
      // The browser decodes off the main thread: the next frames decode while the model runs.
      const ahead = new Map<number, Promise<RgbImage>>();
      const prefetch = (from: number) => {
        for (let j = from; j < Math.min(from + PREFETCH, frames.length); j++) {
          if (ahead.has(j)) continue;
          const p = decodeImageFile(frames[j]!);
          p.catch(() => undefined); // awaited (and rethrown) when its turn comes; not unhandled if stopped before
          ahead.set(j, p);
        }
      };
      prefetch(1);
      for (let i = 0; i < frames.length && !stopped; i++) {
        let image = first;
        if (i > 0) {
          prefetch(i);
          const p = ahead.get(i)!;
          ahead.delete(i);
          image = await p;
        }
        if (image.width !== first.width || image.height !== first.height) {
          throw new SourceError(
            `${frames[i]!.name} is ${image.width}x${image.height}, the first frame is ${first.width}x${first.height}; all frames of a video must have one size`,
          );
        }
        yield { name: stem(frames[i]!), image };
      }
    },
    stop: () => void (stopped = true),
    close: () => undefined,
  };
}

/** Resolves on the next presented video frame, or false when the video ends or pauses (Stop). */
function nextVideoFrame(video: HTMLVideoElement, stopped: () => boolean): Promise<boolean> {
  return new Promise((resolve) => {
    if (video.ended || video.paused || stopped()) return resolve(false);
    const onEnd = () => resolve(false);
    video.addEventListener('ended', onEnd, { once: true });
    video.addEventListener('pause', onEnd, { once: true });
    video.requestVideoFrameCallback(() => {
      video.removeEventListener('ended', onEnd);
      video.removeEventListener('pause', onEnd);
      resolve(!stopped());
    });
  });
}

function liveSource(kind: 'video' | 'webcam', label: string, video: HTMLVideoElement, close: () => void): FrameSource {
  const { videoWidth: width, videoHeight: height } = video;
  const first = { name: pad(0), image: grab(video, width, height) };
  let stopped = false;
  return {
    kind,
    label,
    width,
    height,
    count: null,
    first,
    async *frames() {
      stopped = false;
      // Frame 0 is the one shown (and annotated); the live frames follow it.
      yield first;
      let i = 1;
      await video.play();
      while (await nextVideoFrame(video, () => stopped)) yield { name: pad(i++), image: grab(video, width, height) };
      video.pause();
    },
    stop: () => {
      stopped = true;
      video.pause();
    },
    close,
  };
}

function waitForVideo(video: HTMLVideoElement, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    video.addEventListener('loadeddata', () => resolve(), { once: true });
    video.addEventListener(
      'error',
      () => {
        const code = video.error?.code;
        const why = code === MediaError.MEDIA_ERR_SRC_NOT_SUPPORTED ? 'format or codec not supported' : video.error?.message || `media error ${code}`;
        reject(
          new SourceError(
            `${what}: this browser cannot decode the video (${why}); convert it to MP4 (H.264) or WebM (VP8/VP9), or open a folder of its frames`,
          ),
        );
      },
      { once: true },
    );
  });
}

export async function openVideoFile(file: File, video: HTMLVideoElement): Promise<FrameSource> {
  const url = URL.createObjectURL(file);
  video.muted = true;
  video.playsInline = true;
  video.srcObject = null;
  video.src = url;
  try {
    await waitForVideo(video, file.name);
  } catch (err) {
    URL.revokeObjectURL(url);
    video.removeAttribute('src');
    throw err;
  }
  if (video.videoWidth === 0 || video.videoHeight === 0) {
    URL.revokeObjectURL(url);
    throw new SourceError(`${file.name}: the file has no video track; open a video file or a folder of frames`);
  }
  return liveSource('video', file.name.replace(/\.[^.]+$/, ''), video, () => URL.revokeObjectURL(url));
}

export async function openWebcam(video: HTMLVideoElement): Promise<FrameSource> {
  if (!navigator.mediaDevices?.getUserMedia) throw new SourceError('this page has no camera access (browsers allow it on https:// and http://localhost only)');
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
  } catch (err) {
    throw new SourceError(`webcam: ${(err as Error).message || 'permission denied'}; allow camera access for this page, or open a video file`);
  }
  video.muted = true;
  video.playsInline = true;
  video.removeAttribute('src');
  video.srcObject = stream;
  // A camera stream delivers no frame data until it plays.
  const ready = waitForVideo(video, 'webcam');
  await video.play().catch(() => undefined);
  await ready;
  video.pause();
  return liveSource('webcam', 'webcam', video, () => {
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  });
}
