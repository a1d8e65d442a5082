/**
 * Flexible checksums (x-amz-checksum-*) on the S3 gateway's writes, with the official SDK
 * computing them (requestChecksumCalculation WHEN_SUPPORTED): PUTs and parts with a checksum
 * header (buffer bodies) or an aws-chunked trailer (stream bodies) are stored and the checksum is
 * echoed; a byte flipped on the way (a proxy) is refused with BadDigest and nothing is stored; a
 * raw request with a wrong, malformed or doubled checksum header is refused as S3 refuses it.
 */

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';
import {
  type ChecksumAlgorithm,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newChecksum } from '../../src/gateway/s3/checksums.js';
import { type ByteFlipProxy, startByteFlipProxy } from '../support/byte-flip-proxy.js';
import { withS3Gateway } from './fixture.js';
import { ACCESS_KEY, findClient, SECRET_KEY, s3Client, s3Refusal } from './harness.js';

const execFileAsync = promisify(execFile);

const BUCKET = 'sums';
const gw = withS3Gateway({
  buckets: [BUCKET],
  config: { 'tierfs.proxy.s3.complete.multipart.upload.min.part.size': '4' },
});
let proxy: ByteFlipProxy;
/** The SDK computing checksums as it does by default, straight to the gateway. */
let direct: S3Client;
/** The same, through the byte-flipping proxy. */
let proxied: S3Client;

beforeAll(async () => {
  proxy = await startByteFlipProxy(gw.endpoint);
  direct = gw.newClient(undefined, { requestChecksumCalculation: 'WHEN_SUPPORTED' });
  proxied = s3Client(
    { endpoint: proxy.endpoint },
    {
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
      requestChecksumCalculation: 'WHEN_SUPPORTED',
    },
  );
});
afterAll(async () => {
  proxied.destroy();
  await proxy.close();
});
beforeEach(() => proxy.reset());

const data = Buffer.alloc(64 * 1024, 0);
for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff;

function crc32Base64(bytes: Buffer): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(bytes));
  return out.toString('base64');
}

/** S3's composite checksum of parts: the algorithm over the parts' digests, then -N. */
function composite(algorithm: ChecksumAlgorithm, parts: string[]): string {
  const digests = Buffer.concat(parts.map((p) => Buffer.from(p, 'base64')));
  let sum: Buffer;
  if (algorithm === 'CRC32') {
    sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc32(digests));
  } else if (algorithm === 'SHA256' || algorithm === 'SHA1') {
    sum = createHash(algorithm.toLowerCase()).update(digests).digest();
  } else {
    // CRC-32C: the gateway's own (the SDK checked each part's value against its own on upload).
    const crc = newChecksum('crc32c');
    crc.update(digests);
    sum = crc.digest();
  }
  return `${sum.toString('base64')}-${parts.length}`;
}

/** A body the SDK cannot hash up front, so it sends the checksum as an aws-chunked trailer. */
function stream(bytes: Buffer): Readable {
  return Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]);
}

const ALGORITHMS: ChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'SHA256', 'CRC64NVME'];
type Echo = Partial<Record<`Checksum${ChecksumAlgorithm}`, string>>;

async function headStatus(key: string): Promise<number | undefined> {
  try {
    await direct.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    return 200;
  } catch (error) {
    return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  }
}

