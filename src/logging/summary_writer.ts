/**
 * Writes TensorBoard event files: events.out.tfevents.<10-digit seconds>.<host>, a TFRecord
 * stream of Event protos (field numbers from tensorflow/core/util/event.proto and
 * framework/summary.proto). Append-only; a reopened log folder (resumed run) gets a new file. A
 * writer closed without a summary (a start that failed before its first step) removes its file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { computeHistogram } from './histogram.js';
import { ProtoWriter } from './protobuf.js';
import { frameRecord, readRecordsUntilDamage } from './tfrecord.js';
import { writeFileAtomic } from '../utils/fs.js';

/** Event fields. */
const EVENT = { wallTime: 1, step: 2, fileVersion: 3, summary: 5, sessionLog: 7 } as const;
/** SessionLog: field 1 = status; SessionStatus.START = 1 (tensorflow/core/util/event.proto). */
const SESSION_LOG = { status: 1, start: 1 } as const;
/** Summary.Value fields (Summary itself: 1 = repeated Value). */
const VALUE = { tag: 1, simpleValue: 2, image: 4, histo: 5 } as const;
const IMAGE = { height: 1, width: 2, colorspace: 3, encoded: 4 } as const;
const HISTO = { min: 1, max: 2, num: 3, sum: 4, sumSquares: 5, bucketLimit: 6, bucket: 7 } as const;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export interface SummaryWriterOptions {
  /** Pending records are written out when the oldest is this old (checked on each write). */
  flushEveryMs?: number;
  /** Host name in the file name (default os.hostname()). */
  host?: string;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

export class SummaryWriter {
  /** The event file being written. */
  readonly file: string;
  private fd: number | null;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private lastFlush: number;
  /** Whether a scalar, image or histogram was written (the header and session starts are not). */
  private hasSummary = false;
  private readonly flushEveryMs: number;
  private readonly now: () => number;

  constructor(
    readonly logDir: string,
    opts: SummaryWriterOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.flushEveryMs = opts.flushEveryMs ?? 2000;
    fs.mkdirSync(logDir, { recursive: true });
    const seconds = String(Math.floor(this.now() / 1000)).padStart(10, '0');
    const host = (opts.host ?? os.hostname()).replace(/[^A-Za-z0-9._-]/g, '_');
    const base = path.join(logDir, `events.out.tfevents.${seconds}.${host}`);
    let file = base;
    let fd: number | undefined;
    for (let n = 1; fd === undefined; n++) {
      try {
        fd = fs.openSync(file, 'wx');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        file = `${base}.${n}`;
      }
    }
    this.file = file;
    this.fd = fd;
    this.lastFlush = this.now();
    this.writeEvent(
      new ProtoWriter()
        .double(EVENT.wallTime, this.now() / 1000)
        .string(EVENT.fileVersion, 'brain.Event:2')
        .finish(),
    );
    this.flush();
  }

  scalar(tag: string, value: number, step: number): void {
    this.writeSummary(step, new ProtoWriter().string(VALUE.tag, tag).float(VALUE.simpleValue, value).finish());
  }

  /** An encoded PNG (e.g. a mask overlay) of the given size. */
  image(tag: string, png: Uint8Array, height: number, width: number, step: number): void {
    if (png.length < 33 || PNG_SIGNATURE.some((b, i) => png[i] !== b)) throw new TypeError(`SummaryWriter.image('${tag}'): the bytes are not a PNG`);
    const ihdr = new DataView(png.buffer, png.byteOffset + 16, 8);
    if (ihdr.getUint32(0) !== width || ihdr.getUint32(4) !== height) {
      throw new RangeError(`SummaryWriter.image('${tag}'): the PNG is ${ihdr.getUint32(0)}x${ihdr.getUint32(4)}, not ${width}x${height} (width x height)`);
    }
    const image = new ProtoWriter()
      .varint(IMAGE.height, height)
      .varint(IMAGE.width, width)
      .varint(IMAGE.colorspace, pngChannels(png[25]!))
      .bytes(IMAGE.encoded, png)
      .finish();
    this.writeSummary(step, new ProtoWriter().string(VALUE.tag, tag).bytes(VALUE.image, image).finish());
  }

  /** A histogram of the finite entries of `values` (e.g. a layer's weights). */
  histogram(tag: string, values: Float32Array | number[], step: number, bins = 30): void {
    const h = computeHistogram(values, bins);
    const histo = new ProtoWriter()
      .double(HISTO.min, h.min)
      .double(HISTO.max, h.max)
      .double(HISTO.num, h.num)
      .double(HISTO.sum, h.sum)
      .double(HISTO.sumSquares, h.sumSquares)
      .packedDoubles(HISTO.bucketLimit, h.bucketLimits)
      .packedDoubles(HISTO.bucket, h.buckets)
      .finish();
    this.writeSummary(step, new ProtoWriter().string(VALUE.tag, tag).bytes(VALUE.histo, histo).finish());
  }

  /**
   * A SessionLog.START event at `step`: TensorBoard then discards the points at `step` and after
   * that earlier files hold (what an interrupted run logged past its last checkpoint).
   */
  sessionStart(step: number): void {
    const log = new ProtoWriter().varint(SESSION_LOG.status, SESSION_LOG.start).finish();
    this.writeEvent(
      new ProtoWriter()
        .double(EVENT.wallTime, this.now() / 1000)
        .varint(EVENT.step, step)
        .bytes(EVENT.sessionLog, log)
        .finish(),
    );
    this.flush();
  }

  /** Writes pending records and syncs the file to disk. */
  flush(): void {
    const fd = this.openFd();
    for (const chunk of this.pending) fs.writeSync(fd, chunk);
    if (this.pending.length > 0) fs.fsyncSync(fd);
    this.pending = [];
    this.pendingBytes = 0;
    this.lastFlush = this.now();
  }

  /**
   * Flushes and closes the file; later writes throw. Calling close twice is harmless. A file that
   * holds no summary is removed (best effort): it would show nothing, and a failed start should
   * leave no file behind.
   */
  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    try {
      this.flush();
    } finally {
      fs.closeSync(fd);
      this.fd = null;
    }
    if (!this.hasSummary) {
      try {
        fs.rmSync(this.file, { force: true });
      } catch {
        // A folder that became unwritable keeps the file; it is harmless to readers.
      }
    }
  }

  private writeSummary(step: number, value: Uint8Array): void {
    if (!Number.isSafeInteger(step) || step < 0) throw new RangeError(`SummaryWriter: step must be a non-negative integer, got ${step}`);
    const summary = new ProtoWriter().bytes(1, value).finish();
    this.hasSummary = true;
    this.writeEvent(
      new ProtoWriter()
        .double(EVENT.wallTime, this.now() / 1000)
        .varint(EVENT.step, step)
        .bytes(EVENT.summary, summary)
        .finish(),
    );
  }

  private writeEvent(event: Uint8Array): void {
    this.openFd();
    const record = frameRecord(event);
    this.pending.push(record);
    this.pendingBytes += record.length;
    if (this.pendingBytes > 1 << 20 || this.now() - this.lastFlush >= this.flushEveryMs) this.flush();
  }

  private openFd(): number {
    if (this.fd === null) throw new Error(`SummaryWriter for ${this.logDir} is closed`);
    return this.fd;
  }
}

