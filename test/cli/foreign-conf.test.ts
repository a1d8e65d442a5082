/**
 * Seed 001 as written: a Flink or Hadoop user's `fs.oss.*` keys in `core-site.xml` (HADOOP_CONF_DIR
 * or fs.hdfs.hadoopconf) and `flink-conf.yaml` (FLINK_CONF_DIR), read by a real `tierfs conf`
 * process with their sources, below tierfs's own site file, secrets masked.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTierfs } from '../support/cli.js';

const SECRET = 'FLINK-SECRET-1234567890';
let root: string;
const dir = (...parts: string[]) => {
  const path = join(root, ...parts);
  mkdirSync(path, { recursive: true });
  return path;
};

/** The core-site.xml example of seed 001, verbatim (its stray </property> included). */
const SEED_CORE_SITE = `<configuration>

<property>
    <name>fs.oss.impl</name>
    <value>org.apache.hadoop.fs.aliyun.oss.AliyunOSSFileSystem</value>
  </property>

  <property>
    <name>fs.oss.endpoint</name>
    <value>Aliyun OSS endpoint to connect to</value>
    <description>Aliyun OSS endpoint to connect to. An up-to-date list is provided in the Aliyun OSS Documentation.</description>
  </property>

  <property>
    <name>fs.oss.accessKeyId</name>
    <description>Aliyun access key ID</description>
  </property>

  <property>
    <name>fs.oss.accessKeySecret</name>
    <description>Aliyun access key secret</description>
  </property>

  <property>
    <name>fs.oss.buffer.dir</name>
    <value>/tmp/oss</value>
  </property>

</property>

</configuration>
`;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'tierfs-foreign-'));
  dir('work');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function conf(args: string[], env: Record<string, string>) {
  return runTierfs(['conf', ...args], { cwd: join(root, 'work'), env });
}

describe("Hadoop's core-site.xml", () => {
  it("reads the seed's example as Hadoop would, warning with file and line about the stray </property>", async () => {
    const hadoop = dir('seed-hadoop');
    writeFileSync(join(hadoop, 'core-site.xml'), SEED_CORE_SITE);
    const got = await conf(['get', 'fs.oss.endpoint', '--source'], { HADOOP_CONF_DIR: hadoop });
    expect(got.code).toBe(0);
    const file = join(hadoop, 'core-site.xml');
    expect(got.stdout).toBe(`Aliyun OSS endpoint to connect to (HADOOP_CONF ${file}:8)\n`);
    expect(got.stderr).toBe(
      `warning: ${file}:29: unexpected </property>, expected </configuration>: Hadoop refuses this file; ` +
        'tierfs keeps the properties above this line and ignores the rest\n',
    );
    // A property with a description and no value sets nothing, as in Hadoop.
    const id = await conf(['get', 'fs.oss.accessKeyId', '--source'], { HADOOP_CONF_DIR: hadoop });
    expect(id.stdout).toBe('\n');
    const buffer = await conf(['get', 'fs.oss.buffer.dir', '--source'], { HADOOP_CONF_DIR: hadoop });
    expect(buffer.stdout).toBe(`/tmp/oss (HADOOP_CONF ${file}:24)\n`);
  });

  it('masks a secret from core-site.xml in conf list and conf get', async () => {
    const hadoop = dir('secret-hadoop');
    writeFileSync(
      join(hadoop, 'core-site.xml'),
      `<?xml version="1.0"?>\n<configuration>\n  <property>\n    <name>fs.oss.accessKeySecret</name>\n` +
        `    <value>${SECRET}</value>\n  </property>\n  <property name="fs.oss.accessKeyId" value="LTAI-ID"/>\n` +
        '  <property><name>dfs.replication</name><value>3</value></property>\n</configuration>\n',
    );
    const list = await conf(['list', '--source'], { HADOOP_CONF_DIR: hadoop });
    expect(list.code).toBe(0);
    expect(list.stdout + list.stderr).not.toContain(SECRET);
    const file = join(hadoop, 'core-site.xml');
    expect(list.stdout).toContain(`fs.oss.accessKeySecret=****** (HADOOP_CONF ${file}:3)`);
    expect(list.stdout).toContain(`fs.oss.accessKeyId=LTAI-ID (HADOOP_CONF ${file}:7)`);
    // Hadoop's own keys are Hadoop's: neither taken nor warned about.
    expect(list.stdout).not.toContain('dfs.replication');
    expect(list.stderr).toBe('');
  });

  it("expands ${...} in its values as Hadoop does, from Hadoop's own keys too, without listing them", async () => {
    const hadoop = dir('vars-hadoop');
    writeFileSync(
      join(hadoop, 'core-site.xml'),
      '<configuration>\n' +
        '<property><name>oss.region</name><value>oss-cn-beijing</value></property>\n' +
        '<property><name>fs.oss.endpoint</name><value>${oss.region}.aliyuncs.com</value></property>\n' +
        '<property><name>fs.oss.buffer.dir</name><value>${hadoop.tmp.dir}/oss</value></property>\n' +
        '<property><name>fs.oss.proxy.host</name><value>${no.such.key}</value></property>\n' +
        '</configuration>\n',
    );
    const env = { HADOOP_CONF_DIR: hadoop };
    const list = await conf(['list'], env);
    expect(list.code).toBe(0);
    const lines = list.stdout.split('\n');
    expect(lines).toContain('fs.oss.endpoint=oss-cn-beijing.aliyuncs.com');
    expect(lines).toContain(`fs.oss.buffer.dir=/tmp/hadoop-${userInfo().username}/oss`);
    // A reference to nothing stays as written, as Hadoop leaves it.
    expect(lines).toContain('fs.oss.proxy.host=${no.such.key}');
    expect(list.stdout).not.toContain('oss.region=');
    expect(list.stdout).not.toContain('hadoop.tmp.dir');
    const hidden = await conf(['get', 'oss.region'], env);
    expect(hidden.code).not.toBe(0);
    expect(hidden.stderr).toContain("Unknown property 'oss.region'");
  });
});

