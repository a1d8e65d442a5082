/**
 * The layered configuration. Highest precedence first:
 *
 *   MOUNT_OPTION          `fs mount --option k=v`, root `...root.option.k`, FileSystem.get options
 *   SYSTEM_PROPERTY       `-Dkey=value` on the command line
 *   ENVIRONMENT           documented variables such as TIERFS_CONF_DIR (a property's `env`)
 *   SITE_PROPERTY         `${tierfs.conf.dir}/tierfs-site.properties` (or tierfs-site.yaml)
 *   FLINK_CONF            `${FLINK_CONF_DIR}/config.yaml` or `flink-conf.yaml` (foreign-files.ts)
 *   HADOOP_CONF           `core-site.xml` of `fs.hdfs.hadoopconf` or `HADOOP_CONF_DIR` (foreign-files.ts)
 *   ENVIRONMENT_FALLBACK  credentials from the environment, below the site file (a property's `fallbackEnv`)
 *   DEFAULT               the registry's defaults
 *
 * Keys nothing registers are reported in `warnings` (with the closest known key) and ignored; in
 * Flink's and Hadoop's files (which hold their own systems' keys) they are ignored silently.
 * Values are kept as text and parsed by their property's type on first use; every value set by a
 * user is validated when its layer is added, so a bad value fails at start with the key, the
 * value, the expected form and the file and line it came from.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { TierfsError } from '../errors.js';
import { type ForeignFile, hadoopConfDirs, readCoreSite, readFlinkConf } from './foreign-files.js';
import { ALL_PROPERTIES, FLINK_CONF_DIR, FS_HDFS_HADOOPCONF, HADOOP_CONF_DIR } from './keys/index.js';
import { type ConfigEntry, parseProperties } from './properties-file.js';
import type { PropertyKey } from './property.js';
import { PropertyRegistry, type ResolvedName } from './registry.js';
import { ValueError } from './types.js';
import { parseYamlConfig } from './yaml-file.js';

export const SOURCE_KINDS = [
  'MOUNT_OPTION',
  'SYSTEM_PROPERTY',
  'ENVIRONMENT',
  'SITE_PROPERTY',
  'FLINK_CONF',
  'HADOOP_CONF',
  'ENVIRONMENT_FALLBACK',
  'DEFAULT',
] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export interface ValueOrigin {
  readonly kind: SourceKind;
  /** File, environment variable, mount point or flag the value came from. */
  readonly name?: string;
  readonly line?: number;
}

export interface ConfigWarning {
  readonly key: string;
  readonly origin: ValueOrigin;
  readonly message: string;
}

export interface ConfigListing {
  readonly key: string;
  /** The value as text, `******` for secrets, undefined when unset. */
  readonly value: string | undefined;
  readonly origin: ValueOrigin | undefined;
  readonly secret: boolean;
  readonly description: string | undefined;
}

export interface LoadOptions {
  /** `-Dkey=value` pairs from the command line. */
  readonly systemProperties?: Readonly<Record<string, string>>;
  /** Defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Resolves relative paths such as the default `tierfs.home` of `.`; defaults to process.cwd(). */
  readonly cwd?: string;
}

export const MASK = '******';
export const SITE_FILES = ['tierfs-site.yaml', 'tierfs-site.yml', 'tierfs-site.properties'] as const;

export const PROPERTIES = new PropertyRegistry(ALL_PROPERTIES);

interface Setting {
  readonly raw: string;
  readonly origin: ValueOrigin;
  /** The name the user wrote (an alias or `alluxio.*` twin), for messages. */
  readonly writtenAs: string;
  /**
   * A key of Flink's or Hadoop's own in their files: not a tierfs setting (never listed or
   * validated), only there for `${...}` references in the values tierfs does take from those files.
   */
  readonly hidden?: boolean;
}

const FOREIGN_KINDS: readonly SourceKind[] = ['FLINK_CONF', 'HADOOP_CONF'];

