import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Configuration } from '../config/configuration.js';
import { isTierfsError } from '../errors.js';
import './drivers.js';
import { readFile, writeFile } from './io.js';
import { FileSystem, knownSchemes, parseUfsUri, registerUnderStore } from './registry.js';

const scratch = await mkdtemp(join(tmpdir(), 'tierfs-registry-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe('parseUfsUri', () => {
  it('splits scheme, authority and path, keeping object keys as written', () => {
    expect(parseUfsUri('s3://bucket/dir/sub/')).toEqual({
      scheme: 's3',
      authority: 'bucket',
      path: 'dir/sub/',
      href: 's3://bucket/dir/sub/',
    });
    expect(parseUfsUri('OSS://b/a b/%41')).toMatchObject({ scheme: 'oss', authority: 'b', path: 'a b/%41' });
    expect(parseUfsUri('kodo://bucket')).toMatchObject({ scheme: 'kodo', authority: 'bucket', path: '' });
  });

  it('treats plain paths and file URLs as the local file system', () => {
    expect(parseUfsUri('/data/x')).toEqual({
      scheme: 'file',
      authority: '',
      path: '/data/x',
      href: 'file:///data/x',
    });
    expect(parseUfsUri('file:///data/a%20b')).toMatchObject({ scheme: 'file', path: '/data/a b' });
    expect(parseUfsUri('relative/dir').path).toBe(join(process.cwd(), 'relative/dir'));
  });

  it('refuses a file URI with a host and an empty URI', () => {
    expect(() => parseUfsUri('file://server/x')).toThrow(/names host 'server'/);
    expect(() => parseUfsUri('')).toThrow(/URI is required/);
  });
});

describe('FileSystem.get', () => {
  it("fails for an unknown scheme with Flink's message", async () => {
    const error = await FileSystem.get('xyz://bucket/dir').catch((e: unknown) => e);
    expect(isTierfsError(error, 'UNSUPPORTED')).toBe(true);
    expect((error as Error).message).toBe(
      `Could not find a file system implementation for scheme 'xyz'. Known schemes: ${knownSchemes().join(', ')}.`,
    );
    expect(knownSchemes()).toContain('file');
  });

  it('opens a local store rooted at the URI, by file URL or plain path', async () => {
    const byUrl = await FileSystem.get(`file://${scratch}`);
    await writeFile(byUrl, 'hello.txt', 'hi');
    const byPath = await FileSystem.get(scratch);
    expect((await readFile(byPath, 'hello.txt')).toString()).toBe('hi');
    expect(byPath.uri).toBe(`file://${scratch}/`);
  });

  it('passes the configuration, with plain options laid over it, to the factory', async () => {
    const seen: Configuration[] = [];
    registerUnderStore({
      schemes: ['probe'],
      description: 'test probe',
      create: async (_uri, conf) => {
        seen.push(conf);
        return FileSystem.get(scratch);
      },
    });
    const conf = Configuration.of({ 'tierfs.underfs.listing.length': '7' });
    await FileSystem.get('probe://x/', conf);
    expect(seen[0]).toBe(conf);
    await FileSystem.get('probe://x/', { 'fs.oss.endpoint': 'http://127.0.0.1:1' });
    expect(seen[1]!.getRaw('fs.oss.endpoint')).toBe('http://127.0.0.1:1');
    expect(seen[1]!.origin('fs.oss.endpoint')).toEqual({
      kind: 'MOUNT_OPTION',
      name: 'options for probe://x/',
    });
  });
});

describe('FileSystem.get with readOnly', () => {
  it('opens a store that refuses every write and still reads', async () => {
    const dir = join(scratch, 'read-only');
    const writable = await FileSystem.get(`file://${dir}`);
    await writeFile(writable, 'a.txt', 'kept');
    const store = await FileSystem.get(`file://${dir}`, undefined, { readOnly: true });
    expect(store.capabilities.readOnly).toBe(true);
    expect((await readFile(store, 'a.txt')).toString()).toBe('kept');
    await expect(store.create('a.txt', { overwrite: true })).rejects.toMatchObject({ code: 'READ_ONLY' });
    await expect(store.delete('a.txt')).rejects.toMatchObject({ code: 'READ_ONLY' });
    await expect(store.mkdirs('d')).rejects.toMatchObject({ code: 'READ_ONLY' });
    expect((await readFile(writable, 'a.txt')).toString()).toBe('kept');
  });
});
