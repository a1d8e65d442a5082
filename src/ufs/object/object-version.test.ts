import { describe, expect, it } from 'vitest';
import { isTierfsError } from '../../errors.js';
import { checkAnsweredEtag, isVersion, objectFingerprint, parseObjectVersion } from './object-version.js';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return isTierfsError(error) ? error.code : String(error);
  }
  return undefined;
}

describe('object versions', () => {
  const info = {
    key: 'k',
    size: 1000,
    mtimeMs: 1_700_000_000_999,
    etag: '9b2cf535f27731c974343645a3985328-3',
  };

  it('parses a fingerprint back into etag and size, a multipart etag with its dash included', () => {
    const fingerprint = objectFingerprint(info);
    expect(fingerprint).toBe('9b2cf535f27731c974343645a3985328-3-1000-1700000000');
    expect(parseObjectVersion(fingerprint)).toEqual({
      etag: '9b2cf535f27731c974343645a3985328-3',
      size: 1000,
      fingerprint,
    });
    expect(isVersion(info, parseObjectVersion(fingerprint))).toBe(true);
  });

  it('another etag or size is another version; without an etag the whole fingerprint must match', () => {
    const version = parseObjectVersion(objectFingerprint(info));
    expect(isVersion({ ...info, etag: 'other' }, version)).toBe(false);
    expect(isVersion({ ...info, size: 999 }, version)).toBe(false);
    // A later mtime alone does not change the bytes the etag names.
    expect(isVersion({ ...info, mtimeMs: info.mtimeMs + 5000 }, version)).toBe(true);
    const bare = { key: 'k', size: 10, mtimeMs: 5000 };
    expect(parseObjectVersion('-10-5').etag).toBeUndefined();
    expect(isVersion(bare, parseObjectVersion('-10-5'))).toBe(true);
    expect(isVersion({ ...bare, mtimeMs: 7000 }, parseObjectVersion('-10-5'))).toBe(false);
  });

  it('a malformed version is INVALID_ARGUMENT', () => {
    for (const bad of ['directory', 'abc', 'etag-10', 'etag-x-5']) {
      expect(
        codeOf(() => parseObjectVersion(bad)),
        bad,
      ).toBe('INVALID_ARGUMENT');
    }
  });

  it('an answered ETag is compared without quotes or W/, and a missing one fails only when required', () => {
    expect(codeOf(() => checkAnsweredEtag('abc', '"abc"', false, 'x'))).toBeUndefined();
    expect(codeOf(() => checkAnsweredEtag('abc', 'W/"abc"', false, 'x'))).toBeUndefined();
    expect(codeOf(() => checkAnsweredEtag('abc', '"abd"', false, 'x'))).toBe('PRECONDITION_FAILED');
    expect(codeOf(() => checkAnsweredEtag('abc', undefined, false, 'x'))).toBeUndefined();
    expect(codeOf(() => checkAnsweredEtag('abc', undefined, true, 'x'))).toBe('UNSUPPORTED');
    expect(codeOf(() => checkAnsweredEtag(undefined, '"abd"', true, 'x'))).toBeUndefined();
  });
});
