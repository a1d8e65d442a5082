/**
 * SSE-C: server-side encryption with a key the client sends on every request
 * (`x-amz-server-side-encryption-customer-algorithm: AES256`, `-key` (base64 of 32 bytes),
 * `-key-MD5`). The gateway encrypts before storing and decrypts while answering; it never keeps
 * the key nor its MD5 (an MD5 of a key is a fingerprint of it): only a salted HMAC-SHA256 of the
 * key, to tell the right key from another, as AWS does.
 *
 * The cipher is AES-256-CTR with a random 16-byte IV per stored segment (a PUT is one segment, a
 * multipart object one per part, each part encrypted as it is staged so no plaintext is ever on
 * the gateway's disk). CTR because ciphertext and plaintext have the same length (sizes, ranges and
 * part boundaries stay as the client sees them) and any byte can be decrypted on its own: a range
 * read opens the ciphertext at the same offset and starts the key stream at that block. CTR has no
 * integrity check; the store is trusted with that, as without encryption. A (key, IV) pair is never
 * used twice: every write draws a new IV.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { S3Error } from './errors.js';

const ALGORITHM = 'AES256';
const PREFIX = 'x-amz-server-side-encryption-customer-';
const COPY_PREFIX = 'x-amz-copy-source-server-side-encryption-customer-';

/** A customer key a request gave, checked against its MD5. */
export interface CustomerKey {
  readonly key: Buffer;
  /** Base64 MD5 of the key, as the client sent it (echoed back, never stored). */
  readonly keyMd5: string;
}

/** What is kept with an encrypted object (or upload): never the key or its MD5. */
export interface SseRecord {
  readonly algorithm: typeof ALGORITHM;
  /** Base64 random salt and HMAC-SHA256(salt, key). */
  readonly salt: string;
  readonly keyHmac: string;
  /**
   * Base64 IV of each stored segment, in order; with `sizes` (multipart: one per part) each
   * segment has its size, without them there is one segment, the whole object. An upload's
   * record has none until it completes.
   */
  readonly ivs: readonly string[];
  readonly sizes?: readonly number[];
}

/**
 * The customer key of a request (`copySource`: the `x-amz-copy-source-…` one naming the source's
 * key), undefined when it gives none; InvalidArgument, naming what is wrong, when it is malformed.
 */
export function customerKey(
  lookup: (name: string) => string | undefined,
  copySource = false,
): CustomerKey | undefined {
  const prefix = copySource ? COPY_PREFIX : PREFIX;
  const algorithm = lookup(`${prefix}algorithm`);
  const key = lookup(`${prefix}key`);
  const keyMd5 = lookup(`${prefix}key-md5`);
  if (algorithm === undefined && key === undefined && keyMd5 === undefined) return undefined;
  const invalid = (message: string) => new S3Error('InvalidArgument', message);
  if (algorithm === undefined) {
    throw invalid(
      `Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm (${prefix}algorithm: AES256).`,
    );
  }
  if (algorithm !== ALGORITHM) {
    throw invalid(`The encryption algorithm ${prefix}algorithm must be AES256, not the one given.`);
  }
  if (key === undefined || key === '') {
    throw invalid(
      `Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key (${prefix}key: base64 of 32 bytes).`,
    );
  }
  const raw = Buffer.from(key, 'base64');
  if (raw.length !== 32 || raw.toString('base64') !== key.trim()) {
    throw invalid(
      `The secret key was invalid for the specified algorithm: ${prefix}key must be base64 of 32 bytes.`,
    );
  }
  if (keyMd5 === undefined || keyMd5 === '') {
    throw invalid(
      `Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key (${prefix}key-MD5).`,
    );
  }
  if (createHash('md5').update(raw).digest('base64') !== keyMd5.trim()) {
    throw invalid(
      `The calculated MD5 hash of the key did not match the hash that was provided (${prefix}key-MD5).`,
    );
  }
  return { key: raw, keyMd5: keyMd5.trim() };
}

function hmacOf(salt: Buffer, key: Buffer): Buffer {
  return createHmac('sha256', salt).update(key).digest();
}

/** A record for a new object (or upload) under `key`, with no segment yet. */
export function newRecord(key: CustomerKey): SseRecord {
  const salt = randomBytes(16);
  return {
    algorithm: ALGORITHM,
    salt: salt.toString('base64'),
    keyHmac: hmacOf(salt, key.key).toString('base64'),
    ivs: [],
  };
}

