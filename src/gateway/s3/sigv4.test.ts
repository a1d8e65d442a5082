import { describe, expect, it } from 'vitest';
import { S3Error } from './errors.js';
import { parseQuery } from './signed-request.js';
import { parseV4Header, uriEncode, verifyV4 } from './sigv4.js';

// AWS's documented "GET Object" example for Signature Version 4 with the Authorization header.
const request = {
  method: 'GET',
  rawPath: '/test.txt',
  query: parseQuery(''),
  headers: {
    host: 'examplebucket.s3.amazonaws.com',
    range: 'bytes=0-9',
    'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    'x-amz-date': '20130524T000000Z',
    authorization:
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
  },
};
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

describe('SigV4', () => {
  it('verifies the documented example', () => {
    const claims = parseV4Header(request);
    expect(claims).toMatchObject({
      accessKey: 'AKIAIOSFODNN7EXAMPLE',
      region: 'us-east-1',
      amzDate: '20130524T000000Z',
    });
    expect(verifyV4(request, claims, SECRET).seedSignature).toBe(
      'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('refuses a wrong secret and a changed signed header without revealing either', () => {
    const claims = parseV4Header(request);
    expect(() => verifyV4(request, claims, 'wrong')).toThrow(S3Error);
    const changed = { ...request, headers: { ...request.headers, range: 'bytes=0-10' } };
    try {
      verifyV4(changed, parseV4Header(changed), SECRET);
      expect.unreachable();
    } catch (error) {
      expect((error as S3Error).code).toBe('SignatureDoesNotMatch');
      expect((error as S3Error).message).not.toContain(SECRET);
    }
  });

  it('encodes as RFC 3986 wants', () => {
    expect(uriEncode("a b+c*!'()~_.-/")).toBe('a%20b%2Bc%2A%21%27%28%29~_.-%2F');
  });
});
