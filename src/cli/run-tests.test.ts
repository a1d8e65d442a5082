import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runTestFileNames } from './run-tests.js';

const STORES = new URL('../../docs/stores/', import.meta.url);

describe('runTests file names', () => {
  it('are Alluxio-style <OPERATION>_<READTYPE>_<WRITETYPE>, 24 of them', () => {
    const names = runTestFileNames();
    expect(names).toHaveLength(24);
    expect(names).toContain('BASIC_CACHE_PROMOTE_CACHE_THROUGH');
    expect(names).toContain('BASIC_NON_BYTE_BUFFER_NO_CACHE_ASYNC_THROUGH');
  });

  it('are named in docs/stores/*.md as the code writes them', () => {
    const names = new Set(runTestFileNames());
    const named: string[] = [];
    for (const page of readdirSync(STORES).filter((f) => f.endsWith('.md'))) {
      const text = readFileSync(new URL(page, STORES), 'utf8');
      // Every code span that looks like a runTests file: a word ending in _<WRITE TYPE> (not a bare write type).
      for (const [, name] of text.matchAll(
        /`(?:[^`]*\/)?(?!(?:MUST_CACHE|CACHE_THROUGH|THROUGH|ASYNC_THROUGH)`)(\w+_(?:MUST_CACHE|CACHE_THROUGH|THROUGH|ASYNC_THROUGH))`/g,
      )) {
        named.push(`${page}: ${name}`);
        expect(names.has(name!), `${page} names ${name}, which runTests never writes`).toBe(true);
      }
    }
    expect(named.length).toBeGreaterThanOrEqual(2);
  });
});