/** Every file under a directory (paths relative to it). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

async function body(key: string): Promise<Buffer> {
  const got = await direct.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await got.Body!.transformToByteArray());
}

describe('the SDK computing checksums (WHEN_SUPPORTED)', () => {
  for (const algorithm of ALGORITHMS) {
    for (const form of ['header', 'trailer'] as const) {
      it(`stores a PUT with ${algorithm} as a ${form} and echoes the checksum`, async () => {
        const key = `put-${algorithm}-${form}`;
        proxy.reset();
        const answer = (await proxied.send(
          new PutObjectCommand({
            Bucket: BUCKET,
            Key: key,
            Body: form === 'header' ? data : stream(data),
            ContentLength: data.length,
            ChecksumAlgorithm: algorithm,
          }),
        )) as Echo;
        const sent = proxy.puts[0]!.headers;
        if (form === 'trailer')
          expect(sent['x-amz-trailer']).toBe(`x-amz-checksum-${algorithm.toLowerCase()}`);
        else expect(sent[`x-amz-checksum-${algorithm.toLowerCase()}`]).toBeDefined();
        const echoed = answer[`Checksum${algorithm}`];
        if (algorithm === 'CRC32') expect(echoed).toBe(crc32Base64(data));
        if (algorithm === 'SHA256') expect(echoed).toBe(createHash('sha256').update(data).digest('base64'));
        if (form === 'header') expect(echoed).toBe(sent[`x-amz-checksum-${algorithm.toLowerCase()}`]);
        expect(echoed).toMatch(/^[A-Za-z0-9+/]+=*$/);
        expect((await body(key)).equals(data)).toBe(true);
      });
    }
  }

  it('stores multipart parts with each algorithm as a trailer and echoes the checksum', async () => {
    for (const algorithm of ALGORITHMS) {
      const key = `mpu-${algorithm}`;
      const { UploadId } = await direct.send(
        new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ChecksumAlgorithm: algorithm }),
      );
      const part = (await proxied.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId,
          PartNumber: 1,
          Body: stream(data),
          ContentLength: data.length,
          ChecksumAlgorithm: algorithm,
        }),
      )) as Echo & { ETag?: string };
      expect(proxy.puts.at(-1)!.headers['x-amz-trailer']).toBe(`x-amz-checksum-${algorithm.toLowerCase()}`);
      expect(part[`Checksum${algorithm}`]).toMatch(/^[A-Za-z0-9+/]+=*$/);
      if (algorithm === 'CRC32') expect(part.ChecksumCRC32).toBe(crc32Base64(data));
      const field = `Checksum${algorithm}` as const;
      const done = (await direct.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag, [field]: part[field] }] },
        }),
      )) as Echo & { ChecksumType?: string };
      expect(done.ChecksumType).toBe(algorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE');
      expect(done[field]).toBe(
        algorithm === 'CRC64NVME' ? part[field] : composite(algorithm, [part[field]!]),
      );
      expect((await body(key)).equals(data)).toBe(true);
    }
  });
});

describe('a byte changed on the way', () => {
  for (const algorithm of ALGORITHMS) {
    it(`a PUT with a ${algorithm} trailer is refused with BadDigest and nothing is stored`, async () => {
      const key = `flipped-${algorithm}`;
      proxy.corrupt = (path) => path.includes(key);
      const refusal = await s3Refusal(
        proxied.send(
          new PutObjectCommand({
            Bucket: BUCKET,
            Key: key,
            Body: stream(data),
            ContentLength: data.length,
            ChecksumAlgorithm: algorithm,
          }),
        ),
      );
      expect(refusal).toMatchObject({
        code: 'BadDigest',
        status: 400,
        message: `The ${algorithm} you specified did not match the calculated checksum.`,
      });
      expect(await headStatus(key)).toBe(404);
      expect((await filesUnder(gw.root)).filter((f) => f.includes('flipped'))).toEqual([]);
    });
  }

  it('an UploadPart with a CRC32 trailer is refused with BadDigest and no part is kept', async () => {
    const key = 'flipped-part';
    const { UploadId } = await direct.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    proxy.corrupt = (path) => path.includes('partNumber=1');
    const refusal = await s3Refusal(
      proxied.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId,
          PartNumber: 1,
          Body: stream(data),
          ContentLength: data.length,
          ChecksumAlgorithm: 'CRC32',
        }),
      ),
    );
    expect(refusal).toMatchObject({ code: 'BadDigest', status: 400 });
    const listed = await direct.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId }));
    expect(listed.Parts ?? []).toEqual([]);
    const staged = await filesUnder(join(gw.stateDir, 'multipart'));
    expect(staged.filter((f) => f.includes(UploadId!))).toEqual([]);
  });
});

describe('checksum headers on a raw request (as curl sends them)', () => {
  /** A presigned PUT (UNSIGNED-PAYLOAD) sent by fetch with the given extra headers. */
  async function rawPut(
    key: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; text: string }> {
    const url = await getSignedUrl(direct, new PutObjectCommand({ Bucket: BUCKET, Key: key }), {
      expiresIn: 60,
    });
    const res = await fetch(url, { method: 'PUT', body: data, headers });
    return { status: res.status, text: await res.text() };
  }

  it('stores the body when the header matches and echoes it', async () => {
    const url = await getSignedUrl(direct, new PutObjectCommand({ Bucket: BUCKET, Key: 'raw-ok' }));
    const res = await fetch(url, {
      method: 'PUT',
      body: data,
      headers: { 'x-amz-checksum-crc32': crc32Base64(data) },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-amz-checksum-crc32')).toBe(crc32Base64(data));
    expect((await body('raw-ok')).equals(data)).toBe(true);
  });

  it('refuses a wrong CRC32 with BadDigest and stores nothing', async () => {
    const wrong = crc32Base64(Buffer.from('something else'));
    const answer = await rawPut('raw-wrong', { 'x-amz-checksum-crc32': wrong });
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('<Code>BadDigest</Code>');
    expect(answer.text).toContain('The CRC32 you specified did not match the calculated checksum.');
    expect(await headStatus('raw-wrong')).toBe(404);
  });

  it('refuses a wrong SHA1 with BadDigest', async () => {
    const wrong = createHash('sha1').update('other').digest('base64');
    const answer = await rawPut('raw-sha1', { 'x-amz-checksum-sha1': wrong });
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('The SHA1 you specified did not match the calculated checksum.');
    expect(await headStatus('raw-sha1')).toBe(404);
  });

  it('refuses a malformed value with InvalidRequest naming the header', async () => {
    const answer = await rawPut('raw-malformed', { 'x-amz-checksum-crc32': 'not-a-crc' });
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('<Code>InvalidRequest</Code>');
    expect(answer.text).toContain('Value for x-amz-checksum-crc32 header is invalid.');
    expect(await headStatus('raw-malformed')).toBe(404);
  });

  it('refuses two algorithms with InvalidRequest', async () => {
    const answer = await rawPut('raw-two', {
      'x-amz-checksum-crc32': crc32Base64(data),
      'x-amz-checksum-sha256': createHash('sha256').update(data).digest('base64'),
    });
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('Multiple checksum Types are not allowed.');
    expect(await headStatus('raw-two')).toBe(404);
  });

  it('refuses an x-amz-sdk-checksum-algorithm naming another algorithm than the header', async () => {
    const answer = await rawPut('raw-sdk', {
      'x-amz-checksum-crc32': crc32Base64(data),
      'x-amz-sdk-checksum-algorithm': 'SHA256',
    });
    expect(answer.status).toBe(400);
    expect(answer.text).toContain('Value for x-amz-sdk-checksum-algorithm header is invalid.');
  });
});

