/**
 * The dependency arrows of DESIGN.md, checked on every import in src/: each layer may import only
 * what lies below it. Master and worker share cluster/ and never import each other; the client
 * speaks to both through cluster/ alone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../../src/', import.meta.url).pathname;

/** For each folder of src/, the folders it must not import (type-only imports included). */
const FORBIDDEN: Record<string, readonly string[]> = {
  ufs: [
    'cache',
    'meta',
    'namespace',
    'cluster',
    'master',
    'worker',
    'client',
    'cli',
    'web',
    'gateway',
    'log',
  ],
  cache: ['meta', 'namespace', 'cluster', 'master', 'worker', 'client', 'cli', 'web', 'gateway'],
  meta: ['cache', 'namespace', 'cluster', 'master', 'worker', 'client', 'cli', 'web', 'gateway'],
  namespace: ['cache', 'cluster', 'master', 'worker', 'client', 'cli', 'web', 'gateway'],
  cluster: ['master', 'worker', 'client', 'cli', 'web', 'gateway', 'log'],
  worker: ['master', 'client', 'cli', 'web', 'gateway'],
  master: ['worker', 'client', 'cli', 'gateway'],
  client: ['master', 'worker', 'namespace', 'meta', 'cache', 'cli', 'web', 'gateway'],
  fuse: ['master', 'worker', 'namespace', 'meta', 'cache', 'ufs', 'log', 'cli', 'web', 'gateway'],
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** `folder/file.ts imports folder2/...` for every import that crosses a forbidden arrow. */
function violations(): string[] {
  const found: string[] = [];
  for (const file of sources(SRC)) {
    const from = relative(SRC, file).split('/')[0]!;
    const forbidden = FORBIDDEN[from];
    if (!forbidden) continue;
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
      const target = relative(SRC, join(file, '..', match[1]!)).split('/')[0]!;
      if (forbidden.includes(target)) found.push(`${relative(SRC, file)} imports ${match[1]}`);
    }
  }
  return found;
}

describe('the layers of src/', () => {
  it('import only downwards', () => {
    expect(violations()).toEqual([]);
  });
});
