/**
 * The FUSE binding a mount uses. tierfs vendors fuse-native 2.2.6 (native/fuse-native/, MIT) with
 * two fixes to its C glue: utimens hands over the modification time (2.2.6 hands the access time
 * twice), and each operation can ask which process called it (uid, gid, pid), so files and
 * directories are created as the caller. That build is made by `npm install` (the root package's
 * postinstall runs native/fuse-native/build.mjs) or, failing that, at the first mount, into
 * `${XDG_CACHE_HOME:-~/.cache}/tierfs/fuse-native/<source hash>/`. Without a C compiler (or Node's
 * headers) the mount falls back to fuse-native's own prebuild and says what is lost, once.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TierfsError } from '../errors.js';

export interface FuseNativeInstance {
  mount(callback: (error: Error | null) => void): void;
  unmount(callback: (error: Error | null) => void): void;
  _fuseOptions(): string;
  /** The patched build's attribute cache (absent in the prebuild's fuse-native). */
  _statCachePut?(path: string, stat: object, ms: number): void;
  _statCacheDrop?(path: string, tree: boolean): void;
  /** The per-thread states the binding made (one buffer each, for a FUSE thread's operations). */
  readonly _threads: ReadonlySet<unknown>;
}

export interface FuseNativeClass {
  new (
    mountPoint: string,
    ops: Record<string, unknown>,
    options: Record<string, unknown>,
  ): FuseNativeInstance;
}

/** The process that called a FUSE operation, as the kernel tells libfuse. */
export interface FuseCaller {
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
}

export interface FuseBinding {
  readonly Fuse: FuseNativeClass;
  /** Whether this is tierfs's patched build (times and callers), not fuse-native's prebuild. */
  readonly patched: boolean;
  /**
   * The caller of the operation being dispatched: call it synchronously from the operation's
   * handler. Undefined with the prebuild.
   */
  caller(): FuseCaller | undefined;
}

export interface BindingLog {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

export interface LoadBindingOptions {
  /** Where native/fuse-native is (the package's own by default). */
  readonly sourceDir?: string;
  /** Where a build made at first use goes (default `${XDG_CACHE_HOME:-~/.cache}/tierfs/fuse-native`). */
  readonly cacheDir?: string;
}

interface PatchedModule {
  tierfs_patch_level?: number;
  fuse_native_caller?: () => [number, number, number] | undefined;
}

/** What the prebuild loses, named in the one warning line of the fallback. */
export const PREBUILD_LOSSES =
  'modification times set through utimens get the access time (rsync -a copies every file again), and new files and directories belong to the mount user instead of the calling process';

const PACKAGE_SOURCE = fileURLToPath(new URL('../../native/fuse-native/', import.meta.url));

let loaded: Promise<FuseBinding> | undefined;

/** The binding for this process's mounts: loaded (and built if need be) once. */
export function fuseBinding(log: BindingLog): Promise<FuseBinding> {
  loaded ??= loadFuseBinding(log);
  return loaded;
}

export async function loadFuseBinding(
  log: BindingLog,
  options: LoadBindingOptions = {},
): Promise<FuseBinding> {
  const sourceDir = options.sourceDir ?? PACKAGE_SOURCE;
  try {
    const built = await patchedBuild(sourceDir, options.cacheDir ?? defaultCacheDir(), log);
    return patchedBinding(sourceDir, built);
  } catch (error) {
    log.warn(
      { binding: 'fuse-native prebuild' },
      `fuse: the patched FUSE binding is not available (${(error as Error).message}); using fuse-native's prebuild: ${PREBUILD_LOSSES}`,
    );
    return prebuildBinding();
  }
}

function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'tierfs', 'fuse-native');
}

/** fuse.node built from the current fuse-native.c: the install-time build, the cache's, or a new one. */
async function patchedBuild(sourceDir: string, cacheDir: string, log: BindingLog): Promise<string> {
  const hash = createHash('sha256')
    .update(await readFile(join(sourceDir, 'fuse-native.c')))
    .digest('hex');
  const cached = join(cacheDir, hash.slice(0, 16));
  for (const dir of [join(sourceDir, 'build'), cached]) {
    if (await builtFrom(dir, hash)) return join(dir, 'fuse.node');
  }
  log.info(
    { out: cached },
    'fuse: building the patched FUSE binding (native/fuse-native) with the C compiler',
  );
  await new Promise<void>((done, fail) => {
    execFile(
      process.execPath,
      [join(sourceDir, 'build.mjs'), '--out', cached],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, _stdout, stderr) => {
        if (!error) return done();
        const reason = stderr
          .trim()
          .replace(/^tierfs: cannot build the patched FUSE binding \((.*?)\);.*$/s, '$1');
        fail(new Error(reason || error.message));
      },
    );
  });
  if (!(await builtFrom(cached, hash))) throw new Error(`the build left no fuse.node in ${cached}`);
  return join(cached, 'fuse.node');
}

async function builtFrom(dir: string, hash: string): Promise<boolean> {
  if (!existsSync(join(dir, 'fuse.node'))) return false;
  const stamp = await readFile(join(dir, 'source.sha256'), 'utf8').catch(() => '');
  return stamp.trim() === hash;
}

function patchedBinding(sourceDir: string, nodeFile: string): FuseBinding {
  const require = createRequire(join(sourceDir, 'index.cjs'));
  const native = require(nodeFile) as PatchedModule;
  if (native.tierfs_patch_level !== 2 || typeof native.fuse_native_caller !== 'function') {
    throw new Error(`${nodeFile} is not tierfs's patched build`);
  }
  const holder = require('./binding.cjs') as { binding: unknown };
  holder.binding = native;
  const Fuse = require('./index.cjs') as FuseNativeClass;
  const getCaller = native.fuse_native_caller;
  return {
    Fuse,
    patched: true,
    caller() {
      const ids = getCaller();
      return ids ? { uid: ids[0], gid: ids[1], pid: ids[2] } : undefined;
    },
  };
}

function prebuildBinding(): FuseBinding {
  try {
    const Fuse = createRequire(import.meta.url)('fuse-native') as FuseNativeClass;
    return { Fuse, patched: false, caller: () => undefined };
  } catch (error) {
    throw new TierfsError(
      'UNSUPPORTED',
      `cannot load fuse-native (the FUSE binding, linux-x64 and darwin-x64 only): ${(error as Error).message}`,
      { cause: error },
    );
  }
}
