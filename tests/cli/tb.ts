// Reads a run's TensorBoard event files independently of src/logging: TFRecord framing (CRCs not
// re-checked here; tests/logging/event_file.test.ts does) and a protobuf walk of Event messages.
import fs from 'node:fs';
import path from 'node:path';

export interface DecodedEvent {
  file: string;
  step: number;
  tags: string[];
  /** SessionLog status (1 = START) when the event is a session log. */
  sessionStatus?: number;
}

function fields(buf: Buffer): { field: number; wire: number; value: number | Buffer }[] {
  const out: { field: number; wire: number; value: number | Buffer }[] = [];
  let at = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = buf[at++]!;
      v += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) return v;
    }
  };
  while (at < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) out.push({ field, wire, value: varint() });
    else if (wire === 1) (out.push({ field, wire, value: buf.subarray(at, at + 8) }), (at += 8));
    else if (wire === 5) (out.push({ field, wire, value: buf.subarray(at, at + 4) }), (at += 4));
    else if (wire === 2) {
      const len = varint();
      out.push({ field, wire, value: buf.subarray(at, at + len) });
      at += len;
    } else throw new Error(`wire type ${wire}`);
  }
  return out;
}

/** Every event of every events.out.tfevents.* file in `tbDir`, files in name (= time) order. */
export function readEvents(tbDir: string): DecodedEvent[] {
  const events: DecodedEvent[] = [];
  for (const file of fs
    .readdirSync(tbDir)
    .filter((f) => f.startsWith('events.out.tfevents.'))
    .sort()) {
    const bytes = fs.readFileSync(path.join(tbDir, file));
    let at = 0;
    while (at < bytes.length) {
      const len = Number(bytes.readBigUInt64LE(at));
      if (at + 16 + len > bytes.length) throw new Error(`${file}: torn record at byte ${at}`);
      const event = fields(bytes.subarray(at + 12, at + 12 + len));
      at += 16 + len;
      const step = (event.find((f) => f.field === 2)?.value as number | undefined) ?? 0;
      const tags: string[] = [];
      for (const s of event.filter((f) => f.field === 5)) {
        for (const v of fields(s.value as Buffer).filter((f) => f.field === 1)) {
          const tag = fields(v.value as Buffer).find((f) => f.field === 1);
          if (tag !== undefined) tags.push((tag.value as Buffer).toString('utf8'));
        }
      }
      const session = event.find((f) => f.field === 7);
      const sessionStatus =
        session === undefined ? undefined : ((fields(session.value as Buffer).find((f) => f.field === 1)?.value as number | undefined) ?? 0);
      events.push({ file, step, tags, sessionStatus });
    }
  }
  return events;
}

/** The steps at which `tag` was logged, in file order. */
export function tagSteps(tbDir: string, tag: string): number[] {
  return readEvents(tbDir)
    .filter((e) => e.tags.includes(tag))
    .map((e) => e.step);
}
