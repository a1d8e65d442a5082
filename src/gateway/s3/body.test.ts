import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readSmallBody } from './body.js';

const UNSIGNED_TRAILER = { kind: 'chunked', signing: undefined, trailer: true } as const;

function request(raw: string, headers: Record<string, string>): IncomingMessage {
  return Object.assign(Readable.from([Buffer.from(raw)]), { headers }) as unknown as IncomingMessage;
}

function crc(text: string): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(Buffer.from(text)));
  return out.toString('base64');
}

async function outcome(raw: string, headers: Record<string, string>): Promise<string> {
  try {
    return (await readSmallBody(request(raw, headers), UNSIGNED_TRAILER)).toString();
  } catch (error) {
    return `${(error as { code: string }).code}: ${(error as Error).message}`;
  }
}

describe('an aws-chunked body with a checksum trailer', () => {
  const headers = { 'x-amz-trailer': 'x-amz-checksum-crc32', 'x-amz-decoded-content-length': '11' };
  const body = (trailer: string) => `5\r\nhello\r\n6\r\n world\r\n0\r\n${trailer}\r\n`;

  it('passes when the trailer matches the bytes', async () => {
    expect(await outcome(body(`x-amz-checksum-crc32:${crc('hello world')}\r\n`), headers)).toBe(
      'hello world',
    );
  });

  it('is BadDigest when it does not', async () => {
    expect(await outcome(body(`x-amz-checksum-crc32:${crc('hello World')}\r\n`), headers)).toBe(
      'BadDigest: The CRC32 you specified did not match the calculated checksum.',
    );
  });

  it('is InvalidRequest when the trailer value is malformed', async () => {
    expect(await outcome(body('x-amz-checksum-crc32:nope\r\n'), headers)).toBe(
      'InvalidRequest: Value for x-amz-checksum-crc32 trailing header is invalid.',
    );
  });

  it('is MalformedTrailerError when the declared trailer is not sent', async () => {
    expect(await outcome(body(''), headers)).toMatch(/^MalformedTrailerError: .*x-amz-checksum-crc32/);
  });
});
