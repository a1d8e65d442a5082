/** `tierfs conf get|list` and `tierfs selfcheck` as real processes. */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runTierfs } from '../support/cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A working directory with conf/tierfs-site.properties holding `site`. */
function home(site: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tierfs-cli-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'conf'));
  writeFileSync(join(dir, 'conf', 'tierfs-site.properties'), site);
  return dir;
}

function linesOf(stdout: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of stdout.trim().split('\n')) {
    const eq = line.indexOf('=');
    map.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return map;
}

describe('tierfs conf list --source', () => {
  it('shows where every value comes from: mount-free precedence of -D, env, site file and default', async () => {
    const cwd = home(
      [
        '# site file',
        'tierfs.underfs.s3.socket.timeout=1min',
        'alluxio.underfs.s3.request.timeout=2min',
        'tierfs.work.dir=/from/site',
        'tierfs.underfs.listing.length=10',
        'aws.secretKey=VERY-SECRET-VALUE',
        '',
      ].join('\n'),
    );
    const result = await runTierfs(['-Dtierfs.underfs.listing.length=500', 'conf', 'list', '--source'], {
      cwd,
      env: { TIERFS_WORK_DIR: '/from/env', AWS_ACCESS_KEY_ID: 'AKIDFROMENV' },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const site = join(cwd, 'conf', 'tierfs-site.properties');
    const lines = linesOf(result.stdout);
    expect(lines.get('tierfs.underfs.listing.length')).toBe(
      '500 (SYSTEM_PROPERTY -Dtierfs.underfs.listing.length)',
    );
    expect(lines.get('tierfs.work.dir')).toBe('/from/env (ENVIRONMENT TIERFS_WORK_DIR)');
    expect(lines.get('tierfs.underfs.s3.socket.timeout')).toBe(`1min (SITE_PROPERTY ${site}:2)`);
    expect(lines.get('tierfs.underfs.s3.request.timeout')).toBe(`2min (SITE_PROPERTY ${site}:3)`);
    expect(lines.get('tierfs.underfs.s3.admin.threads.max')).toBe('20 (DEFAULT)');
    expect(lines.get('aws.accessKeyId')).toBe('AKIDFROMENV (ENVIRONMENT_FALLBACK AWS_ACCESS_KEY_ID)');
    expect(lines.get('aws.secretKey')).toBe(`****** (SITE_PROPERTY ${site}:6)`);
    expect(result.stdout).not.toContain('VERY-SECRET-VALUE');
  });

  it('without --source prints key=value only, and --all adds unset keys', async () => {
    const cwd = home('');
    const plain = linesOf((await runTierfs(['conf', 'list'], { cwd })).stdout);
    expect(plain.get('tierfs.underfs.s3.socket.timeout')).toBe('50sec');
    expect(plain.has('tierfs.underfs.s3.endpoint')).toBe(false);
    const all = linesOf((await runTierfs(['conf', 'list', '--all'], { cwd })).stdout);
    expect(all.get('tierfs.underfs.s3.endpoint')).toBe('');
  });
});

describe('tierfs conf get', () => {
  it('prints a value by its tierfs or alluxio name, with --source', async () => {
    const cwd = home('alluxio.underfs.s3.endpoint=http://127.0.0.1:9000\n');
    const byTierfs = await runTierfs(['conf', 'get', 'tierfs.underfs.s3.endpoint'], { cwd });
    expect(byTierfs).toMatchObject({ code: 0, stdout: 'http://127.0.0.1:9000\n' });
    const withSource = await runTierfs(['conf', 'get', 'alluxio.underfs.s3.endpoint', '--source'], { cwd });
    expect(withSource.stdout).toBe(
      `http://127.0.0.1:9000 (SITE_PROPERTY ${join(cwd, 'conf', 'tierfs-site.properties')}:1)\n`,
    );
  });

  it('masks a secret', async () => {
    const cwd = home('fs.oss.accessKeySecret=oss-secret-123\n');
    const result = await runTierfs(['conf', 'get', 'fs.oss.accessKeySecret'], { cwd });
    expect(result).toMatchObject({ code: 0, stdout: '******\n' });
  });

  it('refuses an unknown key with a suggestion', async () => {
    const result = await runTierfs(['conf', 'get', 'tierfs.underfs.s3.endpiont'], { cwd: home('') });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "tierfs: Unknown property 'tierfs.underfs.s3.endpiont'; did you mean 'tierfs.underfs.s3.endpoint'?\n",
    );
  });
});

describe('bad configuration', () => {
  it('a bad value fails with one line naming key, value, expected form, file and line', async () => {
    const cwd = home('# tuning\n\nalluxio.underfs.s3.socket.timeout=fast\n');
    const result = await runTierfs(['conf', 'list'], { cwd });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      "tierfs: Invalid value 'fast' for 'tierfs.underfs.s3.socket.timeout' " +
        "(written as 'alluxio.underfs.s3.socket.timeout') from SITE_PROPERTY " +
        `${join(cwd, 'conf', 'tierfs-site.properties')}:3: ` +
        'expected a duration such as 50sec, 5min, 3day or 500ms; not a duration.\n',
    );
  });

  it('an unknown key is a warning with a suggestion, and the command still works', async () => {
    const cwd = home('tierfs.underfs.cleanup.enabeld=false\n');
    const result = await runTierfs(['conf', 'get', 'tierfs.underfs.cleanup.enabled'], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('true\n'); // the default: the misspelt key set nothing
    expect(result.stderr).toMatch(
      /^warning: Unknown property 'tierfs.underfs.cleanup.enabeld' .*:1\) is ignored; did you mean 'tierfs.underfs.cleanup.enabled'\?\n$/,
    );
  });
});

describe('tierfs selfcheck', () => {
  it('writes, lists, reads back and deletes a file in the root under store', async () => {
    const cwd = home('tierfs.master.mount.table.root.ufs=${tierfs.work.dir}/ufs\n');
    const result = await runTierfs(['selfcheck', '--size', '300000'], { cwd });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`tierfs selfcheck of file://${join(cwd, 'ufs')}`);
    expect(result.stdout).toContain('read back 300000 bytes, sha256 matches');
    expect(result.stdout).toMatch(/selfcheck passed in \d+ ms/);
    expect(readdirSync(join(cwd, 'ufs'))).toEqual([]);
  });

  it('fails with one line when the store cannot be used', async () => {
    const cwd = home('');
    const file = join(cwd, 'not-a-dir');
    writeFileSync(file, createHash('md5').update('x').digest());
    const result = await runTierfs(['selfcheck', '--ufs', file], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^tierfs: /);
  });
});
