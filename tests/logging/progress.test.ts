// Progress: a redrawn bar on a terminal, plain periodic lines otherwise (stream and clock injected).
import { describe, expect, it } from 'vitest';
import { formatDuration, Progress } from '../../src/logging/index.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 100, write: (s: string) => writes.push(s) } };
}

describe('Progress', () => {
  it('not a TTY: one plain line per interval plus the last step, with rate, ETA and metrics', () => {
    const { writes, stream } = fakeStream(false);
    let t = 0;
    const p = new Progress({ total: 100, label: 'train', stream, intervalMs: 1000, now: () => t });
    for (let step = 1; step <= 100; step++) {
      t = step * 100; // 10 steps per second
      p.update(step, { loss: 1 / step });
    }
    expect(writes.every((w) => w.endsWith('\n') && !w.includes('\r'))).toBe(true);
    // Step 1, then every 10 steps (1 s), and step 100.
    expect(writes.length).toBe(11);
    expect(writes[5]).toBe('train: step 51/100 (51%) loss=0.01961 10.00 it/s eta 5s\n');
    expect(writes[writes.length - 1]).toBe('train: step 100/100 (100%) loss=0.01 10.00 it/s eta 0s\n');
  });

  it('TTY: redraws one line in place with a bar, and log() prints above it', () => {
    const { writes, stream } = fakeStream(true);
    let t = 0;
    const p = new Progress({ total: 10, start: 2, stream, now: () => t });
    t = 1000;
    p.update(6, { loss: 0.5 });
    expect(writes.join('')).toMatch(/^\r\x1b\[K\[#+\.+\] 6\/10 60% loss 0\.5 4\.00 it\/s ETA 1s$/);
    t = 1050;
    p.update(7); // within 100 ms: no redraw
    expect(writes).toHaveLength(1);
    p.log('validation J&F 0.61');
    expect(writes.slice(1, 3)).toEqual(['\r\x1b[K', 'validation J&F 0.61\n']);
    expect(writes[3]).toMatch(/^\[#+/);
    p.done();
    expect(writes[writes.length - 1]).toMatch(/7\/10 70%.*\n$/);
  });

  it('formats durations', () => {
    expect(formatDuration(17.2)).toBe('17s');
    expect(formatDuration(125)).toBe('2m05s');
    expect(formatDuration(3725)).toBe('1h02m');
    expect(formatDuration(NaN)).toBe('?');
  });
});
