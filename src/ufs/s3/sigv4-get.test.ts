import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { amzDates, EMPTY_SHA256, encodeS3Path, GetSigner, type SigningCredentials } from './sigv4-get.js';

/** node:crypto as the SDK's Checksum constructor. */
class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytesOf(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {}
}

function bytesOf(data: SourceData): string | Uint8Array {
  return typeof data === 'string' || data instanceof Uint8Array
    ? data
    : new Uint8Array(ArrayBuffer.isView(data) ? data.buffer : data);
}

/** What the AWS SDK's own signer puts in authorization for the same GET. */
async function sdkAuthorization(
  host: string,
  path: string,
  headers: Record<string, string>,
  credentials: SigningCredentials,
  region: string,
  nowMs: number,
): Promise<string> {
  const signer = new SignatureV4({
    service: 's3',
    region,
    credentials,
    sha256: NodeSha256,
    uriEscapePath: false,
    applyChecksum: true,
  });
  const [hostname, port] = host.split(':');
  const signed = await signer.sign(
    {
      method: 'GET',
      protocol: 'http:',
      hostname: hostname!,
      port: port === undefined ? undefined : Number(port),
      path,
      query: {},
      headers: { ...headers, host, 'x-amz-content-sha256': EMPTY_SHA256 },
    },
    { signingDate: new Date(nowMs) },
  );
  return signed.headers.authorization!;
}

describe('SigV4 for a GET, by hand', () => {
  const now = Date.UTC(2026, 11, 7, 9, 15, 30);

  it('signs as the SDK signs: path style, a range and If-Match, an odd key', async () => {
    const credentials = {
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    };
    const path = encodeS3Path("/bench/data/small/f 1+é(x)!*'~.bin");
    const headers = { range: 'bytes=0-4095', 'if-match': '"0123456789abcdef0123456789abcdef"' };
    const mine = new GetSigner('eu-west-3').sign('10.203.1.2:9800', path, headers, credentials, now);
    expect(mine.authorization).toBe(
      await sdkAuthorization('10.203.1.2:9800', path, headers, credentials, 'eu-west-3', now),
    );
    expect(mine['x-amz-date']).toBe('20261207T091530Z');
    expect(mine.host).toBe('10.203.1.2:9800');
  });

  it('signs a session token, and a virtual-hosted bucket without a port', async () => {
    const credentials = {
      accessKeyId: 'ASIA1',
      secretAccessKey: 'secret',
      sessionToken: 'token/with+chars=',
    };
    const signer = new GetSigner('us-east-1');
    const path = encodeS3Path('/dir/key.bin');
    const host = 'bucket.s3.us-east-1.amazonaws.com';
    const mine = signer.sign(host, path, { range: 'bytes=10-20' }, credentials, now);
    expect(mine['x-amz-security-token']).toBe('token/with+chars=');
    expect(mine.authorization).toBe(
      await sdkAuthorization(
        host,
        path,
        { range: 'bytes=10-20', 'x-amz-security-token': 'token/with+chars=' },
        credentials,
        'us-east-1',
        now,
      ),
    );
    // The signing key of one day is reused; a new day (or secret) gets its own.
    const tomorrow = now + 24 * 3600 * 1000;
    expect(signer.sign(host, path, {}, credentials, tomorrow).authorization).toBe(
      await sdkAuthorization(
        host,
        path,
        { 'x-amz-security-token': 'token/with+chars=' },
        credentials,
        'us-east-1',
        tomorrow,
      ),
    );
  });

  it('encodes a key once, every byte but unreserved characters and slashes', () => {
    expect(encodeS3Path("/b/a b/é+(1)!*'~-_.")).toBe('/b/a%20b/%C3%A9%2B%281%29%21%2A%27~-_.');
    expect(amzDates(now)).toEqual({ amzDate: '20261207T091530Z', day: '20261207' });
  });
});
