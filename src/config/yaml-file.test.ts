import { describe, expect, it } from 'vitest';
import { parseYamlConfig } from './yaml-file.js';

describe('parseYamlConfig', () => {
  it('reads Flink-style flat keys with their lines', () => {
    const text = '# OSS\nfs.oss.endpoint: http://x\n\nfs.oss.accessKeyId: AK\n';
    expect(parseYamlConfig(text)).toEqual([
      { key: 'fs.oss.endpoint', value: 'http://x', line: 2 },
      { key: 'fs.oss.accessKeyId', value: 'AK', line: 4 },
    ]);
  });

  it('flattens nested maps with dots, on the line of the innermost key', () => {
    const text = [
      'fs:',
      '  oss:',
      '    endpoint: x',
      '    region: cn',
      'tierfs:',
      '  master.hostname: m1',
    ].join('\n');
    expect(parseYamlConfig(text)).toEqual([
      { key: 'fs.oss.endpoint', value: 'x', line: 3 },
      { key: 'fs.oss.region', value: 'cn', line: 4 },
      { key: 'tierfs.master.hostname', value: 'm1', line: 6 },
    ]);
  });

  it('flattens flow maps', () => {
    expect(parseYamlConfig('fs: {oss: {endpoint: x}}')).toEqual([
      { key: 'fs.oss.endpoint', value: 'x', line: 1 },
    ]);
  });

  it('returns flat and nested spellings of the same key in document order', () => {
    expect(parseYamlConfig('fs.oss.endpoint: a\nfs:\n  oss.endpoint: b\n')).toEqual([
      { key: 'fs.oss.endpoint', value: 'a', line: 1 },
      { key: 'fs.oss.endpoint', value: 'b', line: 3 },
    ]);
  });

  it('keeps the source text of numbers and sizes', () => {
    const text =
      'mode: 0700\nsize: 64MB\nhex: 0x1F\nfloat: 1.50\nexp: 1e3\nneg: -1\nbig: 12345678901234567890\n';
    expect(parseYamlConfig(text)).toEqual([
      { key: 'mode', value: '0700', line: 1 },
      { key: 'size', value: '64MB', line: 2 },
      { key: 'hex', value: '0x1F', line: 3 },
      { key: 'float', value: '1.50', line: 4 },
      { key: 'exp', value: '1e3', line: 5 },
      { key: 'neg', value: '-1', line: 6 },
      { key: 'big', value: '12345678901234567890', line: 7 },
    ]);
  });

  it('gives booleans and strings as written, and quoted scalars unquoted', () => {
    const text = 'on: true\noff: False\nq: "0700"\ns: \'a: b\'\nplain: hello world\nesc: "tab\\there"\n';
    expect(parseYamlConfig(text)).toEqual([
      { key: 'on', value: 'true', line: 1 },
      { key: 'off', value: 'False', line: 2 },
      { key: 'q', value: '0700', line: 3 },
      { key: 's', value: 'a: b', line: 4 },
      { key: 'plain', value: 'hello world', line: 5 },
      { key: 'esc', value: 'tab\there', line: 6 },
    ]);
  });

  it('keeps numeric keys as written', () => {
    expect(parseYamlConfig('codes:\n  007: bond\n')).toEqual([{ key: 'codes.007', value: 'bond', line: 2 }]);
  });

  it('turns null and empty values into empty strings', () => {
    expect(parseYamlConfig('a:\nb: ~\nc: null\nd: ""\n')).toEqual([
      { key: 'a', value: '', line: 1 },
      { key: 'b', value: '', line: 2 },
      { key: 'c', value: '', line: 3 },
      { key: 'd', value: '', line: 4 },
    ]);
  });

  it('joins sequences of scalars with commas', () => {
    const text = 'hosts: [h1, h2, h3]\nports:\n  - 0700\n  - 80\nempty: []\nwithNull: [a, ~, b]\n';
    expect(parseYamlConfig(text)).toEqual([
      { key: 'hosts', value: 'h1,h2,h3', line: 1 },
      { key: 'ports', value: '0700,80', line: 2 },
      { key: 'empty', value: '', line: 5 },
      { key: 'withNull', value: 'a,,b', line: 6 },
    ]);
  });

  it('gives no entry for an empty nested map', () => {
    expect(parseYamlConfig('a: {}\nb: 1\n')).toEqual([{ key: 'b', value: '1', line: 2 }]);
  });

  it('reads block scalars', () => {
    expect(parseYamlConfig('text: |\n  one\n  two\nfolded: >-\n  a\n  b\n')).toEqual([
      { key: 'text', value: 'one\ntwo\n', line: 1 },
      { key: 'folded', value: 'a b', line: 4 },
    ]);
  });

  it('resolves aliases', () => {
    expect(parseYamlConfig('base: &b 64MB\ncopy: *b\n')).toEqual([
      { key: 'base', value: '64MB', line: 1 },
      { key: 'copy', value: '64MB', line: 2 },
    ]);
  });

  it('handles CRLF line endings and a byte order mark', () => {
    expect(parseYamlConfig('\uFEFFa: 1\r\nb:\r\n  c: 0700\r\n')).toEqual([
      { key: 'a', value: '1', line: 1 },
      { key: 'b.c', value: '0700', line: 3 },
    ]);
  });

  it('returns nothing for an empty or comment-only document', () => {
    expect(parseYamlConfig('')).toEqual([]);
    expect(parseYamlConfig('# nothing here\n')).toEqual([]);
    expect(parseYamlConfig('---\n')).toEqual([]);
  });

  it('throws on a syntax error, naming the line', () => {
    expect(() => parseYamlConfig('a: 1\nb: [1, 2\n')).toThrow(/^YAML syntax error at line 3: /);
    expect(() => parseYamlConfig('a: 1\nb: c: d\n')).toThrow(/^YAML syntax error at line 2: /);
    expect(() => parseYamlConfig('a:\n  b: 1\n\tc: 2\n')).toThrow(/^YAML syntax error at line 3: /);
  });

  it('throws on a key repeated in one map, naming the line', () => {
    expect(() => parseYamlConfig('a: 1\nb: 2\na: 3\n')).toThrow(
      /^YAML syntax error at line 3: Map keys must be unique/,
    );
  });

  it('throws on several documents', () => {
    expect(() => parseYamlConfig('a: 1\n---\nb: 2\n')).toThrow(/^YAML syntax error at line 2: /);
  });

  it('throws when the top level is not a map', () => {
    expect(() => parseYamlConfig('- a\n- b\n')).toThrow(
      'YAML configuration must be a map of keys to values at the top level, found a sequence at line 1',
    );
    expect(() => parseYamlConfig('\njust text\n')).toThrow(
      'YAML configuration must be a map of keys to values at the top level, found a scalar at line 2',
    );
  });

  it('throws on a sequence holding maps or sequences, naming the line', () => {
    expect(() => parseYamlConfig('a: 1\nlist:\n  - x\n  - {y: 1}\n')).toThrow(
      "YAML configuration at line 4: 'list' must be a list of scalars, not of maps or lists",
    );
    expect(() => parseYamlConfig('list: [[1]]')).toThrow(
      /^YAML configuration at line 1: 'list' must be a list/,
    );
  });

  it('throws on complex or empty keys, naming the line', () => {
    expect(() => parseYamlConfig('a: 1\n? [x, y]\n: v\n')).toThrow(
      'YAML configuration at line 2: keys must be non-empty scalars',
    );
    expect(() => parseYamlConfig('a: 1\n"": v\n')).toThrow(
      'YAML configuration at line 2: keys must be non-empty scalars',
    );
  });
});
