import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parseV4Authorization, v4CanonicalRequest, v4Signature, v4StringToSign } from './signature-v4.js';

interface AliSignUtils {
  authorizationV4(
    ak: string,
    secret: string,
    region: string,
    method: string,
    request: { headers: Record<string, string>; queries: Record<string, string | null> },
    bucket: string,
    object: string,
    additionalHeaders?: string[],
  ): string;
}
const signUtils = createRequire(import.meta.url)('ali-oss/lib/common/signUtils.js') as AliSignUtils;

describe('OSS signature V4', () => {
  it('matches what ali-oss signs, including additional headers and sub-resources', () => {
    const headers = {
      'x-oss-date': '20240101T000000Z',
      'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
      'content-type': 'text/plain',
      host: 'b.example.com',
    };
    const header = signUtils.authorizationV4(
      'AK',
      'SECRET',
      'cn-hangzhou',
      'PUT',
      { headers, queries: { partNumber: '1', uploadId: 'U', uploads: null } },
      'b',
      'dir/a b+c.txt',
      ['host'],
    );
    const parsed = parseV4Authorization(header)!;
    expect(parsed).toMatchObject({
      accessKeyId: 'AK',
      date: '20240101',
      region: 'cn-hangzhou',
      additionalHeaders: ['host'],
    });
    const canonical = v4CanonicalRequest({
      method: 'PUT',
      bucket: 'b',
      key: 'dir/a b+c.txt',
      query: [
        ['uploads', ''],
        ['uploadId', 'U'],
        ['partNumber', '1'],
      ],
      headers,
      additionalHeaders: parsed.additionalHeaders,
    });
    const scope = { date: '20240101', region: 'cn-hangzhou', product: 'oss' };
    expect(v4Signature('SECRET', scope, v4StringToSign('20240101T000000Z', scope, canonical))).toBe(
      parsed.signature,
    );
  });
});
