import type { PropertyType } from './types.js';

/**
 * One configuration property. Native keys are `tierfs.*`; every `tierfs.X` key is also accepted as
 * `alluxio.X` (so a seed page's properties work verbatim). Keys in other namespaces (`fs.oss.*`,
 * `fs.kodo.*`, `aws.*`, `s3a.*`, Pulsar's `managedLedger*`) are registered as written.
 *
 * A key may contain one `{placeholder}` (e.g. `tierfs.master.mount.table.root.option.{key}`),
 * which matches any non-empty text.
 */
export interface PropertyDefinition<T> {
  readonly key: string;
  readonly type: PropertyType<T>;
  /**
   * The default as text, parsed like any configured value; may reference other keys as
   * `${tierfs.work.dir}`. Absent means "unset" (`conf.get` returns undefined).
   */
  readonly default?: string;
  /** Further accepted names besides the automatic `alluxio.*` twin of a `tierfs.*` key. */
  readonly aliases?: readonly string[];
  /** Values never appear in logs, errors, the UI or `conf list`. */
  readonly secret?: boolean;
  /** One line, shown by `conf list --describe`, the UI and the docs. */
  readonly description: string;
  /** Environment variables that set this key with the precedence of `-D` (first set wins). */
  readonly env?: readonly string[];
  /**
   * Environment variables consulted only when no file, flag or mount option sets the key, e.g.
   * `AWS_ACCESS_KEY_ID` below `aws.accessKeyId` in the site properties (seed 002's order).
   */
  readonly fallbackEnv?: readonly string[];
}

export interface PropertyKey<T> extends PropertyDefinition<T> {
  /** Brand so a typed key cannot be confused with a plain string. */
  readonly __type?: T;
}

export function defineProperty<T>(definition: PropertyDefinition<T>): PropertyKey<T> {
  return Object.freeze({ ...definition });
}
