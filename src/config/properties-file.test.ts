import { describe, expect, it } from 'vitest';
import { parseProperties } from './properties-file.js';

describe('parseProperties', () => {
  it('joins the seed example into one entry on line 1', () => {
    const text = [
      'alluxio.underfs.s3.owner.id.to.username.mapping=\\',
      '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be=john',
    ].join('\n');
    expect(parseProperties(text)).toEqual([
      {
        key: 'alluxio.underfs.s3.owner.id.to.username.mapping',
        value: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be=john',
        line: 1,
      },
    ]);
  });

  it('reads = : and whitespace separators', () => {
    expect(parseProperties('a=1\nb:2\nc 3\nd\t4\ne\f5')).toEqual([
      { key: 'a', value: '1', line: 1 },
      { key: 'b', value: '2', line: 2 },
      { key: 'c', value: '3', line: 3 },
      { key: 'd', value: '4', line: 4 },
      { key: 'e', value: '5', line: 5 },
    ]);
  });

  it('skips whitespace around the separator, and one separator after whitespace', () => {
    expect(parseProperties('  a  =  1\nb : 2\nc   3\nd = = 4\ne==5\nf::6')).toEqual([
      { key: 'a', value: '1', line: 1 },
      { key: 'b', value: '2', line: 2 },
      { key: 'c', value: '3', line: 3 },
      { key: 'd', value: '= 4', line: 4 },
      { key: 'e', value: '=5', line: 5 },
      { key: 'f', value: ':6', line: 6 },
    ]);
  });

  it('splits at the first separator only', () => {
    expect(parseProperties('url=http://host:8080/a=b')).toEqual([
      { key: 'url', value: 'http://host:8080/a=b', line: 1 },
    ]);
    expect(parseProperties('key value with spaces')).toEqual([
      { key: 'key', value: 'value with spaces', line: 1 },
    ]);
  });

  it('gives an empty value to a key without one', () => {
    expect(parseProperties('alone\nspaced   \nequals=\ncolon :  ')).toEqual([
      { key: 'alone', value: '', line: 1 },
      { key: 'spaced', value: '', line: 2 },
      { key: 'equals', value: '', line: 3 },
      { key: 'colon', value: '', line: 4 },
    ]);
  });

  it('allows an empty key, as Java does', () => {
    expect(parseProperties('=x\n:y')).toEqual([
      { key: '', value: 'x', line: 1 },
      { key: '', value: 'y', line: 2 },
    ]);
  });

  it('keeps trailing whitespace of a value, as Java does', () => {
    expect(parseProperties('a = b  \t\nc=d ')).toEqual([
      { key: 'a', value: 'b  \t', line: 1 },
      { key: 'c', value: 'd ', line: 2 },
    ]);
  });

  it('skips # and ! comments, also after leading whitespace, and blank lines', () => {
    const text = '# hash\n! bang\n   # indented\n\t! tabbed\n\n   \n\t\f\nkey=value # not a comment\n';
    expect(parseProperties(text)).toEqual([{ key: 'key', value: 'value # not a comment', line: 8 }]);
  });

  it('does not continue a comment line that ends in a backslash', () => {
    expect(parseProperties('# comment \\\na=1')).toEqual([{ key: 'a', value: '1', line: 2 }]);
    expect(parseProperties('! comment \\\nb=2')).toEqual([{ key: 'b', value: '2', line: 2 }]);
  });

  it('does not treat a continuation line starting with # or ! as a comment', () => {
    expect(parseProperties('a=\\\n  # kept\nb=\\\n!kept')).toEqual([
      { key: 'a', value: '# kept', line: 1 },
      { key: 'b', value: '!kept', line: 3 },
    ]);
  });

  it('numbers continued entries by the line where they start', () => {
    const text = 'first=1\n\n# c\nlong=a,\\\n    b,\\\n\t\tc\nafter=2\n';
    expect(parseProperties(text)).toEqual([
      { key: 'first', value: '1', line: 1 },
      { key: 'long', value: 'a,b,c', line: 4 },
      { key: 'after', value: '2', line: 7 },
    ]);
  });

  it('drops leading whitespace of continuation lines but keeps whitespace before the backslash', () => {
    expect(parseProperties('a=one \\\n   two')).toEqual([{ key: 'a', value: 'one two', line: 1 }]);
  });

  it('continues a key across lines', () => {
    expect(parseProperties('my.\\\n  key = v')).toEqual([{ key: 'my.key', value: 'v', line: 1 }]);
  });

  it('continues on an odd number of trailing backslashes only', () => {
    expect(parseProperties('a=x\\\\\nb=y')).toEqual([
      { key: 'a', value: 'x\\', line: 1 },
      { key: 'b', value: 'y', line: 2 },
    ]);
    expect(parseProperties('a=x\\\\\\\nb=y')).toEqual([{ key: 'a', value: 'x\\b=y', line: 1 }]);
    expect(parseProperties('a=x\\\\\\\\\nb=y')).toEqual([
      { key: 'a', value: 'x\\\\', line: 1 },
      { key: 'b', value: 'y', line: 2 },
    ]);
  });

  it('ends a continuation at a blank line', () => {
    expect(parseProperties('a=x\\\n\nb=y')).toEqual([
      { key: 'a', value: 'x', line: 1 },
      { key: 'b', value: 'y', line: 3 },
    ]);
  });

  it('counts trailing backslashes on the continuation line itself', () => {
    // The second line is a single backslash: it continues again, onto `z`.
    expect(parseProperties('a=x\\\n\\\nz\nb=1')).toEqual([
      { key: 'a', value: 'xz', line: 1 },
      { key: 'b', value: '1', line: 4 },
    ]);
  });

  it('drops a backslash at the end of the input', () => {
    expect(parseProperties('a=x\\')).toEqual([{ key: 'a', value: 'x', line: 1 }]);
    expect(parseProperties('a=x\\\n')).toEqual([{ key: 'a', value: 'x', line: 1 }]);
  });

  it('reads escaped separators inside keys', () => {
    expect(parseProperties('a\\=b=c\nx\\:y:z\nsp\\ ace value\n\\#hash=1\n\\!bang=2')).toEqual([
      { key: 'a=b', value: 'c', line: 1 },
      { key: 'x:y', value: 'z', line: 2 },
      { key: 'sp ace', value: 'value', line: 3 },
      { key: '#hash', value: '1', line: 4 },
      { key: '!bang', value: '2', line: 5 },
    ]);
  });

  it('treats a key ending in an escaped backslash as ending before the separator', () => {
    expect(parseProperties('a\\\\=b')).toEqual([{ key: 'a\\', value: 'b', line: 1 }]);
  });

  it('resolves \\t \\n \\r \\f \\\\ and unknown escapes', () => {
    expect(parseProperties('k=\\t|\\n|\\r|\\f|\\\\|\\q|\\=|\\:|\\ |\\#|\\!|\\"')).toEqual([
      { key: 'k', value: '\t|\n|\r|\f|\\|q|=|:| |#|!|"', line: 1 },
    ]);
  });

  it('keeps an escaped leading space of a value', () => {
    expect(parseProperties('k=\\  padded')).toEqual([{ key: 'k', value: '  padded', line: 1 }]);
  });

  it('resolves \\uXXXX in keys and values, in either case', () => {
    expect(parseProperties('\\u0041\\u0062c=\\u00e9\\u00E9\\u4e2d')).toEqual([
      { key: 'Abc', value: 'éé中', line: 1 },
    ]);
  });

  it('keeps surrogate pairs given as two \\u escapes', () => {
    expect(parseProperties('k=\\ud83d\\ude00')).toEqual([{ key: 'k', value: '😀', line: 1 }]);
  });

  it('throws on a malformed \\u escape, naming the line', () => {
    expect(() => parseProperties('a=1\n\nb=\\u00G1')).toThrow(/line 3/);
    expect(() => parseProperties('a=1\nb=\\u12')).toThrow(/Malformed \\uxxxx encoding.*line 2/);
    expect(() => parseProperties('a\\uzzzz=1')).toThrow(/line 1/);
  });

  it('names the starting line for a malformed escape on a continuation line', () => {
    expect(() => parseProperties('x=1\na=\\\n  \\u00')).toThrow(/line 2/);
  });

  it('handles CRLF, CR and LF line endings', () => {
    const expected = [
      { key: 'a', value: '1', line: 1 },
      { key: 'b', value: '23', line: 3 },
      { key: 'c', value: '4', line: 5 },
    ];
    expect(parseProperties('a=1\r\n# c\r\nb=2\\\r\n  3\r\nc=4\r\n')).toEqual(expected);
    expect(parseProperties('a=1\r# c\rb=2\\\r  3\rc=4\r')).toEqual(expected);
    expect(parseProperties('a=1\n# c\nb=2\\\n  3\nc=4\n')).toEqual(expected);
    expect(parseProperties('a=1\r\n# c\rb=2\\\n  3\r\nc=4')).toEqual(expected);
  });

  it('does not keep a carriage return in a CRLF value', () => {
    expect(parseProperties('k=v\r\n')[0]?.value).toBe('v');
  });

  it('ignores a UTF-8 byte order mark', () => {
    expect(parseProperties('\uFEFFa=1\nb=2')).toEqual([
      { key: 'a', value: '1', line: 1 },
      { key: 'b', value: '2', line: 2 },
    ]);
  });

  it('returns duplicate keys in file order', () => {
    expect(parseProperties('a=1\nb=2\na=3')).toEqual([
      { key: 'a', value: '1', line: 1 },
      { key: 'b', value: '2', line: 2 },
      { key: 'a', value: '3', line: 3 },
    ]);
  });

  it('returns nothing for empty or comment-only input', () => {
    expect(parseProperties('')).toEqual([]);
    expect(parseProperties('\n\n# only\n  ! comments\n')).toEqual([]);
  });
});
