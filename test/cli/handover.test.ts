/** The file `tierfs -Dk=v start` hands a daemon its -D properties in, from the daemon's side. */
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { SYSTEM_PROPERTIES_FILE_ENV, takeHandedOverSystemProperties } from '../../src/cli/handover.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tierfs-handover-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

it('reads the properties once: the file and the variable are gone after', () => {
  const file = join(dir, 'master.properties.json');
  writeFileSync(file, JSON.stringify({ 'aws.secretKey': 's3cr3t' }), { mode: 0o600 });
  const env: NodeJS.ProcessEnv = { [SYSTEM_PROPERTIES_FILE_ENV]: file };
  expect(takeHandedOverSystemProperties(env)).toEqual({ 'aws.secretKey': 's3cr3t' });
  expect(existsSync(file)).toBe(false);
  expect(env[SYSTEM_PROPERTIES_FILE_ENV]).toBeUndefined();
  expect(takeHandedOverSystemProperties(env)).toEqual({});
});

it('refuses a file others could read, without repeating its content', () => {
  const file = join(dir, 'loose.json');
  writeFileSync(file, JSON.stringify({ 'aws.secretKey': 's3cr3t' }));
  chmodSync(file, 0o644);
  expect(() => takeHandedOverSystemProperties({ [SYSTEM_PROPERTIES_FILE_ENV]: file })).toThrow(
    `refusing the -D properties handed over in ${file} (${SYSTEM_PROPERTIES_FILE_ENV}): it must be a regular file of this user with mode 0600`,
  );
  expect(existsSync(file)).toBe(false);
});