/** Whether `key` is the one `record` was made with (constant-time). */
export function keyMatches(record: SseRecord, key: CustomerKey): boolean {
  const expected = Buffer.from(record.keyHmac, 'base64');
  const actual = hmacOf(Buffer.from(record.salt, 'base64'), key.key);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * Checks the key a read (or a copy's source, or an upload's part) gives for an object stored
 * with `record` (undefined: stored plain). `what` names the request's headers in messages.
 */
export function checkReadKey(
  record: SseRecord | undefined,
  key: CustomerKey | undefined,
  copySource = false,
): void {
  const headers = copySource ? `${COPY_PREFIX}*` : `${PREFIX}*`;
  if (record === undefined) {
    if (key !== undefined) {
      throw new S3Error(
        'InvalidRequest',
        `The encryption parameters are not applicable to this object: it is not stored with a customer-provided key (drop the ${headers} headers).`,
      );
    }
    return;
  }
  if (key === undefined) {
    throw new S3Error(
      'InvalidRequest',
      `The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object (${headers} with the key it was stored with).`,
    );
  }
  if (!keyMatches(record, key)) {
    throw new S3Error(
      'AccessDenied',
      'Access Denied: the customer-provided key is not the one the object was stored with.',
    );
  }
}

/** The response headers telling a client its key was used. */
export function sseHeaders(key: CustomerKey | undefined): Record<string, string> {
  if (key === undefined) return {};
  return { [`${PREFIX}algorithm`]: ALGORITHM, [`${PREFIX}key-md5`]: key.keyMd5 };
}

/** The counter block `blocks` AES blocks after `iv` (128-bit big-endian addition). */
function counterAt(iv: Buffer, blocks: number): Buffer {
  const out = Buffer.from(iv);
  let carry = BigInt(blocks);
  for (let i = 15; i >= 0 && carry > 0n; i--) {
    const sum = BigInt(out[i]!) + (carry & 0xffn);
    out[i] = Number(sum & 0xffn);
    carry = (carry >> 8n) + (sum >> 8n);
  }
  return out;
}

/**
 * The ETag of SSE-C plaintext: an HMAC-MD5 keyed with a key derived from the customer key, so it
 * says nothing about the plaintext to whoever lacks the key (as on AWS, it is no MD5 of the data),
 * yet the same bytes under the same key always get the same ETag (a part sent again keeps the
 * ETag a client already noted). A pass-through stage; `hex` once the stream has ended.
 */
export function etagMac(key: CustomerKey): { stage: Transform; hex: () => string } {
  const mac = createHmac('md5', createHmac('sha256', key.key).update('tierfs sse-c etag').digest());
  let hex = '';
  const stage = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      mac.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      hex = mac.digest('hex');
      callback();
    },
  });
  return { stage, hex: () => hex };
}

/** A fresh IV and the transform encrypting one segment with it. */
export function encryptSegment(key: CustomerKey): { iv: string; cipher: Transform } {
  const iv = randomBytes(16);
  return { iv: iv.toString('base64'), cipher: createCipheriv('aes-256-ctr', key.key, iv) };
}

/**
 * Decrypts stored bytes starting at `offset` of an object stored with `record` (a range read
 * opens the ciphertext at the same offset): each segment's key stream starts at the block that
 * holds the offset, and the transform switches key streams at segment boundaries.
 */
export class SegmentDecipher extends Transform {
  private readonly key: Buffer;
  private readonly ivs: readonly Buffer[];
  private readonly sizes: readonly number[] | undefined;
  private segment = 0;
  /** Position within the current segment. */
  private within: number;
  private decipher: ReturnType<typeof createDecipheriv>;

  constructor(record: SseRecord, key: CustomerKey, offset: number) {
    super();
    this.key = key.key;
    this.ivs = record.ivs.map((iv) => Buffer.from(iv, 'base64'));
    this.sizes = record.sizes;
    let within = offset;
    if (this.sizes) {
      while (this.segment < this.sizes.length - 1 && within >= this.sizes[this.segment]!) {
        within -= this.sizes[this.segment]!;
        this.segment++;
      }
    }
    this.within = within;
    this.decipher = this.open(this.segment, within);
  }

  private open(segment: number, within: number): ReturnType<typeof createDecipheriv> {
    const iv = this.ivs[segment];
    if (iv === undefined)
      throw new S3Error('InternalError', 'The object has more bytes than its encryption record');
    const decipher = createDecipheriv('aes-256-ctr', this.key, counterAt(iv, Math.floor(within / 16)));
    const skip = within % 16;
    if (skip > 0) decipher.update(Buffer.alloc(skip));
    return decipher;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      let rest = chunk;
      while (rest.length > 0) {
        const size = this.sizes?.[this.segment];
        const room = size === undefined ? rest.length : size - this.within;
        if (room === 0) {
          this.segment++;
          this.within = 0;
          this.decipher = this.open(this.segment, 0);
          continue;
        }
        const take = Math.min(room, rest.length);
        this.push(this.decipher.update(rest.subarray(0, take)));
        this.within += take;
        rest = rest.subarray(take);
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }
}
