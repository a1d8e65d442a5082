/**
 * The FUSE binding loader (src/fuse/binding.ts): tierfs's patched fuse-native built with the C
 * compiler at first use, or fuse-native's prebuild with one warning naming what is lost.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadFuseBinding } from '../../src/fuse/binding.js';

const NATIVE = join(import.meta.dirname, '..', '..', 'native', 'fuse-native');
const made: string[] = [];

/** A copy of native/fuse-native without its install-time build (inside the repo, so it finds node_modules). */
function freshSource(): { sourceDir: string; cacheDir: string } {
  const sourceDir = mkdtempSync(join(NATIVE, '..', '.binding-test-'));
  made.push(sourceDir);
  for (const file of ['fuse-native.c', 'index.cjs', 'binding.cjs', 'build.mjs']) {
    copyFileSync(join(NATIVE, file), join(sourceDir, file));
  }
  return { sourceDir, cacheDir: join(sourceDir, 'cache') };
}

function recorder() {
  const lines: { level: string; message: string }[] = [];
  return {
    lines,
    log: {
      warn: (_: object, message: string) => lines.push({ level: 'warn', message }),
      info: (_: object, message: string) => lines.push({ level: 'info', message }),
    },
  };
}

afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the FUSE binding', () => {
  it('is built with the C compiler at first use into the cache, and is the patched one', async () => {
    const { sourceDir, cacheDir } = freshSource();
    const { lines, log } = recorder();
    const binding = await loadFuseBinding(log, { sourceDir, cacheDir });
    expect(binding.patched).toBe(true);
    expect(typeof binding.Fuse).toBe('function');
    // Outside an operation's dispatch there is no caller.
    expect(binding.caller()).toBeUndefined();
    const [built] = readdirSync(cacheDir);
    expect(existsSync(join(cacheDir, built!, 'fuse.node'))).toBe(true);
    expect(lines.filter((l) => l.level === 'warn')).toEqual([]);
    expect(lines.map((l) => l.message)).toEqual([
      'fuse: building the patched FUSE binding (native/fuse-native) with the C compiler',
    ]);
  }, 60_000);

  it("falls back to fuse-native's prebuild without a compiler, saying once what is lost", async () => {
    const { sourceDir, cacheDir } = freshSource();
    const { lines, log } = recorder();
    const cc = process.env.CC;
    process.env.CC = '/nonexistent/cc';
    try {
      const binding = await loadFuseBinding(log, { sourceDir, cacheDir });
      expect(binding.patched).toBe(false);
      expect(binding.caller()).toBeUndefined();
    } finally {
      if (cc === undefined) delete process.env.CC;
      else process.env.CC = cc;
    }
    const warnings = lines.filter((l) => l.level === 'warn').map((l) => l.message);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('/nonexistent/cc not found');
    expect(warnings[0]).toContain("using fuse-native's prebuild");
    expect(warnings[0]).toContain('modification times set through utimens');
    expect(warnings[0]).toContain('belong to the mount user instead of the calling process');
  }, 60_000);
});
