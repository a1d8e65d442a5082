import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { optionValue, readOptionFile } from './option-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tierfs-option-file-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

it('reads key=value lines as a properties file: comments, key: value, escapes, continuations, last wins', () => {
  const path = file(
    'a.properties',
    '# comment\n! also\n aws.accessKeyId = AK\naws.secretKey: s\\u00e9cret=\\\n  tail\nfs.oss.endpoint oss.example\naws.accessKeyId=AK2\n',
  );
  expect(readOptionFile(path)).toEqual({
    'aws.accessKeyId': 'AK2',
    'aws.secretKey': 'sécret=tail',
    'fs.oss.endpoint': 'oss.example',
  });
});

it('names the file and the line of a malformed line, never its text', () => {
  const path = file('bad.properties', 'aws.accessKeyId=AK\nTHE-SECRET-ITSELF\n');
  expect(() => readOptionFile(path)).toThrow(
    `--option-file ${path}: line 2 is not key=value; write one property a line as key=value (e.g. aws.secretKey=...), comments start with #`,
  );
  const empty = file('empty-key.properties', '=value\n');
  expect(() => readOptionFile(empty)).toThrow(`--option-file ${empty}: line 1 is not key=value`);
  expect(() => readOptionFile(join(dir, 'none'))).toThrow(
    `--option-file: cannot read ${join(dir, 'none')}: no such file`,
  );
  expect(() => readOptionFile(dir)).toThrow(`cannot read ${dir}: it is a directory, not a file`);
});

it('takes a value from @FILE without its trailing newline; @@ is a literal @', () => {
  expect(optionValue('aws.secretKey', 'plain')).toBe('plain');
  expect(optionValue('aws.secretKey', `@${file('s', 'from-file\n')}`)).toBe('from-file');
  expect(optionValue('aws.secretKey', `@${file('crlf', 'two\nlines\r\n')}`)).toBe('two\nlines');
  expect(optionValue('aws.secretKey', '@@at-sign')).toBe('@at-sign');
  expect(() => optionValue('aws.secretKey', '@')).toThrow('expected a file name after @');
  expect(() => optionValue('aws.secretKey', `@${file('e', '\n')}`)).toThrow('is empty');
  expect(() => optionValue('aws.secretKey', `@${join(dir, 'none')}`)).toThrow(
    `--option aws.secretKey=@${join(dir, 'none')}: cannot read ${join(dir, 'none')}: no such file`,
  );
});
