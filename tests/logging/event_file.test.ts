// TensorBoard event files, checked with an independent decoder: this test's own TFRecord framing
// reader (CRC-32C verified against the RFC 3720 check value) and Debian's `protoc --decode_raw`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encode as encodePng } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { computeHistogram, crc32c, maskCrc, readRecords, SummaryWriter } from '../../src/logging/index.js';

const HAS_PROTOC = spawnSync('protoc', ['--version']).status === 0;
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'rvos-tb-'));
const ascii = (s: string) => new TextEncoder().encode(s);

/** Hex of a little-endian IEEE value as protoc --decode_raw prints fixed32/fixed64 fields. */
function floatHex(v: number): string {
  const b = new DataView(new ArrayBuffer(4));
  b.setFloat32(0, v);
  return `0x${b.getUint32(0).toString(16).padStart(8, '0')}`;
}
function doubleHex(v: number): string {
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, v);
  return `0x${b.getBigUint64(0).toString(16).padStart(16, '0')}`;
}

/** TFRecord framing read independently of src/logging/tfrecord.ts. */
function splitFrames(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const len = Number(bytes.readBigUInt64LE(at));
    expect(bytes.readUInt32LE(at + 8)).toBe(maskCrc(crc32c(bytes.subarray(at, at + 8))));
    const data = bytes.subarray(at + 12, at + 12 + len);
    expect(bytes.readUInt32LE(at + 12 + len)).toBe(maskCrc(crc32c(data)));
    out.push(data);
    at += 16 + len;
  }
  expect(at).toBe(bytes.length);
  return out;
}

function decodeRaw(payload: Uint8Array): string {
  const result = spawnSync('protoc', ['--decode_raw'], { input: payload });
  expect(result.status, result.stderr.toString()).toBe(0);
  return result.stdout.toString();
}

