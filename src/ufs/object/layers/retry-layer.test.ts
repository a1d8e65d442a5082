import { describe, expect, it } from 'vitest';
import { TierfsError } from '../../../errors.js';
import type { ObjectCall } from '../layer.js';
import { retryLayer } from './retry-layer.js';

const call: ObjectCall = { operation: 'headObject', bucket: 'b', key: 'k' };

describe('retry layer', () => {
  it('retries retryable failures with exponential backoff and full jitter, then succeeds', async () => {
    const delays: number[] = [];
    const layer = retryLayer({
      maxRetries: 3,
      baseDelayMs: 10,
      maxDelayMs: 25,
      random: () => 0.5,
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    let attempts = 0;
    const result = await layer(call, async () => {
      if (++attempts < 4) throw new TierfsError('RATE_LIMITED', 'slow down');
      return 'done';
    });
    expect(result).toBe('done');
    expect(attempts).toBe(4);
    // Half (the jitter) of 10, 20, then of the 25 cap.
    expect(delays).toEqual([5, 10, 13]);
  });

  it('gives up after maxRetries and never retries a permanent failure', async () => {
    const layer = retryLayer({ maxRetries: 2, baseDelayMs: 1, maxDelayMs: 1 });
    let attempts = 0;
    await expect(
      layer(call, async () => {
        attempts++;
        throw new TierfsError('UNAVAILABLE', 'down');
      }),
    ).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(attempts).toBe(3);
    attempts = 0;
    await expect(
      layer(call, async () => {
        attempts++;
        throw new TierfsError('PERMISSION_DENIED', 'no');
      }),
    ).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(attempts).toBe(1);
  });

  it('stops retrying once the caller aborted', async () => {
    const controller = new AbortController();
    // The jitter is pinned near its top: a full-jitter draw near 0 would retry before the abort.
    const layer = retryLayer({ maxRetries: 5, baseDelayMs: 1000, maxDelayMs: 1000, random: () => 0.99 });
    let attempts = 0;
    const pending = layer({ ...call, signal: controller.signal }, async () => {
      attempts++;
      throw new TierfsError('UNAVAILABLE', 'down');
    });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(attempts).toBe(1);
  });
});
