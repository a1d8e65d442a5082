import { describe, expect, it } from 'vitest';
import { canonicalizedResource, v1Signature, v1StringToSign } from './signature-v1.js';

describe('OSS signature V1', () => {
  it('verifies the documented test vector', () => {
    const stringToSign = v1StringToSign({
      method: 'PUT',
      contentMd5: 'ODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=',
      contentType: 'text/html',
      date: 'Thu, 17 Nov 2005 18:49:58 GMT',
      headers: { 'x-oss-meta-author': 'foo@bar.com', 'x-oss-magic': 'abracadabra', host: 'ignored' },
      bucket: 'oss-example',
      key: 'nelson',
      query: [],
    });
    expect(stringToSign).toBe(
      'PUT\nODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=\ntext/html\nThu, 17 Nov 2005 18:49:58 GMT\nx-oss-magic:abracadabra\nx-oss-meta-author:foo@bar.com\n/oss-example/nelson',
    );
    expect(v1Signature('OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV', stringToSign)).toBe(
      '26NBxoKdsyly4EDv6inkoDft/yA=',
    );
  });

  it('signs only sub-resources, sorted, bare when empty', () => {
    expect(
      canonicalizedResource('b', 'k', [
        ['uploadId', 'X'],
        ['prefix', 'p'],
        ['partNumber', '1'],
        ['acl', ''],
      ]),
    ).toBe('/b/k?acl&partNumber=1&uploadId=X');
    expect(canonicalizedResource(undefined, '', [])).toBe('/');
  });
});
