/**
 * The package as a TypeScript user gets it: `npm pack` of the built tree, unpacked into a fresh
 * project's node_modules beside the runtime dependencies only (no devDependencies), and a small
 * program compiled against its published types under `strict` without `skipLibCheck`, then run.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const MODULES = join(ROOT, 'node_modules');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};

let project: string;
let files: string[];

/** Links a package of the shared node_modules into the consumer's (scoped names included). */
function link(name: string): void {
  const target = join(project, 'node_modules', name);
  mkdirSync(join(target, '..'), { recursive: true });
  symlinkSync(join(MODULES, name), target);
}

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'tierfs-consumer-'));
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project], {
      cwd: ROOT,
      encoding: 'utf8',
    }),
  ) as { filename: string; files: { path: string }[] }[];
  files = packed[0]!.files.map((f) => f.path);
  const tierfs = join(project, 'node_modules', 'tierfs');
  mkdirSync(tierfs, { recursive: true });
  execFileSync('tar', ['xzf', join(project, packed[0]!.filename), '-C', tierfs, '--strip-components=1']);
  for (const name of Object.keys(manifest.dependencies)) link(name);
  link('@types/node'); // the consumer's own, as any Node project has
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: false,
        types: ['node'],
        outDir: 'out',
      },
      include: ['main.ts'],
    }),
  );
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

/** Compiles `program` as the consumer's main.ts: tsc's output, empty when it compiles. */
function compile(program: string): string {
  writeFileSync(join(project, 'main.ts'), program);
  try {
    execFileSync(join(MODULES, '.bin', 'tsc'), ['-p', project], { cwd: project, encoding: 'utf8' });
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  }
}

const PROGRAM = `
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type ClientOptions,
  Configuration,
  type FileStatus,
  FileSystem,
  isTierfsError,
  type ReadType,
  TierfsClient,
  TierfsError,
  type UnderStore,
  type WriteType,
} from 'tierfs';
import { PageStore, readRange } from 'tierfs/cache';
import { TierfsClient as LightClient } from 'tierfs/client';

const options: ClientOptions = { masterAddress: 'http://127.0.0.1:1', user: 'alice' };
const client: TierfsClient = new LightClient(options);
const readType: ReadType = 'CACHE_PROMOTE';
const writeType: WriteType = 'CACHE_THROUGH';

export async function copy(): Promise<number> {
  const out = await client.createFile('/data/a.txt', { writeType, recursive: true });
  await pipeline(Readable.from([Buffer.from('hello')]), out);
  const statuses: FileStatus[] = [];
  for await (const status of client.list('/data', { recursive: true })) statuses.push(status);
  const stream = await client.openFile('/data/a.txt', { readType, offset: 0, length: 5 });
  for await (const chunk of stream) void (chunk as Buffer);
  await client.mount('/mnt/s3', 's3://bucket/dir', { readOnly: true, options: { 'fs.s3a.endpoint': 'x' } });
  return statuses.length;
}

export async function store(): Promise<UnderStore> {
  return FileSystem.get('file:///tmp', Configuration.load({ env: {} }));
}

export function code(error: unknown): string {
  if (isTierfsError(error, 'NOT_FOUND')) return error.code;
  return error instanceof TierfsError ? error.code : 'OTHER';
}
export const cache = [PageStore, readRange] as const;

try {
  await client.getStatus('/');
} catch (error) {
  console.log(code(error));
}
`;

describe('the published package', () => {
  it('compiles a consumer under strict without skipLibCheck, and runs it', () => {
    expect(compile(PROGRAM)).toBe('');
    // Nothing listens on port 1: the client fails with the code a program can branch on.
    const printed = execFileSync(process.execPath, [join(project, 'out', 'main.js')], {
      cwd: project,
      encoding: 'utf8',
    });
    expect(printed.trim()).toBe('UNAVAILABLE');
  });

  it('refuses what the SDK does not offer, with the types a user relies on', () => {
    const errors = compile(`
import { TierfsClient } from 'tierfs/client';
const client = new TierfsClient({ masterAddress: 'http://127.0.0.1:1' });
await client.createFile('/a', { writeType: 'SOMETIMES' });
await client.openFile('/a', { readType: 'CACHE', offset: '0' });
`);
    expect(errors).toMatch(/main\.ts\(4,.*'"SOMETIMES"' is not assignable to type 'WriteType/);
    expect(errors).toMatch(/main\.ts\(5,.*'string' is not assignable to type 'number/);
  });

  it('compiles every example of docs/sdk.md', () => {
    const guide = readFileSync(join(ROOT, 'docs', 'sdk.md'), 'utf8');
    const examples = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(examples.length).toBeGreaterThanOrEqual(6);
    for (const [index, example] of examples.entries()) {
      expect(compile(example), `docs/sdk.md example ${index + 1}`).toBe('');
    }
  });

  it('exports the SDK and no internals, each name once', async () => {
    const entry = (await import(join(project, 'node_modules', 'tierfs', 'dist', 'index.js'))) as Record<
      string,
      unknown
    >;
    for (const name of [
      'TierfsClient',
      'TierfsError',
      'Configuration',
      'FileSystem',
      'TopicStore',
      'READ_TYPES',
    ]) {
      expect(entry, name).toHaveProperty(name);
    }
    for (const name of [
      'readRange',
      'fileKeyOf',
      'UfsBackend',
      'S3Gateway',
      'LedgerOffloader',
      'PageStore',
    ]) {
      expect(entry, name).not.toHaveProperty(name);
    }
    const declared = readFileSync(join(project, 'node_modules', 'tierfs', 'dist', 'index.d.ts'), 'utf8');
    for (const name of ['ObjectInfo', 'ObjectLayer', 'UfsBackend', 'readRange', 'fileKeyOf']) {
      expect(declared, name).not.toContain(name);
    }
  });

  it('ships no source map that points at sources it leaves out', () => {
    const maps = files.filter((f) => f.endsWith('.map'));
    const sources = files.filter((f) => f.startsWith('src/'));
    expect(maps.length === 0 || sources.length > 0, `${maps.length} maps, no sources`).toBe(true);
    expect(files).toContain('LICENSE');
    expect(files.filter((f) => f.includes('.test.'))).toEqual([]);
  });
});
