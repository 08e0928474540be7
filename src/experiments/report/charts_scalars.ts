/**
 * Scalars from a run's TensorBoard event files (tb/events.out.tfevents.*), for report charts.
 * A minimal protobuf read of what src/logging/summary_writer.ts writes: Event {step = 2 (varint),
 * summary = 5 {value = 1 {tag = 1, simple_value = 2 (float)}}}; every other field is skipped.
 * A resumed run appends a second event file; a later file's value wins for the same step.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readRecords } from '../../logging/index.js';

export interface ScalarPoint {
  step: number;
  value: number;
}

interface Field {
  number: number;
  wire: number;
  /** varint value (wire 0), or bytes (wire 2), or fixed bytes (wire 1/5). */
  varint?: number;
  bytes?: Uint8Array;
}

function* fields(buf: Uint8Array): Generator<Field> {
  let i = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      const b = buf[i++]!;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const wire = key % 8;
    const number = Math.floor(key / 8);
    if (wire === 0) yield { number, wire, varint: varint() };
    else if (wire === 1) yield { number, wire, bytes: buf.subarray(i, (i += 8)) };
    else if (wire === 5) yield { number, wire, bytes: buf.subarray(i, (i += 4)) };
    else if (wire === 2) {
      const n = varint();
      yield { number, wire, bytes: buf.subarray(i, (i += n)) };
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

/** Scalars of one event-file payload list, by tag. */
function decodeEvents(records: Uint8Array[], into: Map<string, Map<number, number>>): void {
  for (const record of records) {
    let step = 0;
    const values: [string, number][] = [];
    for (const f of fields(record)) {
      if (f.number === 2 && f.wire === 0) step = f.varint!;
      if (f.number !== 5 || f.wire !== 2) continue;
      for (const v of fields(f.bytes!)) {
        if (v.number !== 1 || v.wire !== 2) continue;
        let tag: string | null = null;
        let value: number | null = null;
        for (const x of fields(v.bytes!)) {
          if (x.number === 1 && x.wire === 2) tag = new TextDecoder().decode(x.bytes!);
          if (x.number === 2 && x.wire === 5) value = new DataView(x.bytes!.buffer, x.bytes!.byteOffset, 4).getFloat32(0, true);
        }
        if (tag !== null && value !== null) values.push([tag, value]);
      }
    }
    for (const [tag, value] of values) {
      if (!into.has(tag)) into.set(tag, new Map());
      into.get(tag)!.set(step, value);
    }
  }
}

/** Every scalar series under runDir/tb, by tag, sorted by step. A damaged file tail is ignored. */
export function readScalars(runDir: string): Map<string, ScalarPoint[]> {
  const dir = path.join(runDir, 'tb');
  const series = new Map<string, Map<number, number>>();
  if (!fs.existsSync(dir)) return new Map();
  for (const name of fs
    .readdirSync(dir)
    .filter((n) => n.startsWith('events.out.tfevents.'))
    .sort()) {
    const bytes = new Uint8Array(fs.readFileSync(path.join(dir, name)));
    let records: Uint8Array[];
    try {
      records = readRecords(bytes);
    } catch {
      records = salvage(bytes);
    }
    decodeEvents(records, series);
  }
  return new Map([...series].map(([tag, m]) => [tag, [...m].sort((a, b) => a[0] - b[0]).map(([step, value]) => ({ step, value }))]));
}

/** The whole records before a truncated one (a run killed mid-write): walks the framing only. */
function salvage(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = 0;
  while (end + 12 <= bytes.length) {
    const next = end + 12 + Number(view.getBigUint64(end, true)) + 4;
    if (next > bytes.length) break;
    end = next;
  }
  try {
    return readRecords(bytes.subarray(0, end));
  } catch {
    return [];
  }
}