type Layer = ReadonlyMap<string, Setting>;

export function describeOrigin(origin: ValueOrigin): string {
  const where = origin.name ? ` ${origin.name}${origin.line ? `:${origin.line}` : ''}` : '';
  return `${origin.kind}${where}`;
}

export class Configuration {
  readonly warnings: readonly ConfigWarning[];
  private readonly layers: ReadonlyMap<SourceKind, Layer>;
  private readonly env: NodeJS.ProcessEnv;
  private readonly cwd: string;
  private readonly parsed = new Map<string, unknown>();

  private constructor(
    layers: ReadonlyMap<SourceKind, Layer>,
    env: NodeJS.ProcessEnv,
    cwd: string,
    warnings: readonly ConfigWarning[],
  ) {
    this.layers = layers;
    this.env = env;
    this.cwd = cwd;
    this.warnings = warnings;
    this.validate();
  }

  /** Reads `-D` properties, the environment and the site file over the defaults. */
  static load(options: LoadOptions = {}): Configuration {
    const env = options.env ?? process.env;
    const cwd = options.cwd ?? process.cwd();
    const warnings: ConfigWarning[] = [];
    const layers = baseLayers(env, options.systemProperties ?? {}, warnings);
    // Where the site file lives depends on the layers above it (TIERFS_CONF_DIR, -Dtierfs.conf.dir).
    const site: ConfigEntry[] = [];
    const origins = new Map<ConfigEntry, ValueOrigin>();
    for (const file of findSiteFiles(new Configuration(layers, env, cwd, []))) {
      for (const entry of readSiteFile(file)) {
        site.push(entry);
        origins.set(entry, { kind: 'SITE_PROPERTY', name: file, line: entry.line });
      }
    }
    layers.set(
      'SITE_PROPERTY',
      entriesLayer(site, (entry) => origins.get(entry)!, warnings),
    );
    // Flink's file may name Hadoop's directory (fs.hdfs.hadoopconf), so it is read first.
    const flinkDir = new Configuration(layers, env, cwd, []).getRaw(FLINK_CONF_DIR.key);
    const flink = flinkDir
      ? readFlinkConf(new Configuration(layers, env, cwd, []).resolvePath(flinkDir))
      : undefined;
    if (flink) layers.set('FLINK_CONF', foreignLayer('FLINK_CONF', flink, warnings));
    const above = new Configuration(layers, env, cwd, []);
    const hadoopDirs = hadoopConfDirs(
      above.getRaw(FS_HDFS_HADOOPCONF.key),
      above.getRaw(HADOOP_CONF_DIR.key),
      env,
    );
    const hadoop = readCoreSite(hadoopDirs.map((dir) => above.resolvePath(dir)));
    if (hadoop) layers.set('HADOOP_CONF', foreignLayer('HADOOP_CONF', hadoop, warnings));
    return new Configuration(layers, env, cwd, warnings);
  }

  /** Defaults plus the given values as system properties, no site file: for tests and embedding. */
  static of(
    values: Readonly<Record<string, string>> = {},
    options: Omit<LoadOptions, 'systemProperties'> = {},
  ): Configuration {
    const env = options.env ?? {};
    const warnings: ConfigWarning[] = [];
    return new Configuration(baseLayers(env, values, warnings), env, options.cwd ?? process.cwd(), warnings);
  }

  /**
   * This configuration with options laid on top, as a mount's `--option k=v` are. `where` names the
   * source in messages and `conf list --source` (e.g. the mount point).
   */
  withOptions(options: Readonly<Record<string, string>>, where: string): Configuration {
    const warnings: ConfigWarning[] = [];
    const layer = entriesLayer(
      recordEntries(options),
      () => ({ kind: 'MOUNT_OPTION', name: where }),
      warnings,
    );
    const layers = new Map(this.layers);
    layers.set('MOUNT_OPTION', layer);
    return new Configuration(layers, this.env, this.cwd, [...this.warnings, ...warnings]);
  }