const python = findClient('python3');

describe.skipIf(!python)('boto3 (ChecksumAlgorithm; the default since 1.36)', () => {
  it('stores put_object and upload_fileobj (multipart) with CRC32, refuses a wrong one', async () => {
    const script = `
import boto3, io, json, sys
from botocore.config import Config
from boto3.s3.transfer import TransferConfig
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1',
    aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3],
    config=Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
data = bytes((i * 31 + 7) % 256 for i in range(6 * 1024 * 1024))
out = {}
out['put'] = s3.put_object(Bucket='${BUCKET}', Key='boto-put', Body=data[:65536],
    ChecksumAlgorithm='CRC32').get('ChecksumCRC32')
s3.upload_fileobj(io.BytesIO(data), '${BUCKET}', 'boto-mpu',
    ExtraArgs={'ChecksumAlgorithm': 'CRC32'},
    Config=TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024))
out['mpu'] = s3.head_object(Bucket='${BUCKET}', Key='boto-mpu')['ContentLength']
try:
    s3.put_object(Bucket='${BUCKET}', Key='boto-wrong', Body=data[:65536], ChecksumCRC32='AAAAAA==')
    out['wrong'] = 'stored'
except s3.exceptions.ClientError as e:
    out['wrong'] = e.response['Error']['Code']
print(json.dumps(out))
`;
    const { stdout } = await execFileAsync(python!, ['-c', script, gw.endpoint, ACCESS_KEY, SECRET_KEY]);
    const out = JSON.parse(stdout) as { put: string; mpu: number; wrong: string };
    expect(out).toEqual({ put: crc32Base64(data), mpu: 6 * 1024 * 1024, wrong: 'BadDigest' });
    expect(await headStatus('boto-wrong')).toBe(404);
  });
});

