/**
 * `tierfs fs <command>`: Alluxio's file system shell over the tierfs client. Paths may be absolute,
 * relative to the root (`kodo/` is `/kodo`) or `tierfs://host:port/path`. Commands over several
 * paths report each failure on its own `tierfs: ...` line, go on with the others, and exit 1.
 */
import { createHash } from 'node:crypto';
import { isAbsolute, resolve as resolveLocal } from 'node:path';
import { type Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Command, Option } from 'commander';
import {
  parseReadType,
  parseWriteType,
  READ_TYPES,
  type ReadType,
  WRITE_TYPES,
  type WriteType,
} from '../cluster/io-types.js';
import { optionValue, readOptionFile } from '../config/option-file.js';
import { parseBytes } from '../config/types.js';
import { TierfsError } from '../errors.js';
import { forEachReporting } from './failure-report.js';
import { catPaths, writeToStdout } from './fs-cat.js';
import { formatSize, mountLine, statLines } from './fs-format.js';
import { listPaths } from './fs-ls.js';
import { baseName } from './fs-paths.js';
import { type Target, targetsOf } from './fs-targets.js';
import { copyFromLocal, copyToLocal, copyWithin, load, tierfsTarget } from './fs-transfer.js';
import type { CliContext } from './main.js';

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function readTypeOf(raw: string | undefined): ReadType | undefined {
  return raw === undefined ? undefined : parseReadType(raw, '--readtype');
}

function writeTypeOf(raw: string | undefined): WriteType | undefined {
  return raw === undefined ? undefined : parseWriteType(raw, '--writetype');
}

function threadsOf(raw: string): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new TierfsError('INVALID_ARGUMENT', `--thread must be a positive integer, got '${raw}'`);
  }
  return n;
}

function modeOf(raw: string): number {
  if (!/^[0-7]{3,4}$/.test(raw)) {
    throw new TierfsError('INVALID_ARGUMENT', `mode must be octal such as 755 or 0644, got '${raw}'`);
  }
  return Number.parseInt(raw, 8);
}

function bytesOf(raw: string): number {
  try {
    return parseBytes(raw);
  } catch (error) {
    throw new TierfsError('INVALID_ARGUMENT', `-c: ${(error as Error).message}`);
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function md5Of(stream: Readable): Promise<string> {
  const hash = createHash('md5');
  await pipeline(
    stream,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        callback();
      },
    }),
  );
  return hash.digest('hex');
}