  /** The typed value of a property, or undefined when it is unset and has no default. */
  get<T>(key: PropertyKey<T>): T | undefined {
    const name = key.key;
    if (this.parsed.has(name)) return this.parsed.get(name) as T;
    const raw = this.getRaw(name);
    const value = raw === undefined ? undefined : key.type.parse(raw);
    this.parsed.set(name, value);
    return value;
  }

  /** Like get, but a missing value is a CONFIG_INVALID error naming the key. */
  require<T>(key: PropertyKey<T>, why?: string): T {
    const value = this.get(key);
    if (value === undefined) {
      throw new TierfsError(
        'CONFIG_INVALID',
        `Property '${key.key}' is required${why ? ` ${why}` : ''} but is not set. ${key.description}`,
      );
    }
    return value;
  }

  /** The effective text of any key (registered or not), with `${...}` references substituted. */
  getRaw(name: string): string | undefined {
    const found = this.lookup(name);
    return found && this.substitute(found.setting.raw, found.key, []).value;
  }

  /** Where the effective value of a key comes from. */
  origin(name: string): ValueOrigin | undefined {
    return this.lookup(name)?.setting.origin;
  }

  /** True when the key is set by anything other than its default. */
  isSet(name: string | PropertyKey<unknown>): boolean {
    const kind = this.origin(typeof name === 'string' ? name : name.key)?.kind;
    return kind !== undefined && kind !== 'DEFAULT';
  }

  /** A path resolved against the working directory the configuration was loaded in. */
  resolvePath(path: string): string {
    return isAbsolute(path) ? path : resolve(this.cwd, path);
  }

  /** Every set key starting with `prefix`, with the prefix removed: e.g. a root mount's options. */
  withPrefix(prefix: string): Record<string, string> {
    const canonical = PROPERTIES.resolve(`${prefix}x`)?.key.slice(0, -1) ?? prefix;
    const result: Record<string, string> = {};
    for (const key of this.keys()) {
      if (key.startsWith(canonical)) result[key.slice(canonical.length)] = this.getRaw(key)!;
    }
    return result;
  }

  /** The value for display: secrets (and values built from them) are masked. */
  display(name: string): string | undefined {
    const found = this.lookup(name);
    if (!found) return undefined;
    const { value, secret } = this.substitute(found.setting.raw, found.key, []);
    return secret || isSecret(found.key) ? MASK : value;
  }

  /** Every known or set key, sorted, for `conf list`; unset keys only with includeUnset. */
  list(options: { includeUnset?: boolean } = {}): ConfigListing[] {
    const keys = new Set(this.keys());
    if (options.includeUnset) {
      for (const definition of PROPERTIES.definitions())
        if (!definition.key.includes('{')) keys.add(definition.key);
    }
    return [...keys].sort().map((key) => ({
      key,
      value: this.display(key),
      origin: this.origin(key),
      secret: isSecret(key),
      description: PROPERTIES.resolve(key)?.definition.description,
    }));
  }

  private keys(): string[] {
    const keys = new Set<string>();
    for (const layer of this.layers.values()) {
      for (const [key, setting] of layer) if (!setting.hidden) keys.add(key);
    }
    return [...keys];
  }

  /** The effective setting of a key; Flink's and Hadoop's own keys only for `${...}` references. */
  private lookup(name: string, includeHidden = false): { key: string; setting: Setting } | undefined {
    const key = PROPERTIES.resolve(name)?.key ?? name;
    for (const kind of SOURCE_KINDS) {
      const setting = this.layers.get(kind)?.get(key);
      if (setting && (includeHidden || !setting.hidden)) return { key, setting };
    }
    return undefined;
  }

