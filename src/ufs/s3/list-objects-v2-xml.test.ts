/**
 * tierfs's own ListObjectsV2 parser against the AWS SDK's on the same answers: a loopback HTTP
 * server sends canned XML, the SDK's ListObjectsV2Command parses it one way and the parser (alone,
 * and inside S3ObjectClient.listObjects) the other.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListObjectsV2Command, type ListObjectsV2CommandOutput, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseListObjectsV2 } from './list-objects-v2-xml.js';
import { S3ObjectClient } from './s3-object-client.js';

let server: Server;
let answer = '';
let status = 200;
let sdk: S3Client;
let client: S3ObjectClient;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/xml' });
    res.end(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  sdk = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' },
  });
  client = new S3ObjectClient({
    client: sdk,
    bucket: 'b',
    serverSideEncryption: false,
    listObjectsV1: false,
  });
});

afterAll(async () => {
  sdk.destroy();
  await new Promise((resolve) => server.close(resolve));
});

/** The SDK's own parse of an answer, in the form S3ObjectClient returns a page. */
async function sdkPage(xml: string) {
  answer = xml;
  const page: ListObjectsV2CommandOutput = await sdk.send(new ListObjectsV2Command({ Bucket: 'b' }));
  return {
    objects: (page.Contents ?? []).map((o) => ({
      key: o.Key ?? '',
      size: o.Size ?? 0,
      mtimeMs: o.LastModified?.getTime() ?? 0,
      etag: o.ETag?.replace(/"/g, '') || undefined,
    })),
    prefixes: (page.CommonPrefixes ?? []).flatMap((p) => (p.Prefix ? [p.Prefix] : [])),
    nextToken: page.IsTruncated ? page.NextContinuationToken : undefined,
  };
}

async function ownPage(xml: string) {
  answer = xml;
  return client.listObjects({ prefix: '', maxKeys: 1000 });
}

function parsedPage(xml: string) {
  const parsed = parseListObjectsV2(xml);
  if (!parsed) return undefined;
  return {
    objects: parsed.objects,
    prefixes: parsed.prefixes,
    nextToken: parsed.truncated ? parsed.nextToken : undefined,
  };
}

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

function contents(key: string, i: number): string {
  return `<Contents><Key>${key}</Key><LastModified>2026-12-0${1 + (i % 9)}T10:${String(i % 60).padStart(2, '0')}:07.${String(i % 1000).padStart(3, '0')}Z</LastModified><ETag>&quot;${i.toString(16).padStart(32, '0')}&quot;</ETag><ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><Size>${i * 37}</Size><Owner><ID>owner-id</ID><DisplayName>someone</DisplayName></Owner><StorageClass>STANDARD</StorageClass></Contents>`;
}

const ANSWERS: Record<string, string> = {
  'a full page of 1,000 keys, prefixes, truncated': `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="${NS}"><Name>b</Name><Prefix>data/list/</Prefix><KeyCount>1002</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>${Array.from(
    { length: 1000 },
    (_, i) => contents(`data/list/o-${String(i).padStart(6, '0')}.bin`, i),
  ).join(
    '',
  )}<CommonPrefixes><Prefix>data/list/sub/</Prefix></CommonPrefixes><CommonPrefixes><Prefix>data/list/z/</Prefix></CommonPrefixes><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=+</NextContinuationToken></ListBucketResult>`,
  'entities, numeric references and non-ASCII names': `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="${NS}"><Name>b</Name><Prefix></Prefix><IsTruncated>false</IsTruncated>${[
    'a &amp; b',
    '&lt;tag&gt;',
    'quote &quot;x&quot; &apos;y&apos;',
    'num &#38; &#x4E2D;&#25991;',
    'été/日本語.txt',
    'semi;colon &amp;amp;',
  ]
    .map(contents)
    .join('')}<CommonPrefixes><Prefix>p &amp; q/</Prefix></CommonPrefixes></ListBucketResult>`,
  'pretty-printed, prefixed elements, a comment, empty elements': `<?xml version="1.0" encoding="UTF-8"?>
<!-- an answer -->
<ListBucketResult xmlns="${NS}">
  <Name>b</Name>
  <Prefix/>
  <KeyCount>2</KeyCount>
  <IsTruncated>false</IsTruncated>
  <Contents>
    <Key>first.txt</Key>
    <LastModified>2026-12-07T10:00:00.000Z</LastModified>
    <ETag>"0123456789abcdef0123456789abcdef-3"</ETag>
    <Size>0</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents>
    <Key>second.txt</Key>
    <LastModified>2026-12-07T10:00:01Z</LastModified>
    <Size>12</Size>
  </Contents>
  <CommonPrefixes>
    <Prefix>dir/</Prefix>
  </CommonPrefixes>
</ListBucketResult>`,
  'an empty listing': `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="${NS}"><Name>b</Name><Prefix>none/</Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`,
};

describe('parseListObjectsV2', () => {
  for (const [name, xml] of Object.entries(ANSWERS)) {
    it(`gives what the SDK gives: ${name}`, async () => {
      const expected = await sdkPage(xml);
      expect(parsedPage(xml)).toEqual(expected);
      expect(await ownPage(xml)).toEqual(expected);
    });
  }

  it('decodes the names of an answer sent with encoding-type=url (the SDK leaves them encoded)', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="${NS}"><Name>b</Name><Prefix>d%2F</Prefix><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>${contents('d/a+b%20c%26%E4%B8%AD%01.txt', 1)}<CommonPrefixes><Prefix>d/sub%3Fdir/</Prefix></CommonPrefixes></ListBucketResult>`;
    const page = await ownPage(xml);
    expect(page.objects.map((o) => o.key)).toEqual(['d/a b c&中\u0001.txt']);
    expect((await sdkPage(xml)).objects.map((o) => o.key)).toEqual(['d/a+b%20c%26%E4%B8%AD%01.txt']);
    expect(page.prefixes).toEqual(['d/sub?dir/']);
    expect(page.objects[0]).toMatchObject({ size: 37, etag: '1'.padStart(32, '0') });
  });

  it('leaves an encoding-type=url answer with a name that is no percent-encoding to the SDK', async () => {
    const xml = `<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>${contents('bad%E4%B8', 1)}</ListBucketResult>`;
    expect(parseListObjectsV2(xml)).toBe(undefined);
    expect((await sdkPage(xml)).objects.map((o) => o.key)).toEqual(['bad%E4%B8']);
  });

  it('decodes a reference beyond U+FFFF to its character (the SDK keeps its low 16 bits only)', () => {
    const xml = `<ListBucketResult><IsTruncated>false</IsTruncated>${contents('smile &#x1F600; &#128512;', 2)}</ListBucketResult>`;
    expect(parsedPage(xml)?.objects.map((o) => o.key)).toEqual(['smile \u{1F600} \u{1F600}']);
  });

  it('leaves an error document, another root or malformed XML to the SDK', async () => {
    expect(
      parseListObjectsV2(
        '<?xml version="1.0"?><Error><Code>InternalError</Code><Message>x</Message></Error>',
      ),
    ).toBe(undefined);
    expect(parseListObjectsV2('<ListAllMyBucketsResult></ListAllMyBucketsResult>')).toBe(undefined);
    expect(parseListObjectsV2('<ListBucketResult><Contents><Key>a</Key></ListBucketResult>')).toBe(undefined);
    expect(
      parseListObjectsV2('<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>'),
    ).toBe(undefined);
    // An S3 error sent with status 200 is still the SDK's error.
    answer =
      '<?xml version="1.0"?><Error><Code>InternalError</Code><Message>We encountered an internal error</Message></Error>';
    await expect(client.listObjects({ prefix: '', maxKeys: 1000 })).rejects.toThrow(/internal error/i);
    status = 503;
    answer =
      '<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate</Message></Error>';
    try {
      await expect(client.listObjects({ prefix: '', maxKeys: 1000 })).rejects.toThrow(
        /reduce your request rate|SlowDown/,
      );
    } finally {
      status = 200;
    }
  });
});
