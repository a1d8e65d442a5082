/**
 * Text helpers in the spirit of Flink's `readTextFile` / `writeAsText`: a file as an async
 * iterable of lines, and lines written out as a text file, for any scheme FileSystem.get knows.
 */
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Configuration } from '../config/configuration.js';
import { TierfsError } from '../errors.js';
import type { UnderStore } from './contract.js';
import { FileSystem, parseUfsUri } from './registry.js';

type ConfigurationLike = Configuration | Readonly<Record<string, string>>;

/** Opens the store holding `uri`'s parent directory and names the file within it. */
async function locate(uri: string, conf?: ConfigurationLike): Promise<{ store: UnderStore; name: string }> {
  const parsed = parseUfsUri(uri);
  const path = parsed.path.replace(/\/+$/, '');
  const slash = path.lastIndexOf('/');
  const name = path.slice(slash + 1);
  if (name === '') throw new TierfsError('INVALID_ARGUMENT', `'${uri}' names a directory, not a file`);
  const parent =
    parsed.scheme === 'file'
      ? `file://${path.slice(0, slash) || '/'}`
      : `${parsed.scheme}://${parsed.authority}/${path.slice(0, slash + 1)}`;
  return { store: await FileSystem.get(parent, conf), name };
}

/** The lines of a text file (UTF-8, `\n` or `\r\n`), streamed: the file is never held whole. */
export async function* readTextFile(uri: string, conf?: ConfigurationLike): AsyncGenerator<string> {
  const { store, name } = await locate(uri, conf);
  try {
    const lines = createInterface({ input: await store.open(name), crlfDelay: Number.POSITIVE_INFINITY });
    yield* lines;
  } finally {
    await store.close();
  }
}

export interface WriteTextOptions {
  /** Replace an existing file (Flink's WriteMode.OVERWRITE). Default false. */
  overwrite?: boolean;
}

/** Writes each line followed by `\n`; the file appears only once every line is written. */
export async function writeAsText(
  uri: string,
  lines: Iterable<string> | AsyncIterable<string>,
  conf?: ConfigurationLike,
  options: WriteTextOptions = {},
): Promise<void> {
  const { store, name } = await locate(uri, conf);
  try {
    const out = await store.create(name, {
      overwrite: options.overwrite ?? false,
      contentType: 'text/plain',
    });
    await pipeline(
      Readable.from(
        (async function* () {
          for await (const line of lines) yield Buffer.from(`${line}\n`);
        })(),
      ),
      out,
    );
  } finally {
    await store.close();
  }
}
