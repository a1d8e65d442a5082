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
 * argv[2]: JSON { directory, buckets: string[], keys: [accessKeyId, secret][] }
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createCipheriv, randomBytes } from 'node:crypto';
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

const { directory, buckets, keys } = JSON.parse(process.argv[2]);
for (const [id, secret] of keys) account.DUMMY_ACCOUNT.createKeyPair(id, secret);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  vhostBuckets: false,
  configureBuckets: buckets.map((name) => ({ name })),
});
const address = await server.run();
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
process.stdin.resume();
process.stdin.on('end', async () => {
  await server.close();
  process.exit(0);
});
