import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { AwsChunkedDecoder } from './chunked.js';
import { signingKey } from './sigv4.js';

// The example of AWS's "Signature Calculations for the Authorization Header: Transferring Payload in
// Multiple Chunks" documentation: 65 KiB of 'a' in a 64 KiB and a 1 KiB chunk.
const signing = {
  key: signingKey('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', {
    date: '20130524',
    region: 'us-east-1',
    service: 's3',
  }),
  amzDate: '20130524T000000Z',
  scope: '20130524/us-east-1/s3/aws4_request',
  seedSignature: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
};
const body = Buffer.concat([
  Buffer.from('10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n'),
  Buffer.alloc(65536, 'a'),
  Buffer.from('\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n'),
  Buffer.alloc(1024, 'a'),
  Buffer.from(
    '\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n',
  ),
]);

async function decode(
  input: Buffer,
  pieceSize: number,
  options: ConstructorParameters<typeof AwsChunkedDecoder>[0],
) {
  const pieces: Buffer[] = [];
  for (let i = 0; i < input.length; i += pieceSize) pieces.push(input.subarray(i, i + pieceSize));
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(pieces),
    new AwsChunkedDecoder(options),
    new Writable({
      write(chunk: Buffer, _e, cb) {
        out.push(chunk);
        cb();
      },
    }),
  );
  return Buffer.concat(out);
}

describe('AwsChunkedDecoder', () => {
  it('decodes and verifies the documented signed example however the bytes are split', async () => {
    for (const size of [body.length, 4096, 97, 1]) {
      const decoded = await decode(body, size, { signing, trailer: false });
      expect(decoded.equals(Buffer.alloc(66560, 'a'))).toBe(true);
    }
  });

  it('fails on a changed byte, a wrong signature and a missing final chunk', async () => {
    const changed = Buffer.from(body);
    changed[200] = 0x62;
    await expect(decode(changed, 1000, { signing, trailer: false })).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
    const wrong = Buffer.from(body.toString('latin1').replace('0055627c', '1055627c'), 'latin1');
    await expect(decode(wrong, 1000, { signing, trailer: false })).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
    });
    await expect(decode(body.subarray(0, 66000), 1000, { signing, trailer: false })).rejects.toMatchObject({
      code: 'IncompleteBody',
    });
  });

  it('decodes unsigned chunks with trailing checksum headers', async () => {
    const unsigned = Buffer.from('5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n');
    expect((await decode(unsigned, 3, { signing: undefined, trailer: true })).toString()).toBe('hello world');
  });
});
