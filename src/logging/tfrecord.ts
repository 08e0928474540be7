/**
 * TFRecord framing: uint64 LE length, masked CRC-32C of those 8 bytes, the data, masked CRC-32C
 * of the data (all little-endian).
 */
import { crc32c, maskCrc } from './crc32c.js';

export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskCrc(crc32c(out.subarray(0, 8))), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskCrc(crc32c(data)), true);
  return out;
}

/** Splits a TFRecord stream into its payloads, checking both CRCs; throws on damage. */
export function readRecords(bytes: Uint8Array): Uint8Array[] {
  const { records, damage } = readRecordsUntilDamage(bytes);
  if (damage !== undefined) throw new Error(damage);
  return records;
}

/** The intact records before the first damaged one (a writer killed mid-record leaves a torn tail). */
export function readRecordsUntilDamage(bytes: Uint8Array): { records: Uint8Array[]; damage?: string } {
  try {
    return { records: readAll(bytes, []) };
  } catch (err) {
    const records: Uint8Array[] = [];
    try {
      readAll(bytes, records);
    } catch {
      // `records` holds what came before the damage.
    }
    return { records, damage: (err as Error).message };
  }
}

function readAll(bytes: Uint8Array, records: Uint8Array[]): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 12 > bytes.length) throw new Error(`truncated record header at byte ${offset}`);
    const length = Number(view.getBigUint64(offset, true));
    if (view.getUint32(offset + 8, true) !== maskCrc(crc32c(bytes.subarray(offset, offset + 8)))) throw new Error(`bad length CRC at byte ${offset}`);
    const start = offset + 12;
    if (start + length + 4 > bytes.length) throw new Error(`truncated record at byte ${offset}`);
    const data = bytes.subarray(start, start + length);
    if (view.getUint32(start + length, true) !== maskCrc(crc32c(data))) throw new Error(`bad data CRC at byte ${offset}`);
    records.push(data);
    offset = start + length + 4;
  }
  return records;
}