describe("Flink's flink-conf.yaml and the precedence of the sources", () => {
  it('site file > flink-conf.yaml > core-site.xml (fs.hdfs.hadoopconf over HADOOP_CONF_DIR) > environment fallback', async () => {
    const named = dir('named-hadoop');
    const env = dir('env-hadoop');
    const flink = dir('flink');
    const site = dir('site');
    writeFileSync(
      join(named, 'core-site.xml'),
      '<configuration>\n' +
        '<property><name>fs.oss.endpoint</name><value>from-core-site</value></property>\n' +
        '<property><name>fs.oss.accessKeyId</name><value>id-from-core-site</value></property>\n' +
        '<property><name>fs.oss.connection.maximum</name><value>7</value></property>\n' +
        '</configuration>\n',
    );
    writeFileSync(
      join(env, 'core-site.xml'),
      '<configuration><property><name>fs.oss.connection.timeout</name><value>1</value></property></configuration>',
    );
    writeFileSync(
      join(flink, 'flink-conf.yaml'),
      [
        '# Flink',
        'fs.oss.endpoint: oss-cn-hangzhou.aliyuncs.com',
        `fs.oss.accessKeySecret: ${SECRET}`,
        `fs.hdfs.hadoopconf: ${named}`,
        `fs.oss.securityToken:${SECRET}`,
        'taskmanager.numberOfTaskSlots: 4',
        '',
      ].join('\n'),
    );
    writeFileSync(join(site, 'tierfs-site.properties'), 'fs.oss.connection.maximum=9\n');
    const environment = {
      FLINK_CONF_DIR: flink,
      HADOOP_CONF_DIR: env,
      TIERFS_CONF_DIR: site,
      ALIYUN_OSS_ACCESS_KEY_ID: 'id-from-env',
    };
    const list = await conf(['list', '--source'], environment);
    expect(list.code).toBe(0);
    expect(list.stdout + list.stderr).not.toContain(SECRET);
    const flinkFile = join(flink, 'flink-conf.yaml');
    const coreSite = join(named, 'core-site.xml');
    const lines = list.stdout.split('\n');
    expect(lines).toContain(`fs.oss.endpoint=oss-cn-hangzhou.aliyuncs.com (FLINK_CONF ${flinkFile}:2)`);
    expect(lines).toContain(`fs.oss.accessKeySecret=****** (FLINK_CONF ${flinkFile}:3)`);
    expect(lines).toContain(`fs.oss.accessKeyId=id-from-core-site (HADOOP_CONF ${coreSite}:3)`);
    expect(lines).toContain(
      `fs.oss.connection.maximum=9 (SITE_PROPERTY ${join(site, 'tierfs-site.properties')}:1)`,
    );
    // HADOOP_CONF_DIR's file is not read when fs.hdfs.hadoopconf names a directory with one.
    expect(lines).toContain('fs.oss.connection.timeout=200000 (DEFAULT)');
    // The malformed line is skipped as Flink skips it, named by line, its value never shown.
    expect(list.stderr).toBe(
      `warning: ${flinkFile}:5: 'fs.oss.securityToken:...' is not a key-value pair (missing space after ':'?): ` +
        'Flink skips this line, and so does tierfs\n',
    );
    const get = await conf(['get', 'fs.oss.accessKeySecret', '--source'], environment);
    expect(get.stdout).toBe(`****** (FLINK_CONF ${flinkFile}:3)\n`);
    // Without the files the environment's fallback credential shows.
    const bare = await conf(['get', 'fs.oss.accessKeyId', '--source'], {
      ALIYUN_OSS_ACCESS_KEY_ID: 'id-from-env',
    });
    expect(bare.stdout).toBe('id-from-env (ENVIRONMENT_FALLBACK ALIYUN_OSS_ACCESS_KEY_ID)\n');
  });

  it("prefers Flink 1.19's config.yaml (standard YAML) to flink-conf.yaml", async () => {
    const flink = dir('flink-modern');
    writeFileSync(join(flink, 'flink-conf.yaml'), 'fs.oss.endpoint: legacy\n');
    writeFileSync(join(flink, 'config.yaml'), 'fs:\n  oss:\n    endpoint: modern.aliyuncs.com\n');
    const got = await conf(['get', 'fs.oss.endpoint', '--source'], { FLINK_CONF_DIR: flink });
    expect(got.stdout).toBe(`modern.aliyuncs.com (FLINK_CONF ${join(flink, 'config.yaml')}:3)\n`);
  });
});
