/**
 * Runs s3rver in its own process (see s3rver.ts). s3rver 3.7 makes ListObjectsV2 continuation
 * tokens with DES, which needs node's --openssl-legacy-provider; a child process keeps that flag
 * (and s3rver's memory) away from the tests. Prints `{"port":N}` once listening, stops when its
 * stdin closes.
 *
 * It also fixes s3rver's delimiter listings, which are wrong in two ways real S3 is not: keys two
 * or more levels below the prefix never show up as common prefixes, and maxKeys and the next
 * token ignore common prefixes. Without the fix the S3 store cannot be tested against it.
 *
 * And it answers three requests s3rver lacks, over s3rver's own on-disk layout, until the tierfs S3
 * gateway can stand in (test/support/complete-s3-server.ts): AbortMultipartUpload,
 * ListMultipartUploads (one page) and, when `acl` is given, GetBucketAcl. These skip signature
 * checks; everything else is s3rver's.
 *
 * argv[2]: JSON { directory, buckets: string[], keys: [accessKeyId, secret][],
 *                 acl?: { ownerId, displayName?, grants: [granteeId, permission][] } }
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createCipheriv, randomBytes } from 'node:crypto';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import S3rver from 's3rver';
import bucketController from 's3rver/lib/controllers/bucket.js';
import account from 's3rver/lib/models/account.js';
import FilesystemStore from 's3rver/lib/stores/filesystem.js';

const listing = new AsyncLocalStorage();
const listObjects = FilesystemStore.prototype.listObjects;

FilesystemStore.prototype.listObjects = async function (bucket, options) {
  const { delimiter = '', startAfter = '', prefix = '', maxKeys = 1000 } = options;
  const all = await listObjects.call(this, bucket, { prefix, maxKeys: Number.POSITIVE_INFINITY });
  const sorted = all.objects.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  const objects = [];
  const commonPrefixes = [];
  let count = 0;
  let last;
  let truncated = false;
  for (const object of sorted) {
    const key = object.key;
    if (Buffer.compare(Buffer.from(key), Buffer.from(startAfter)) <= 0) continue;
    const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const common = at === -1 ? undefined : key.slice(0, at + delimiter.length);
    if (common !== undefined && (common === last || startAfter.startsWith(common))) continue;
    if (count === maxKeys) {
      truncated = true;
      break;
    }
    count++;
    last = common ?? key;
    if (common === undefined) objects.push(object);
    else commonPrefixes.push(common);
  }
  const state = listing.getStore();
  if (state) Object.assign(state, { truncated, last });
  return { objects, commonPrefixes, isTruncated: false };
};

const getBucket = bucketController.getBucket;
bucketController.getBucket = async (ctx) => {
  const state = {};
  await listing.run(state, () => getBucket(ctx));
  const result = ctx.body?.ListBucketResult;
  if (!result || !state.truncated) return;
  result.IsTruncated = true;
  if (ctx.query['list-type'] === '2')
    result.NextContinuationToken = continuationToken(ctx.params.bucket, state.last);
  else result.NextMarker = state.last;
};

/** s3rver's own token format (its decipherContinuationToken reads it back). */
function continuationToken(bucket, keyName) {
  const key = Buffer.alloc(8, 'S3RVER', 'utf8');
  const iv = randomBytes(8);
  iv[0] = (iv[0] & 0b00000011) | 0b11010100;
  const cipher = createCipheriv('des', key, iv);
  return Buffer.concat([
    iv,
    cipher.update(`us-east-1/${bucket}/${keyName}`, 'utf8'),
    cipher.final(),
  ]).toString('base64');
}

const { directory, buckets, keys, acl } = JSON.parse(process.argv[2]);
for (const [id, secret] of keys) account.DUMMY_ACCOUNT.createKeyPair(id, secret);

const xmlEscape = (text) =>
  String(text).replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c],
  );

function reply(res, status, body) {
  res.writeHead(status, body ? { 'content-type': 'application/xml' } : {});
  res.end(body ? `<?xml version="1.0" encoding="UTF-8"?>\n${body}` : undefined);
}

/** Handles what s3rver lacks; returns false for everything else. */
async function shim(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const [, bucket = '', ...rest] = url.pathname.split('/');
  const uploads = join(directory, decodeURIComponent(bucket), '._S3rver_uploads');
  if (req.method === 'DELETE' && url.searchParams.has('uploadId')) {
    const dir = join(uploads, url.searchParams.get('uploadId').replace(/[/\\]/g, ''));
    const found = await stat(dir).then(
      () => true,
      () => false,
    );
    if (!found) {
      reply(res, 404, '<Error><Code>NoSuchUpload</Code><Message>no such upload</Message></Error>');
      return true;
    }
    await rm(dir, { recursive: true, force: true });
    reply(res, 204);
    return true;
  }
  if (req.method === 'GET' && rest.join('/') === '' && url.searchParams.has('uploads')) {
    const prefix = url.searchParams.get('prefix') ?? '';
    const items = [];
    for (const id of await readdir(uploads).catch(() => [])) {
      const key = await readFile(join(uploads, id, 'key'), 'utf8').catch(() => undefined);
      if (key === undefined || !key.startsWith(prefix)) continue;
      const { birthtime, mtime } = await stat(join(uploads, id, 'key'));
      const initiated = (birthtime.getTime() > 0 ? birthtime : mtime).toISOString();
      items.push(
        `<Upload><Key>${xmlEscape(key)}</Key><UploadId>${xmlEscape(id)}</UploadId><Initiated>${initiated}</Initiated></Upload>`,
      );
    }
    reply(
      res,
      200,
      `<ListMultipartUploadsResult><Bucket>${xmlEscape(bucket)}</Bucket><IsTruncated>false</IsTruncated>${items.join('')}</ListMultipartUploadsResult>`,
    );
    return true;
  }
  if (acl && req.method === 'GET' && rest.join('/') === '' && url.searchParams.has('acl')) {
    const grants = acl.grants
      .map(
        ([id, permission]) =>
          `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>${xmlEscape(id)}</ID></Grantee><Permission>${permission}</Permission></Grant>`,
      )
      .join('');
    const name = acl.displayName ? `<DisplayName>${xmlEscape(acl.displayName)}</DisplayName>` : '';
    reply(
      res,
      200,
      `<AccessControlPolicy><Owner><ID>${xmlEscape(acl.ownerId)}</ID>${name}</Owner><AccessControlList>${grants}</AccessControlList></AccessControlPolicy>`,
    );
    return true;
  }
  return false;
}

const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  vhostBuckets: false,
  configureBuckets: buckets.map((name) => ({ name })),
});
const koa = server.callback.bind(server);
server.callback = () => {
  const handle = koa();
  return (req, res) => {
    shim(req, res).then(
      (handled) => handled || handle(req, res),
      (error) => {
        reply(
          res,
          500,
          `<Error><Code>InternalError</Code><Message>${xmlEscape(error.message)}</Message></Error>`,
        );
      },
    );
  };
};
const address = await server.run();
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  process.exit(0);
});
