/**
 * The configuration files of the systems tierfs stands in for, read as configuration sources
 * (configuration.ts places them below tierfs's own site file):
 *
 *   FLINK_CONF   `${FLINK_CONF_DIR}/config.yaml` (Flink 1.19+, standard YAML), or else
 *                `${FLINK_CONF_DIR}/flink-conf.yaml` (Flink's legacy `key: value` lines)
 *   HADOOP_CONF  `core-site.xml` of the first of: `fs.hdfs.hadoopconf` (Flink's option),
 *                `HADOOP_CONF_DIR`, `${HADOOP_HOME}/etc/hadoop`, `${HADOOP_HOME}/conf`
 *
 * Only keys tierfs registers are taken from them (these files hold many keys of their own systems,
 * which are not tierfs's to warn about, kept only for `${...}` references); what Flink or Hadoop
 * would reject is a warning naming the file and line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { TierfsError } from '../errors.js';
import { parseFlinkConf } from './flink-conf.js';
import { parseHadoopXml } from './hadoop-xml.js';
import type { ConfigEntry } from './properties-file.js';
import { parseYamlConfig } from './yaml-file.js';

export interface ForeignFile {
  readonly file: string;
  readonly entries: readonly ConfigEntry[];
  /** What the owning system would reject, with the line. */
  readonly problems: readonly { readonly line: number; readonly message: string }[];
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new TierfsError('CONFIG_INVALID', `Cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Flink's configuration file in a directory: config.yaml when present (as Flink 1.19+ does), else flink-conf.yaml. */
export function readFlinkConf(dir: string): ForeignFile | undefined {
  const modern = join(dir, 'config.yaml');
  if (existsSync(modern)) {
    try {
      return { file: modern, entries: parseYamlConfig(read(modern)), problems: [] };
    } catch (error) {
      if (error instanceof TierfsError) throw error;
      return { file: modern, entries: [], problems: [{ line: 0, message: (error as Error).message }] };
    }
  }
  const legacy = join(dir, 'flink-conf.yaml');
  if (!existsSync(legacy)) return undefined;
  return { file: legacy, ...parseFlinkConf(read(legacy)) };
}

/** The directories searched for core-site.xml, in order; the first that has one is read. */
export function hadoopConfDirs(
  hadoopconf: string | undefined,
  hadoopConfDir: string | undefined,
  env: NodeJS.ProcessEnv,
): string[] {
  const home = env.HADOOP_HOME;
  return [hadoopconf, hadoopConfDir, home && join(home, 'etc', 'hadoop'), home && join(home, 'conf')].filter(
    (dir): dir is string => dir !== undefined && dir !== '',
  );
}

/**
 * What Hadoop defines before any file, for `${...}` in core-site.xml values (such as
 * `${hadoop.tmp.dir}/oss`): the user name and core-default.xml's hadoop.tmp.dir.
 */
function hadoopBuiltins(): ConfigEntry[] {
  return [
    { key: 'user.name', value: userInfo().username, line: 0 },
    { key: 'hadoop.tmp.dir', value: '/tmp/hadoop-${user.name}', line: 0 },
  ];
}

export function readCoreSite(dirs: readonly string[]): ForeignFile | undefined {
  for (const dir of dirs) {
    const file = join(dir, 'core-site.xml');
    if (!existsSync(file)) continue;
    const parsed = parseHadoopXml(read(file));
    return { file, entries: [...hadoopBuiltins(), ...parsed.entries], problems: parsed.problems };
  }
  return undefined;
}
