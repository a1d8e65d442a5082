#!/usr/bin/env node
// Builds tierfs's patched fuse-native binding (fuse-native.c, see NOTICE) with the system C compiler:
// Node's headers (N-API and libuv), napi-macros and the libfuse 2 headers fuse-shared-library ships,
// linked against libfuse.so.2. No node-gyp, no download.
//
//   node native/fuse-native/build.mjs [--out <dir>] [--if-possible]
//
// writes <dir>/fuse.node (default: build/ beside this file) and <dir>/source.sha256 (the hash of
// fuse-native.c it was built from, so a stale build is noticed). The root package's `npm install`
// runs it with --if-possible: without a compiler it says so in one line and succeeds, and tierfs
// falls back to fuse-native's prebuild (src/fuse/binding.ts says what is lost).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, 'fuse-native.c');

export function sourceHash() {
  return createHash('sha256').update(readFileSync(source)).digest('hex');
}

/** Node's header directory: the one holding node_api.h and uv.h. */
function nodeHeaders() {
  const candidates = [
    process.env.TIERFS_NODE_HEADERS,
    resolve(dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter(Boolean);
  const found = candidates.find(
    (dir) => existsSync(join(dir, 'node_api.h')) && existsSync(join(dir, 'uv.h')),
  );
  if (!found) {
    throw new Error(
      `no Node.js headers (node_api.h and uv.h) in ${candidates.join(', ')}: install them (Debian: apt-get install nodejs, or libnode-dev) or set TIERFS_NODE_HEADERS`,
    );
  }
  return found;
}

function run(command, args) {
  return new Promise((done, fail) => {
    execFile(command, args, { maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (!error) return done();
      const reason = error.code === 'ENOENT' ? `${command} not found` : stderr.trim() || error.message;
      fail(new Error(reason));
    });
  });
}

/** Compiles into `out`; resolves with the path of fuse.node. */
export async function build(out = join(here, 'build')) {
  if (process.platform !== 'linux')
    throw new Error(`the patched build is for Linux; this is ${process.platform}`);
  const require = createRequire(join(here, 'index.cjs'));
  const napiMacros = dirname(require.resolve('napi-macros/napi-macros.h'));
  const fuse = require('fuse-shared-library');
  const cc = process.env.CC || 'cc';
  mkdirSync(out, { recursive: true });
  const target = join(out, 'fuse.node');
  const partial = `${target}.${process.pid}.partial`;
  try {
    await run(cc, [
      '-shared',
      '-fPIC',
      '-O2',
      '-Wall',
      '-Wno-unused-variable',
      '-Wno-unused-function',
      '-D_FILE_OFFSET_BITS=64',
      '-I',
      nodeHeaders(),
      '-I',
      napiMacros,
      '-I',
      fuse.include,
      source,
      '-o',
      partial,
      // The library fuse-shared-library ships is libfuse.so with soname libfuse.so.2: the built
      // binding needs libfuse.so.2 at run time, as fuse-native's prebuild does (Debian: libfuse2).
      fuse.lib,
      '-lpthread',
    ]);
    renameSync(partial, target);
  } finally {
    rmSync(partial, { force: true });
  }
  writeFileSync(join(out, 'source.sha256'), `${sourceHash()}\n`);
  return target;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const out = outAt >= 0 ? resolve(args[outAt + 1] ?? '') : undefined;
  try {
    const built = await build(out);
    process.stdout.write(`tierfs: built the patched FUSE binding: ${built}\n`);
  } catch (error) {
    const message = `tierfs: cannot build the patched FUSE binding (${error.message}); FUSE mounts will use fuse-native's prebuild, without modification times set through utimens or caller ownership of new files`;
    process.stderr.write(`${message}\n`);
    if (!args.includes('--if-possible')) process.exitCode = 1;
  }
}