  private substitute(raw: string, key: string, seen: string[]): { value: string; secret: boolean } {
    if (seen.includes(key)) {
      throw new TierfsError(
        'CONFIG_INVALID',
        `Circular reference in configuration: ${[...seen, key].join(' -> ')}`,
      );
    }
    let secret = false;
    const value = raw.replace(/\$\{([^}]+)\}/g, (_whole, reference: string) => {
      if (reference.startsWith('env.')) {
        const [name = '', fallback] = reference.slice(4).split(':-');
        const fromEnv = this.env[name];
        if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
        if (fallback !== undefined) return fallback;
        throw new TierfsError(
          'CONFIG_INVALID',
          `'${key}' refers to \${${reference}}, but ${name} is not set`,
        );
      }
      const found = this.lookup(reference, true);
      if (!found) {
        // Hadoop and Flink leave a reference to nothing as it is written.
        if (this.isForeign(key)) return `\${${reference}}`;
        throw new TierfsError('CONFIG_INVALID', `'${key}' refers to \${${reference}}, which is not set`);
      }
      const inner = this.substitute(found.setting.raw, found.key, [...seen, key]);
      secret ||= inner.secret || isSecret(found.key);
      return inner.value;
    });
    return { value, secret };
  }

  /** Whether the effective value of a key comes from Flink's or Hadoop's file. */
  private isForeign(key: string): boolean {
    const kind = this.lookup(key)?.setting.origin.kind;
    return kind !== undefined && FOREIGN_KINDS.includes(kind);
  }

  /** Parses every effective value a user set; one error lists every bad value. */
  private validate(): void {
    const problems: string[] = [];
    for (const key of this.keys()) {
      const found = this.lookup(key)!;
      if (found.setting.origin.kind === 'DEFAULT') continue;
      const resolved = PROPERTIES.resolve(key);
      if (!resolved) continue;
      try {
        const raw = this.substitute(found.setting.raw, key, []).value;
        this.parsed.set(key, resolved.definition.type.parse(raw));
      } catch (error) {
        problems.push(describeProblem(resolved, found.setting, error));
      }
    }
    if (problems.length > 0) throw new TierfsError('CONFIG_INVALID', problems.join('\n'));
  }
}

function describeProblem(resolved: ResolvedName, setting: Setting, error: unknown): string {
  const { definition } = resolved;
  if (error instanceof TierfsError) return `${error.message} (${describeOrigin(setting.origin)})`;
  const shown = definition.secret ? MASK : setting.raw;
  const alias = setting.writtenAs !== resolved.key ? ` (written as '${setting.writtenAs}')` : '';
  const reason = error instanceof ValueError ? `; ${error.message}` : '';
  return (
    `Invalid value '${shown}' for '${resolved.key}'${alias} from ${describeOrigin(setting.origin)}: ` +
    `expected ${definition.type.expected}${reason}.`
  );
}

/** Secret keys, and placeholder keys standing for one (`...root.option.aws.secretKey`). */
export function isSecret(key: string): boolean {
  const resolved = PROPERTIES.resolve(key);
  if (resolved?.definition.secret) return true;
  return resolved?.placeholder !== undefined && isSecret(resolved.placeholder);
}

/** A copy of options (e.g. a mount's) with every secret value replaced by the mask. */
export function maskSecrets(options: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(options).map(([k, v]) => [k, isSecret(k) ? MASK : v]));
}

/** Defaults, both environment layers and `-D` properties: everything but the site file and mounts. */
function baseLayers(
  env: NodeJS.ProcessEnv,
  systemProperties: Readonly<Record<string, string>>,
  warnings: ConfigWarning[],
): Map<SourceKind, Layer> {
  return new Map<SourceKind, Layer>([
    ['DEFAULT', defaultsLayer()],
    ['ENVIRONMENT_FALLBACK', envLayer(env, 'fallbackEnv')],
    ['ENVIRONMENT', envLayer(env, 'env')],
    [
      'SYSTEM_PROPERTY',
      entriesLayer(
        recordEntries(systemProperties),
        (entry) => ({ kind: 'SYSTEM_PROPERTY', name: `-D${entry.key}` }),
        warnings,
      ),
    ],
  ]);
}

