import { describe, expect, it } from 'vitest';
import { formatEta, formatProgress, RateMeter } from './progress-line.js';

const MB = 1024 * 1024;

describe('RateMeter', () => {
  it('keeps the ETA steady while chunks arrive unevenly around a steady 10MB/s', () => {
    const meter = new RateMeter(0);
    const total = 600 * MB;
    let bytes = 0;
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const etas: number[] = [];
    let nextSecond = 5000;
    // 256 KB chunks, 0 to 50 ms apart (25 ms on average: 10 MB/s), and a 1 s stall every 7 s.
    for (let t = 0; t <= 30_000; ) {
      t += random() * 50 + (t % 7000 < 25 ? 1000 : 0);
      bytes += MB / 4;
      meter.sample(bytes, t);
      if (t >= nextSecond) {
        etas.push(meter.etaSeconds(total - bytes)!);
        nextSecond += 1000;
      }
    }
    const rate = meter.bytesPerSecond! / MB;
    expect(rate).toBeGreaterThan(6);
    expect(rate).toBeLessThan(10);
    // A stall moves the ETA up a little, never by a jump such as 20 s -> 2 s -> 75 s: from one
    // second to the next it changes by a fifth at most, and it falls over the whole copy.
    for (let i = 1; i < etas.length; i++) {
      const ratio = etas[i]! / etas[i - 1]!;
      expect(ratio, `ETA ${etas[i - 1]} -> ${etas[i]}`).toBeGreaterThan(0.8);
      expect(ratio, `ETA ${etas[i - 1]} -> ${etas[i]}`).toBeLessThan(1.2);
    }
    expect(etas.at(-1)!).toBeLessThan(etas[0]! - 15);
  });

  it('follows a real change of speed within half a minute', () => {
    const meter = new RateMeter(0);
    let bytes = 0;
    for (let t = 250; t <= 10_000; t += 250) {
      bytes += 2.5 * MB;
      meter.sample(bytes, t);
    }
    expect(meter.bytesPerSecond! / MB).toBeCloseTo(10, 0);
    for (let t = 10_250; t <= 40_000; t += 250) {
      bytes += 0.25 * MB;
      meter.sample(bytes, t);
    }
    expect(meter.bytesPerSecond! / MB).toBeLessThan(2);
  });

  it('knows no rate before its first sample, and no time left when nothing is left', () => {
    const meter = new RateMeter(0);
    expect(meter.bytesPerSecond).toBeUndefined();
    expect(meter.etaSeconds(10)).toBeUndefined();
    expect(meter.etaSeconds(0)).toBe(0);
  });
});

describe('formatEta and formatProgress', () => {
  it('reads as a person would say it', () => {
    expect([undefined, 0.2, 7, 59.5, 75, 121, 3600, 7500].map(formatEta)).toEqual([
      '--',
      '1s',
      '7s',
      '60s',
      '1m 15s',
      '2m 5s',
      '1h 00m',
      '2h 05m',
    ]);
  });

  it('shows bytes, throughput, n of N files and the ETA', () => {
    expect(
      formatProgress({
        bytes: 30 * MB,
        totalBytes: 100 * MB,
        files: 3,
        totalFiles: 10,
        bytesPerSecond: 12.5 * MB,
        etaSeconds: 5.6,
      }),
    ).toBe('[#######.................]  30% | 30MB of 100MB | 12.50MB/s | 3 of 10 files | ETA 6s');
  });
});
