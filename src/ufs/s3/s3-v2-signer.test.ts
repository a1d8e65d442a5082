import type { HttpRequest } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { S3V2Signer } from './s3-v2-signer.js';

function request(fields: Partial<HttpRequest>): HttpRequest {
  return { method: 'GET', protocol: 'https:', hostname: 'h', path: '/', query: {}, headers: {}, ...fields };
}

describe('S3 v2 signer', () => {
  it('builds the StringToSign of the S3 developer guide (x-amz-date form)', () => {
    const signer = new S3V2Signer({ bucket: 'johnsmith', pathStyle: false });
    const headers = { 'x-amz-date': 'Tue, 27 Mar 2007 21:20:26 +0000', 'User-Agent': 'dotnet' };
    expect(signer.stringToSign(request({ method: 'DELETE', path: '/photos/puppy.jpg' }), headers)).toBe(
      'DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n/johnsmith/photos/puppy.jpg',
    );
  });

  it('signs sub-resources, content type and md5, not other query parameters', () => {
    const signer = new S3V2Signer({ bucket: 'b', pathStyle: true });
    const text = signer.stringToSign(
      request({
        method: 'PUT',
        path: '/b/dir/a%20b.txt',
        query: { partNumber: '2', uploadId: 'xyz', 'x-id': 'UploadPart' },
      }),
      {
        'content-type': 'text/plain',
        'Content-MD5': 'md5==',
        'x-amz-meta-b': 'two  spaces',
        'x-amz-date': 'D',
      },
    );
    expect(text).toBe(
      'PUT\nmd5==\ntext/plain\n\nx-amz-date:D\nx-amz-meta-b:two spaces\n/b/dir/a%20b.txt?partNumber=2&uploadId=xyz',
    );
  });

  it('puts `AWS id:signature` in the authorization header and drops SigV4 headers', async () => {
    const signer = new S3V2Signer({ bucket: 'b', pathStyle: true, now: () => new Date(0) });
    const signed = await signer.sign(
      request({ path: '/b/', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', host: 'h' } }),
      { accessKeyId: 'AKID', secretAccessKey: 'secret' },
    );
    expect(signed.path).toBe('/b');
    expect(signed.headers['x-amz-content-sha256']).toBeUndefined();
    expect(signed.headers['x-amz-date']).toBe('Thu, 01 Jan 1970 00:00:00 GMT');
    expect(signed.headers.authorization).toMatch(/^AWS AKID:[A-Za-z0-9+/]{27}=$/);
  });
});