describe('CRC-32C', () => {
  it('matches the standard check value and TensorFlow masking', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
    expect(crc32c(new Uint8Array(0))).toBe(0);
    const c = 0xe3069283;
    expect(maskCrc(c)).toBe((((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0);
  });
});

describe('SummaryWriter', () => {
  function writeSample(dir: string) {
    const png = encodePng({ width: 3, height: 2, data: new Uint8Array(3 * 2 * 3).fill(200), channels: 3 });
    const w = new SummaryWriter(dir, { now: () => 1_700_000_000_500, host: 'testhost' });
    w.scalar('loss/train', 0.5, 3);
    w.scalar('lr', 1e-3, 2 ** 40);
    w.image('val/overlay', png, 2, 3, 7);
    w.histogram('weights/conv', new Float32Array([0, 1, 1, 2, 4, NaN]), 9, 4);
    w.close();
    return { file: w.file, png };
  }

  it('writes events.out.tfevents.<10-digit secs>.<host> with valid TFRecord framing', () => {
    const dir = tmp();
    const { file } = writeSample(dir);
    expect(path.basename(file)).toBe('events.out.tfevents.1700000000.testhost');
    const bytes = fs.readFileSync(file);
    const frames = splitFrames(bytes);
    expect(frames).toHaveLength(5);
    expect(readRecords(bytes).map((r) => Buffer.from(r))).toEqual(frames);
    const damaged = Buffer.from(bytes);
    damaged[20] = damaged[20]! ^ 0xff;
    expect(() => readRecords(damaged)).toThrow(/CRC/);
  });

  it.skipIf(!HAS_PROTOC)('protoc --decode_raw reads each event (skipped when protoc is absent: apt-get install protobuf-compiler)', () => {
    const dir = tmp();
    const { file, png } = writeSample(dir);
    const [version, loss, lr, image, histo] = splitFrames(fs.readFileSync(file)).map(decodeRaw);
    const wallTime = doubleHex(1_700_000_000.5);
    expect(version).toBe(`1: ${wallTime}\n3: "brain.Event:2"\n`);
    expect(loss).toBe(`1: ${wallTime}\n2: 3\n5 {\n  1 {\n    1: "loss/train"\n    2: ${floatHex(0.5)}\n  }\n}\n`);
    expect(lr).toContain(`2: ${2 ** 40}\n`);
    expect(lr).toContain(`2: ${floatHex(1e-3)}`);
    expect(image).toContain('1: "val/overlay"');
    expect(image).toMatch(/ 4 \{\n {6}1: 2\n {6}2: 3\n {6}3: 3\n {6}4: "\\211PNG/);
    expect(image).toContain('2: 7\n');
    expect(png.length).toBeGreaterThan(0);
    // Histogram of [0, 1, 1, 2, 4] (NaN left out) in 4 buckets of width 1.
    expect(histo).toContain('1: "weights/conv"');
    for (const [field, value] of [
      [1, 0],
      [2, 4],
      [3, 5],
      [4, 8],
      [5, 22],
    ] as const)
      expect(histo).toContain(`      ${field}: ${doubleHex(value)}\n`);
  });

  it('a reopened log folder gets a new file; the first keeps its records', () => {
    const dir = tmp();
    const first = writeSample(dir).file;
    const size = fs.statSync(first).size;
    const second = new SummaryWriter(dir, { now: () => 1_700_000_000_900, host: 'testhost' });
    second.scalar('loss/train', 0.25, 4);
    second.close();
    expect(second.file).not.toBe(first);
    expect(path.basename(second.file)).toMatch(/^events\.out\.tfevents\.1700000000\.testhost\.\d+$/);
    expect(fs.statSync(first).size).toBe(size);
    expect(splitFrames(fs.readFileSync(second.file))).toHaveLength(2);
    expect(() => second.scalar('x', 1, 1)).toThrow(/closed/);
  });

  it('a writer closed without a summary removes its file (a failed start leaves none); one with a summary keeps it', () => {
    const dir = tmp();
    const empty = new SummaryWriter(dir, { host: 'h' });
    empty.sessionStart(11);
    expect(fs.existsSync(empty.file)).toBe(true);
    empty.close();
    expect(fs.readdirSync(dir)).toEqual([]);
    const used = new SummaryWriter(dir, { host: 'h' });
    used.sessionStart(11);
    used.scalar('train/loss', 1, 11);
    used.close();
    expect(fs.readdirSync(dir)).toEqual([path.basename(used.file)]);
    expect(splitFrames(fs.readFileSync(used.file))).toHaveLength(3);
  });

  it('buffers between flushes and writes everything on flush', () => {
    let t = 0;
    const w = new SummaryWriter(tmp(), { now: () => t, flushEveryMs: 1000, host: 'h' });
    const afterHeader = fs.statSync(w.file).size;
    w.scalar('a', 1, 1);
    expect(fs.statSync(w.file).size).toBe(afterHeader);
    t = 1500;
    w.scalar('a', 2, 2);
    expect(splitFrames(fs.readFileSync(w.file))).toHaveLength(3);
    w.close();
  });

  it('rejects bytes that are not a PNG of the stated size', () => {
    const w = new SummaryWriter(tmp(), { host: 'h' });
    expect(() => w.image('x', new Uint8Array(40), 2, 2, 0)).toThrow(/not a PNG/);
    const png = encodePng({ width: 3, height: 2, data: new Uint8Array(18), channels: 3 });
    expect(() => w.image('x', png, 3, 2, 0)).toThrow(/3x2, not 2x3/);
    w.close();
  });
});

describe('computeHistogram', () => {
  it('counts finite values into equal-width buckets', () => {
    const h = computeHistogram([0, 1, 1, 2, 4, Infinity], 4);
    expect(h).toEqual({ min: 0, max: 4, num: 5, sum: 8, sumSquares: 22, bucketLimits: [1, 2, 3, 4], buckets: [1, 2, 1, 1] });
    expect(computeHistogram([3, 3], 2)).toMatchObject({ bucketLimits: [3, 3.5], buckets: [0, 2] });
  });
});