function recordEntries(values: Readonly<Record<string, string>>): ConfigEntry[] {
  return Object.entries(values).map(([key, value]) => ({ key, value, line: 0 }));
}

function defaultsLayer(): Layer {
  const layer = new Map<string, Setting>();
  for (const definition of PROPERTIES.definitions()) {
    if (definition.default === undefined || definition.key.includes('{')) continue;
    layer.set(definition.key, {
      raw: definition.default,
      origin: { kind: 'DEFAULT' },
      writtenAs: definition.key,
    });
  }
  return layer;
}

function envLayer(env: NodeJS.ProcessEnv, field: 'env' | 'fallbackEnv'): Layer {
  const layer = new Map<string, Setting>();
  const kind: SourceKind = field === 'env' ? 'ENVIRONMENT' : 'ENVIRONMENT_FALLBACK';
  for (const definition of PROPERTIES.definitions()) {
    const variable = definition[field]?.find((name) => env[name] !== undefined && env[name] !== '');
    if (variable) {
      layer.set(definition.key, {
        raw: env[variable]!,
        origin: { kind, name: variable },
        writtenAs: definition.key,
      });
    }
  }
  return layer;
}

/** The keys tierfs knows from Flink's or Hadoop's file; what that system would reject, as warnings. */
function foreignLayer(
  kind: 'FLINK_CONF' | 'HADOOP_CONF',
  file: ForeignFile,
  warnings: ConfigWarning[],
): Layer {
  for (const problem of file.problems) {
    warnings.push({
      key: '',
      origin: { kind, name: file.file, ...(problem.line > 0 ? { line: problem.line } : {}) },
      message: `${file.file}${problem.line > 0 ? `:${problem.line}` : ''}: ${problem.message}`,
    });
  }
  return entriesLayer(file.entries, (entry) => ({ kind, name: file.file, line: entry.line }), warnings, {
    foreign: true,
  });
}

/**
 * Later entries win; unknown keys produce a warning and are left out, except in a foreign (Flink or
 * Hadoop) file, where they are kept hidden, for references, without a warning.
 */
function entriesLayer(
  entries: readonly ConfigEntry[],
  originOf: (entry: ConfigEntry) => ValueOrigin,
  warnings: ConfigWarning[],
  options: { foreign?: boolean } = {},
): Layer {
  const layer = new Map<string, Setting>();
  for (const entry of entries) {
    const origin = originOf(entry);
    const resolved = PROPERTIES.resolve(entry.key);
    if (!resolved && options.foreign) {
      layer.set(entry.key, { raw: entry.value, origin, writtenAs: entry.key, hidden: true });
      continue;
    }
    if (!resolved) {
      const suggestion = PROPERTIES.suggest(entry.key);
      warnings.push({
        key: entry.key,
        origin,
        message:
          `Unknown property '${entry.key}' (${describeOrigin(origin)}) is ignored` +
          (suggestion ? `; did you mean '${suggestion}'?` : '.'),
      });
    }
    if (resolved) layer.set(resolved.key, { raw: entry.value, origin, writtenAs: entry.key });
  }
  return layer;
}

/**
 * The site files of the first directory of `tierfs.site.conf.dir` (by default `tierfs.conf.dir`,
 * then /etc/tierfs) that has any: YAML first, so properties win where both set a key.
 */
function findSiteFiles(conf: Configuration): string[] {
  const dirs = conf
    .getRaw('tierfs.site.conf.dir')!
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '');
  for (const dir of dirs) {
    const files = SITE_FILES.map((name) => conf.resolvePath(join(dir, name))).filter((file) =>
      existsSync(file),
    );
    if (files.length > 0) return files;
  }
  return [];
}

function readSiteFile(file: string): ConfigEntry[] {
  const text = readFileSync(file, 'utf8');
  try {
    return file.endsWith('.properties') ? parseProperties(text) : parseYamlConfig(text);
  } catch (error) {
    throw new TierfsError('CONFIG_INVALID', `Cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