describe('checksums kept with objects (ChecksumMode ENABLED)', () => {
  /** The stored file of a key, one byte changed behind the gateway; its mtime kept, as bit rot keeps it. */
  async function rot(key: string): Promise<void> {
    const file = join(gw.root, BUCKET, key);
    const before = await stat(file);
    // `touch -r` keeps the times to the nanosecond (utimes' float seconds can move the µs the fingerprint holds).
    const times = join(tmpdir(), `tierfs-rot-${process.pid}-${key.replace(/\W/g, '_')}`);
    await execFileAsync('touch', ['-r', file, times]);
    const handle = await open(file, 'r+');
    try {
      const byte = Buffer.alloc(1);
      await handle.read(byte, 0, 1, 100);
      byte[0] = byte[0]! ^ 0xff;
      await handle.write(byte, 0, 1, 100);
    } finally {
      await handle.close();
    }
    await execFileAsync('touch', ['-r', times, file]);
    await rm(times);
    const after = await stat(file);
    // The same file, size and mtime: the gateway's record of it (and its checksum) still applies.
    expect([after.ino, after.size, Math.trunc(after.mtimeMs * 1000)]).toEqual([
      before.ino,
      before.size,
      Math.trunc(before.mtimeMs * 1000),
    ]);
  }

  async function getWithChecksum(
    key: string,
  ): Promise<{ echo: Echo & { ChecksumType?: string }; bytes: Buffer }> {
    const got = await direct.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED' }),
    );
    return {
      echo: got as Echo & { ChecksumType?: string },
      bytes: Buffer.from(await got.Body!.transformToByteArray()),
    };
  }

  it('a single PUT keeps its checksum; GET and HEAD answer it, and the SDK catches rotten bytes', async () => {
    const key = 'kept-put';
    await direct.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: data, ChecksumAlgorithm: 'CRC32' }),
    );
    const head = await direct.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED' }),
    );
    expect(head).toMatchObject({ ChecksumCRC32: crc32Base64(data), ChecksumType: 'FULL_OBJECT' });
    const got = await getWithChecksum(key);
    expect(got.echo).toMatchObject({ ChecksumCRC32: crc32Base64(data), ChecksumType: 'FULL_OBJECT' });
    expect(got.bytes.equals(data)).toBe(true);
    const attributes = await direct.send(
      new GetObjectAttributesCommand({ Bucket: BUCKET, Key: key, ObjectAttributes: ['Checksum', 'ETag'] }),
    );
    expect(attributes.Checksum).toEqual({ ChecksumCRC32: crc32Base64(data), ChecksumType: 'FULL_OBJECT' });
    // Without ChecksumMode no checksum is sent, as in S3; a range never has one.
    expect(
      (await direct.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).ChecksumCRC32,
    ).toBeUndefined();
    const ranged = await direct.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: 'bytes=0-9', ChecksumMode: 'ENABLED' }),
    );
    expect(ranged.ChecksumCRC32).toBeUndefined();
    await ranged.Body!.transformToByteArray();
    await rot(key);
    await expect(getWithChecksum(key)).rejects.toThrow(/Checksum mismatch/);
  });

  it('a multipart upload keeps a COMPOSITE checksum (-N) of its parts', async () => {
    const key = 'kept-composite';
    const halves = [data.subarray(0, 40_000), data.subarray(40_000)];
    const { UploadId, ChecksumAlgorithm, ChecksumType } = await direct.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ChecksumAlgorithm: 'CRC32' }),
    );
    expect({ ChecksumAlgorithm, ChecksumType }).toEqual({
      ChecksumAlgorithm: 'CRC32',
      ChecksumType: 'COMPOSITE',
    });
    const parts = [];
    for (const [index, half] of halves.entries()) {
      const out = await direct.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId,
          PartNumber: index + 1,
          Body: half,
          ChecksumAlgorithm: 'CRC32',
        }),
      );
      expect(out.ChecksumCRC32).toBe(crc32Base64(half));
      parts.push({ PartNumber: index + 1, ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32 });
    }
    const listed = await direct.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId }));
    expect(listed.Parts?.map((p) => p.ChecksumCRC32)).toEqual(halves.map(crc32Base64));
    const expected = composite('CRC32', halves.map(crc32Base64));
    const done = await direct.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    expect(done).toMatchObject({ ChecksumCRC32: expected, ChecksumType: 'COMPOSITE' });
    const got = await getWithChecksum(key);
    expect(got.echo).toMatchObject({ ChecksumCRC32: expected, ChecksumType: 'COMPOSITE' });
    expect(got.bytes.equals(data)).toBe(true);
  });

  it('a FULL_OBJECT (CRC64NVME) multipart upload keeps the whole object’s CRC; the SDK catches rotten bytes', async () => {
    const whole = (await direct.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'crc64-reference',
        Body: data,
        ChecksumAlgorithm: 'CRC64NVME',
      }),
    )) as Echo;
    const key = 'kept-full';
    const { UploadId } = await direct.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ChecksumAlgorithm: 'CRC64NVME' }),
    );
    const parts = [];
    for (const [index, half] of [data.subarray(0, 30_000), data.subarray(30_000)].entries()) {
      const out = await direct.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId,
          PartNumber: index + 1,
          Body: half,
          ChecksumAlgorithm: 'CRC64NVME',
        }),
      );
      parts.push({ PartNumber: index + 1, ETag: out.ETag });
    }
    const done = await direct.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: parts },
        ChecksumCRC64NVME: whole.ChecksumCRC64NVME,
        ChecksumType: 'FULL_OBJECT',
      }),
    );
    expect(done).toMatchObject({ ChecksumCRC64NVME: whole.ChecksumCRC64NVME, ChecksumType: 'FULL_OBJECT' });
    const got = await getWithChecksum(key);
    expect(got.echo).toMatchObject({
      ChecksumCRC64NVME: whole.ChecksumCRC64NVME,
      ChecksumType: 'FULL_OBJECT',
    });
    expect(got.bytes.equals(data)).toBe(true);
    await rot(key);
    await expect(getWithChecksum(key)).rejects.toThrow(/Checksum mismatch/);
  });

  it('Complete refuses a part checksum that is not the part’s (InvalidPart), a missing one, and a wrong whole-object one', async () => {
    const start = async (key: string, algorithm: ChecksumAlgorithm) => {
      const { UploadId } = await direct.send(
        new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ChecksumAlgorithm: algorithm }),
      );
      const out = (await direct.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId,
          PartNumber: 1,
          Body: data,
          ChecksumAlgorithm: algorithm,
        }),
      )) as Echo & { ETag?: string };
      return { UploadId, out };
    };
    const wrong = await start('complete-wrong', 'CRC32');
    const named = await s3Refusal(
      direct.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: 'complete-wrong',
          UploadId: wrong.UploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: wrong.out.ETag, ChecksumCRC32: crc32Base64(Buffer.from('other')) },
            ],
          },
        }),
      ),
    );
    expect(named).toMatchObject({ code: 'InvalidPart', status: 400 });
    expect(named.message).toContain('ChecksumCRC32 is not that of the part uploaded');
    const missing = await s3Refusal(
      direct.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: 'complete-wrong',
          UploadId: wrong.UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: wrong.out.ETag }] },
        }),
      ),
    );
    expect(missing).toMatchObject({ code: 'InvalidRequest', status: 400 });
    expect(missing.message).toContain('It was missing for part 1 in the request.');
    expect(await headStatus('complete-wrong')).toBe(404);

    const full = await start('complete-full', 'CRC64NVME');
    const other = (await direct.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'crc64-other',
        Body: Buffer.from('other'),
        ChecksumAlgorithm: 'CRC64NVME',
      }),
    )) as Echo;
    const whole = await s3Refusal(
      direct.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: 'complete-full',
          UploadId: full.UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: full.out.ETag }] },
          ChecksumCRC64NVME: other.ChecksumCRC64NVME,
        }),
      ),
    );
    expect(whole).toMatchObject({ code: 'BadDigest', status: 400 });
    expect(await headStatus('complete-full')).toBe(404);
    expect((await filesUnder(gw.root)).filter((f) => f.includes('complete-'))).toEqual([]);
  });
});