export function registerFsCommands(program: Command, context: CliContext): void {
  const target = targetsOf(() => context.configuration());
  const eachTarget = (paths: readonly string[], action: (t: Target) => Promise<void>) =>
    forEachReporting(paths, (raw) => action(target(raw)));

  const fs = program
    .command('fs')
    .description('File system shell: list, read, write, copy, mount and cache paths of the namespace');
  /** A subcommand whose `-h` is free for "human-readable" (help stays at --help). */
  const command = (name: string) => fs.command(name).helpOption('--help', 'display help for command');
  const readTypeOption = () =>
    new Option(
      '--readtype <type>',
      `read type: ${READ_TYPES.join(', ')} (default from tierfs.user.file.readtype.default)`,
    );
  const writeTypeOption = () =>
    new Option(
      '--writetype <type>',
      `write type: ${WRITE_TYPES.join(', ')} (default from tierfs.user.file.writetype.default)`,
    );
  const threadOption = () => new Option('--thread <n>', 'files copied in parallel').default('4');

  command('ls')
    .description(
      'List directories (or files) as Alluxio does: mode, owner, group, size, persistence, mtime, in-cache %, path (a mount point shows -> its under store)',
    )
    .option('-R, --recursive', 'list every directory below too')
    .option('-h, --human', 'sizes in B, KB, MB, ...')
    .argument('<path...>')
    .action((paths: string[], options: { recursive?: boolean; human?: boolean }) =>
      listPaths(paths, { recursive: options.recursive ?? false, human: options.human ?? false }, target),
    );

  command('cat')
    .description('Print files to stdout')
    .addOption(readTypeOption())
    .argument('<path...>')
    .action(async (paths: string[], options: { readtype?: string }) => {
      await catPaths(paths, readTypeOf(options.readtype), target);
    });

  command('head')
    .description('Print the first bytes of a file (1KB unless -c)')
    .option('-c, --bytes <size>', 'how many bytes, e.g. 100 or 4KB', '1KB')
    .argument('<path>')
    .action(async (raw: string, options: { bytes: string }) => {
      const length = bytesOf(options.bytes);
      const { client, path } = target(raw);
      await writeToStdout(await client.openFile(path, { offset: 0, length }));
    });

  command('tail')
    .description('Print the last bytes of a file (1KB unless -c), read as a range')
    .option('-c, --bytes <size>', 'how many bytes, e.g. 100 or 4KB', '1KB')
    .argument('<path>')
    .action(async (raw: string, options: { bytes: string }) => {
      const length = bytesOf(options.bytes);
      const { client, path } = target(raw);
      const status = await client.getStatus(path);
      if (status.isDirectory) throw new TierfsError('IS_A_DIRECTORY', `${status.path} is a directory`);
      const offset = Math.max(0, status.size - length);
      await writeToStdout(await client.openStatus(status, { offset, length: status.size - offset }));
    });

  command('mkdir')
    .description('Create directories, with their missing parents')
    .argument('<path...>')
    .action((paths: string[]) =>
      eachTarget(paths, async ({ client, path }) => {
        await client.mkdir(path, { recursive: true });
        out(`Successfully created directory ${path}`);
      }),
    );

  command('touch')
    .description('Create empty files (fails for a path that exists)')
    .addOption(writeTypeOption())
    .argument('<path...>')
    .action(async (paths: string[], options: { writetype?: string }) => {
      const writeType = writeTypeOf(options.writetype);
      await eachTarget(paths, async ({ client, path }) => {
        const stream = await client.createFile(path, { writeType, overwrite: false, recursive: false });
        await new Promise<void>((resolve, reject) => stream.on('error', reject).end(resolve));
        out(`${path} has been created`);
      });
    });

  command('rm')
    .description('Remove files, and directories with -R (a non-empty directory needs -R)')
    .option('-R, --recursive', 'remove directories and everything below them')
    .argument('<path...>')
    .action((paths: string[], options: { recursive?: boolean }) =>
      eachTarget(paths, async ({ client, path }) => {
        await client.delete(path, { recursive: options.recursive });
        out(`${path} has been removed`);
      }),
    );

  command('mv')
    .description('Move or rename a file or directory (into a directory that exists, under its own name)')
    .argument('<source>')
    .argument('<destination>')
    .action(async (rawSource: string, rawDestination: string) => {
      const { client, path: source } = target(rawSource);
      const destination = await tierfsTarget(client, target(rawDestination).path, baseName(source));
      await client.rename(source, destination);
      out(`Renamed ${source} to ${destination}`);
    });

  command('cp')
    .description('Copy inside tierfs, streamed (directories with -R)')
    .option('-R, --recursive', 'copy directories and everything below them')
    .option('--overwrite', 'replace files that exist at the destination')
    .addOption(threadOption())
    .addOption(readTypeOption())
    .addOption(writeTypeOption())
    .argument('<source>')
    .argument('<destination>')
    .action(
      async (
        rawSource: string,
        rawDestination: string,
        options: {
          recursive?: boolean;
          overwrite?: boolean;
          thread: string;
          readtype?: string;
          writetype?: string;
        },
      ) => {
        const transfer = {
          threads: threadsOf(options.thread),
          readType: readTypeOf(options.readtype),
          writeType: writeTypeOf(options.writetype),
          recursive: options.recursive ?? false,
          overwrite: options.overwrite ?? false,
        };
        const { client, path } = target(rawSource);
        await copyWithin(client, path, target(rawDestination).path, transfer);
      },
    );

  command('copyFromLocal')
    .description('Copy a local file or directory into tierfs')
    .option('--overwrite', 'replace files that exist at the destination')
    .addOption(threadOption())
    .addOption(writeTypeOption())
    .argument('<localPath>')
    .argument('<destination>')
    .action(
      async (
        local: string,
        raw: string,
        options: { thread: string; writetype?: string; overwrite?: boolean },
      ) => {
        const transfer = {
          threads: threadsOf(options.thread),
          writeType: writeTypeOf(options.writetype),
          overwrite: options.overwrite ?? false,
        };
        const { client, path } = target(raw);
        await copyFromLocal(client, resolveLocal(local), path, transfer);
      },
    );

  command('copyToLocal')
    .description('Copy a tierfs file or directory to the local file system')
    .addOption(threadOption())
    .addOption(readTypeOption())
    .argument('<source>')
    .argument('<localPath>')
    .action(async (raw: string, local: string, options: { thread: string; readtype?: string }) => {
      const transfer = { threads: threadsOf(options.thread), readType: readTypeOf(options.readtype) };
      const { client, path } = target(raw);
      await copyToLocal(client, path, resolveLocal(local), transfer);
    });

  command('load')
    .description('Read every file under a path through the cache (read type CACHE) to warm it')
    .addOption(threadOption())
    .addOption(readTypeOption())
    .argument('<path>')
    .action(async (raw: string, options: { thread: string; readtype?: string }) => {
      const transfer = {
        threads: threadsOf(options.thread),
        readType: readTypeOf(options.readtype) ?? 'CACHE',
      };
      const { client, path } = target(raw);
      await load(client, path, transfer);
    });

  command('stat')
    .description('Print every field of the status of paths')
    .option('-v, --verbose', 'also the under store path, fingerprint, content id and sync time')
    .argument('<path...>')
    .action((paths: string[], options: { verbose?: boolean }) =>
      eachTarget(paths, async ({ client, path }) => {
        for (const line of statLines(await client.getStatus(path), options.verbose ?? false)) out(line);
      }),
    );

  command('du')
    .description('Sizes of files under paths, or with -s one total per path')
    .option('-h, --human', 'sizes in B, KB, MB, ...')
    .option('-s, --summarize', 'one total line per path')
    .argument('<path...>')
    .action(async (paths: string[], options: { human?: boolean; summarize?: boolean }) => {
      const human = options.human ?? false;
      const line = (size: number, path: string) => out(`${formatSize(size, human).padEnd(15)} ${path}`);
      out(`${'File Size'.padEnd(15)} Path`);
      await eachTarget(paths, async ({ client, path }) => {
        const status = await client.getStatus(path);
        if (!status.isDirectory) return line(status.size, status.path);
        let total = 0;
        for await (const entry of client.list(status.path, { recursive: true })) {
          if (entry.isDirectory) continue;
          total += entry.size;
          if (!options.summarize) line(entry.size, entry.path);
        }
        if (options.summarize) line(total, status.path);
      });
    });

  command('count')
    .description('Count files, directories (the path itself included) and bytes under paths')
    .option('-h, --human', 'sizes in B, KB, MB, ...')
    .argument('<path...>')
    .action(async (paths: string[], options: { human?: boolean }) => {
      const row = (files: string, folders: string, size: string, path: string) =>
        out(`${files.padEnd(15)} ${folders.padEnd(15)} ${size.padEnd(15)} ${path}`);
      row('File Count', 'Folder Count', 'Folder Size', 'Path');
      await eachTarget(paths, async ({ client, path }) => {
        const status = await client.getStatus(path);
        let files = status.isDirectory ? 0 : 1;
        let folders = status.isDirectory ? 1 : 0;
        let bytes = status.isDirectory ? 0 : status.size;
        if (status.isDirectory) {
          for await (const entry of client.list(status.path, { recursive: true })) {
            if (entry.isDirectory) folders++;
            else {
              files++;
              bytes += entry.size;
            }
          }
        }
        row(String(files), String(folders), formatSize(bytes, options.human ?? false), status.path);
      });
    });

  command('checksum')
    .description('MD5 of the content of files, printed as md5sum does')
    .argument('<path...>')
    .action((paths: string[]) =>
      eachTarget(paths, async ({ client, path }) => {
        out(`${await md5Of(await client.openFile(path))}  ${path}`);
      }),
    );

  command('chmod')
    .description('Change the mode of paths (octal, e.g. 755)')
    .option('-R, --recursive', 'also everything below directories')
    .argument('<mode>')
    .argument('<path...>')
    .action(async (raw: string, paths: string[], options: { recursive?: boolean }) => {
      const mode = modeOf(raw);
      await eachTarget(paths, async ({ client, path }) => {
        await client.setAttribute(path, { mode, recursive: options.recursive });
        out(`Changed permission of ${path} to ${mode.toString(8).padStart(4, '0')}`);
      });
    });

  command('chown')
    .description('Change the owner (and with user:group the group) of paths')
    .option('-R, --recursive', 'also everything below directories')
    .argument('<owner[:group]>')
    .argument('<path...>')
    .action(async (raw: string, paths: string[], options: { recursive?: boolean }) => {
      const [owner, group, ...rest] = raw.split(':');
      if (!owner || rest.length > 0 || group === '') {
        throw new TierfsError('INVALID_ARGUMENT', `owner must be user or user:group, got '${raw}'`);
      }
      await eachTarget(paths, async ({ client, path }) => {
        await client.setAttribute(path, { owner, group, recursive: options.recursive });
        out(`Changed owner of ${path} to ${raw}`);
      });
    });

  command('chgrp')
    .description('Change the group of paths')
    .option('-R, --recursive', 'also everything below directories')
    .argument('<group>')
    .argument('<path...>')
    .action((group: string, paths: string[], options: { recursive?: boolean }) =>
      eachTarget(paths, async ({ client, path }) => {
        await client.setAttribute(path, { group, recursive: options.recursive });
        out(`Changed group of ${path} to ${group}`);
      }),
    );

  command('mount')
    .description('Mount an under store at a path; with no arguments, print the mount table')
    .option('--readonly', 'refuse every write under the mount point')
    .option('--shared', 'every user gets rwx on the mount point')
    .option(
      '--option <key=value>',
      'a property for this mount only (repeatable); key=@FILE takes the value from FILE',
      collect,
      [],
    )
    .option(
      '--option-file <file>',
      'properties for this mount from a key=value file (repeatable; --option wins)',
      collect,
      [],
    )
    .argument('[path]')
    .argument('[ufsUri]')
    .action(
      async (
        raw: string | undefined,
        ufsUri: string | undefined,
        options: { readonly?: boolean; shared?: boolean; option: string[]; optionFile: string[] },
      ) => {
        if (raw === undefined) {
          const { client } = target('/');
          for (const mount of await client.mounts()) out(mountLine(mount));
          return;
        }
        if (ufsUri === undefined)
          throw new TierfsError('INVALID_ARGUMENT', 'usage: fs mount <path> <ufsURI>');
        // Secrets belong in a file (--option-file, key=@FILE): a command line is visible in `ps`.
        const properties: Record<string, string> = {};
        for (const file of options.optionFile) Object.assign(properties, readOptionFile(file));
        for (const pair of options.option) {
          const at = pair.indexOf('=');
          if (at <= 0) throw new TierfsError('INVALID_ARGUMENT', `--option must be key=value, got '${pair}'`);
          const key = pair.slice(0, at);
          properties[key] = optionValue(key, pair.slice(at + 1));
        }
        // A plain relative directory means one on this machine, not in the master's working directory.
        const uri = /^[a-z][a-z0-9+.-]*:/i.test(ufsUri) || isAbsolute(ufsUri) ? ufsUri : resolveLocal(ufsUri);
        const { client, path } = target(raw);
        await client.mount(path, uri, {
          readOnly: options.readonly,
          shared: options.shared,
          options: properties,
        });
        out(`Mounted ${uri} at ${path}`);
      },
    );

  command('unmount')
    .description('Unmount mount points (tierfs metadata and cache only; the under store is untouched)')
    .argument('<path...>')
    .action((paths: string[]) =>
      eachTarget(paths, async ({ client, path }) => {
        await client.unmount(path);
        out(`Unmounted ${path}`);
      }),
    );

  command('free')
    .description('Drop the cached copies of files under paths (persisted data stays in the under store)')
    .argument('<path...>')
    .action((paths: string[]) =>
      eachTarget(paths, async ({ client, path }) => {
        const files = await client.free(path);
        out(`${path} was successfully freed from the cache (${files} file${files === 1 ? '' : 's'})`);
      }),
    );

  command('persist')
    .description('Persist files (every file under directories) to the under store, waiting until done')
    .option('-t, --timeout <ms>', 'give up waiting after this long', '1200000')
    .argument('<path...>')
    .action(async (paths: string[], options: { timeout: string }) => {
      const timeoutMs = Number(options.timeout);
      if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
        throw new TierfsError('INVALID_ARGUMENT', `--timeout must be milliseconds, got '${options.timeout}'`);
      }
      await eachTarget(paths, async ({ client, path }) => {
        const status = await client.getStatus(path);
        const files = [status];
        if (status.isDirectory)
          for await (const entry of client.list(status.path, { recursive: true })) files.push(entry);
        for (const file of files) {
          if (file.isDirectory || file.persistence === 'PERSISTED') continue;
          await client.persist(file.path);
          const deadline = Date.now() + timeoutMs;
          while ((await client.getStatus(file.path)).persistence !== 'PERSISTED') {
            if (Date.now() > deadline) {
              throw new TierfsError('TIMEOUT', `${file.path} is not persisted after ${timeoutMs}ms`);
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          out(`persisted file ${file.path} with size ${file.size}`);
        }
      });
    });

  command('loadMetadata')
    .description('Re-read metadata from the under store now (directories: their children; -R everything)')
    .option('-R, --recursive', 'also every directory below')
    .argument('<path...>')
    .action((paths: string[], options: { recursive?: boolean }) =>
      eachTarget(paths, async ({ client, path }) => {
        const loaded = await client.loadMetadata(path, { recursive: options.recursive });
        out(`Loaded metadata of ${loaded} path${loaded === 1 ? '' : 's'} at ${path}`);
      }),
    );

  command('location')
    .description('Which worker serves files (consistent hashing over the live workers)')
    .argument('<path...>')
    .action((paths: string[]) =>
      eachTarget(paths, async ({ client, path }) => {
        const status = await client.getStatus(path);
        if (status.isDirectory) throw new TierfsError('IS_A_DIRECTORY', `${status.path} is a directory`);
        const worker = await client.workerOf(status);
        out(`${status.path} is served by worker ${worker.id} at ${worker.address}`);
      }),
    );
}
