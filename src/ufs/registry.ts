/**
 * Scheme → driver registry and the `FileSystem.get(uri, conf)` entry point compute jobs use.
 * Drivers register themselves (see ufs/drivers.ts); a driver's SDK is imported only when a URI of
 * its scheme is first opened.
 */
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Configuration } from '../config/configuration.js';
import { TierfsError } from '../errors.js';
import type { UnderStore } from './contract.js';

/** A parsed under storage URI: `s3://bucket/dir/` → scheme s3, authority bucket, path dir/. */
export interface UfsUri {
  readonly scheme: string;
  /** Bucket (or host:port); `''` for file URIs. */
  readonly authority: string;
  /** Path after the authority, without its leading slash (absolute for file URIs). */
  readonly path: string;
  /** The URI in canonical form. */
  readonly href: string;
}

export interface UnderStoreFactory {
  /** Schemes handled, lower case: `['s3', 's3a']`. */
  readonly schemes: readonly string[];
  /** One line for error messages and docs. */
  readonly description: string;
  create(uri: UfsUri, conf: Configuration, options: OpenStoreOptions): Promise<UnderStore>;
  /** Loads the driver's code (its SDK) without opening a store: what the first create would load. */
  preload?(): Promise<void>;
}

/** How a store is opened, beyond its configuration. */
export interface OpenStoreOptions {
  /** The store refuses every write with READ_ONLY and writes nothing of its own (no markers). */
  readonly readOnly?: boolean;
}

const factories = new Map<string, UnderStoreFactory>();
/** Schemes whose driver code has been loaded (by a store opened, or preloaded). */
const loaded = new Set<string>();

/** Records that the driver of `schemes` has loaded its code (drivers call it). */
export function driverLoaded(schemes: readonly string[]): void {
  for (const scheme of schemes) loaded.add(scheme);
}

/** The schemes whose driver code is loaded in this process. */
export function loadedDrivers(): string[] {
  return [...loaded].sort();
}

export function registerUnderStore(factory: UnderStoreFactory): void {
  for (const scheme of factory.schemes) factories.set(scheme.toLowerCase(), factory);
}

export function knownSchemes(): string[] {
  return [...factories.keys()].sort();
}

const URI_PATTERN = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/]*)(\/.*)?$/;

/**
 * Parses an under storage URI. A plain path (`/data`, `./data`) means the local file system;
 * `file:` URLs are decoded as URLs; other schemes keep their path exactly as written.
 */
export function parseUfsUri(uri: string): UfsUri {
  if (typeof uri !== 'string' || uri.trim() === '') {
    throw new TierfsError(
      'INVALID_ARGUMENT',
      'an under storage URI is required, e.g. s3://bucket/dir or /local/dir',
    );
  }
  const match = URI_PATTERN.exec(uri);
  if (!match) {
    if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(uri) && !uri.startsWith('file:')) {
      throw new TierfsError('INVALID_ARGUMENT', `malformed URI '${uri}': expected scheme://authority/path`);
    }
    const path = uri.startsWith('file:') ? fileURLToPath(uri) : resolvePath(uri);
    return fileUri(path);
  }
  const scheme = match[1]!.toLowerCase();
  if (scheme === 'file') {
    if (match[2] !== '' && match[2] !== 'localhost') {
      throw new TierfsError(
        'INVALID_ARGUMENT',
        `file URI '${uri}' names host '${match[2]}'; use file:///path`,
      );
    }
    return fileUri(fileURLToPath(`file://${match[3] ?? '/'}`));
  }
  const path = (match[3] ?? '/').slice(1);
  return { scheme, authority: match[2]!, path, href: `${scheme}://${match[2]}/${path}` };
}

function fileUri(path: string): UfsUri {
  return { scheme: 'file', authority: '', path, href: `file://${path}` };
}

let defaultConfiguration: Configuration | undefined;

/** The process-wide configuration used when a caller passes none: site file, env, defaults. */
function loadDefaultConfiguration(): Configuration {
  defaultConfiguration ??= Configuration.load();
  return defaultConfiguration;
}

export const FileSystem = {
  /**
   * The under store rooted at `uri`, e.g. `FileSystem.get('oss://bucket/dir', conf)`. `conf` is a
   * Configuration, or plain options (`{'fs.oss.endpoint': ...}`) laid over the site configuration
   * the way mount options are.
   */
  /**
   * Loads the driver of `scheme` (its SDK), as the first store of that scheme would, without
   * opening one: a process that will open such stores pays the load ahead of the first one.
   */
  async preload(scheme: string): Promise<void> {
    await factories.get(scheme.toLowerCase())?.preload?.();
  },

  async get(
    uri: string,
    conf?: Configuration | Readonly<Record<string, string>>,
    options: OpenStoreOptions = {},
  ): Promise<UnderStore> {
    const parsed = parseUfsUri(uri);
    const factory = factories.get(parsed.scheme);
    if (!factory) {
      throw new TierfsError(
        'UNSUPPORTED',
        `Could not find a file system implementation for scheme '${parsed.scheme}'. Known schemes: ${knownSchemes().join(', ')}.`,
      );
    }
    const configuration =
      conf instanceof Configuration
        ? conf
        : conf
          ? loadDefaultConfiguration().withOptions(conf, `options for ${parsed.href}`)
          : loadDefaultConfiguration();
    return factory.create(parsed, configuration, options);
  },
};
