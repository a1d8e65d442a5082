/**
 * Runs `cleanup()` of every writable under store that has one (seed 002: intermediate multipart
 * uploads "will be cleaned when a leading master starts or a cleanup interval is reached"): once
 * at start, then every `tierfs.underfs.cleanup.interval`, only when `tierfs.underfs.cleanup.enabled`.
 * A store that fails is logged and retried at the next interval; the others still run.
 */
import type { Configuration } from '../config/configuration.js';
import { UNDERFS_CLEANUP_ENABLED, UNDERFS_CLEANUP_INTERVAL } from '../config/keys/underfs.js';
import type { UnderStore } from './contract.js';
import { ufsLog } from './log.js';

export interface UfsCleanupScheduler {
  /** False when cleanup is disabled (nothing was scheduled). */
  readonly enabled: boolean;
  /** Runs one round now; resolves to the number of items removed across stores. */
  runOnce(): Promise<number>;
  stop(): void;
}

export function scheduleUfsCleanup(
  stores: () => Iterable<UnderStore>,
  conf: Configuration,
): UfsCleanupScheduler {
  const runOnce = async (): Promise<number> => {
    let removed = 0;
    for (const store of stores()) {
      if (store.capabilities.readOnly || !store.cleanup) continue;
      try {
        removed += await store.cleanup();
      } catch (error) {
        ufsLog.warn('under store cleanup failed', {
          uri: store.uri,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    return removed;
  };
  if (!conf.get(UNDERFS_CLEANUP_ENABLED)) return { enabled: false, runOnce, stop: () => undefined };
  let running: Promise<unknown> = runOnce();
  const timer = setInterval(() => {
    running = running.then(runOnce);
  }, conf.get(UNDERFS_CLEANUP_INTERVAL)!);
  timer.unref();
  return { enabled: true, runOnce, stop: () => clearInterval(timer) };
}
