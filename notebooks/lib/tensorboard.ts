/**
 * Scalars from a run's TensorBoard event files, for plotting curves in notebooks. The library
 * writes events (src/logging/summary_writer.ts) and splits TFRecords (readRecords); this decodes
 * just the Event/Summary fields a scalar needs (tensorflow/core/util/event.proto,
 * framework/summary.proto): Event 1 wall_time (double), 2 step (int64), 5 summary;
 * Summary 1 repeated Value; Value 1 tag (string), 2 simple_value (float).
 */
import fs from 'node:fs';
import path from 'node:path';
import { readRecords } from '../../src/logging/index.js';

export interface ScalarPoint {
  step: number;
  value: number;
  wallTime: number;
}

type Field = { field: number; varint?: number; fixed64?: DataView; fixed32?: DataView; bytes?: Uint8Array };

/** Splits a protobuf message into its fields (wire types 0, 1, 2, 5). */
function fields(msg: Uint8Array): Field[] {
  const out: Field[] = [];
  const view = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  let i = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (i >= msg.length) throw new Error('truncated varint');
      const b = msg[i++]!;
      value += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return value;
    }
  };
  while (i < msg.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) out.push({ field, varint: varint() });
    else if (wire === 1) {
      out.push({ field, fixed64: new DataView(view.buffer, view.byteOffset + i, 8) });
      i += 8;
    } else if (wire === 2) {
      const n = varint();
      out.push({ field, bytes: msg.subarray(i, i + n) });
      i += n;
    } else if (wire === 5) {
      out.push({ field, fixed32: new DataView(view.buffer, view.byteOffset + i, 4) });
      i += 4;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  return out;
}

/** The event files of a log folder, oldest first (a resumed run adds a file). */
export function eventFiles(logDir: string): string[] {
  if (!fs.existsSync(logDir)) return [];
  return fs
    .readdirSync(logDir)
    .filter((f) => f.includes('tfevents'))
    .sort()
    .map((f) => path.join(logDir, f));
}

/**
 * tag → points sorted by step. When a step was logged twice (a resumed run repeats the steps
 * after its last checkpoint), the later record wins.
 */
export function readScalars(logDir: string): Map<string, ScalarPoint[]> {
  const byTag = new Map<string, Map<number, ScalarPoint>>();
  for (const file of eventFiles(logDir)) {
    for (const record of readRecords(new Uint8Array(fs.readFileSync(file)))) {
      let wallTime = 0;
      let step = 0;
      const summaries: Uint8Array[] = [];
      for (const f of fields(record)) {
        if (f.field === 1 && f.fixed64) wallTime = f.fixed64.getFloat64(0, true);
        else if (f.field === 2 && f.varint !== undefined) step = f.varint;
        else if (f.field === 5 && f.bytes) summaries.push(f.bytes);
      }
      for (const summary of summaries) {
        for (const v of fields(summary)) {
          if (v.field !== 1 || !v.bytes) continue;
          let tag: string | null = null;
          let value: number | null = null;
          for (const f of fields(v.bytes)) {
            if (f.field === 1 && f.bytes) tag = new TextDecoder().decode(f.bytes);
            else if (f.field === 2 && f.fixed32) value = f.fixed32.getFloat32(0, true);
          }
          if (tag === null || value === null) continue;
          if (!byTag.has(tag)) byTag.set(tag, new Map());
          byTag.get(tag)!.set(step, { step, value, wallTime });
        }
      }
    }
  }
  return new Map([...byTag].sort(([a], [b]) => a.localeCompare(b)).map(([tag, points]) => [tag, [...points.values()].sort((a, b) => a.step - b.step)]));
}