/** Summary.Image colorspace from the PNG colour type: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. */
function pngChannels(colorType: number): number {
  return ({ 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 } as Record<number, number>)[colorType] ?? 3;
}

/** The step of an encoded Event (0 when absent, the protobuf default). */
export function eventStep(event: Uint8Array): number {
  let at = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 1; at < event.length; shift *= 128) {
      const b = event[at++]!;
      value += (b & 0x7f) * shift;
      if (b < 0x80) return value;
    }
    throw new RangeError('truncated varint in an event');
  };
  while (at < event.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) {
      const v = varint();
      if (field === EVENT.step) return v;
    } else if (wire === 1) at += 8;
    else if (wire === 2) {
      const length = varint(); // read before `at +=` reads `at`
      at += length;
    } else if (wire === 5) at += 4;
    else throw new RangeError(`unknown wire type ${wire} in an event`);
  }
  return 0;
}

/**
 * Cuts what the event files in `logDir` hold after `step` (and a torn last record), rewriting
 * each changed file atomically: a run resumed from the checkpoint at `step` logs those steps again,
 * and a reader should not see them twice. Returns how many events were dropped.
 */
export function trimEventFiles(logDir: string, step: number): number {
  let files: string[];
  try {
    files = fs.readdirSync(logDir).filter((f) => f.startsWith('events.out.tfevents.'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let dropped = 0;
  for (const name of files) {
    const file = path.join(logDir, name);
    const bytes = new Uint8Array(fs.readFileSync(file));
    const { records, damage } = readRecordsUntilDamage(bytes);
    const kept = records.filter((r) => eventStep(r) <= step);
    if (kept.length === records.length && damage === undefined) continue;
    dropped += records.length - kept.length;
    const out = new Uint8Array(kept.reduce((n, r) => n + r.length + 16, 0));
    let at = 0;
    for (const r of kept) {
      const framed = frameRecord(r);
      out.set(framed, at);
      at += framed.length;
    }
    writeFileAtomic(file, out);
  }
  return dropped;
}
