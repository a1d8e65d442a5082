/**
 * POST object: a browser form upload to the bucket's URL (multipart/form-data), authenticated by
 * the signature of its policy rather than of the request. The fields before the `file` part are
 * what counts (later ones are ignored, as S3 ignores them): they are checked against the policy
 * before the file is written, and the file streams into the store with its size held to the
 * policy's content-length-range, so a refused upload leaves nothing behind.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import busboy from 'busboy';
import { S3_LIMITS } from '../common/limits.js';
import { aclFromHeaders } from './acl.js';
import { headersFromRequest, tagsFromXml } from './attributes.js';
import { DigestCheck } from './body.js';
import { headerOf, type S3Context } from './context.js';
import { screenEncryption } from './encryption.js';
import { S3Error, toS3Error } from './errors.js';
import { sealedWrite } from './object-handlers.js';
import type { ObjectInfo } from './object-layer.js';
import { lockForWrite } from './object-lock.js';
import { checkPostPolicy, lengthRange, parsePostPolicy } from './post-policy.js';
import { requestUser } from './request-user.js';
import type { GatewayServices } from './services.js';
import { customerKey } from './sse-c.js';
import { buildXml } from './xml.js';

const MAX_FIELD_BYTES = 20 * 1024;
/** Form fields stored with the object as the headers of the same name. */
const HEADER_FIELDS = [
  'content-type',
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'expires',
];
/** Form fields asking for an Object Lock retention or legal hold (object-lock.ts). */
const LOCK_FIELDS = [
  'x-amz-object-lock-mode',
  'x-amz-object-lock-retain-until-date',
  'x-amz-object-lock-legal-hold',
];

/** Whether a request is a form upload (the bucket POST that is signed by its form, not its headers). */
export function isFormUpload(headers: IncomingHttpHeaders): boolean {
  return (headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data');
}

/** Holds a stream's size to [min, max]: EntityTooLarge as soon as it passes max, EntityTooSmall at its end. */
class LengthRange extends Transform {
  private size = 0;
  constructor(
    private readonly min: number,
    private readonly max: number,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.max) {
      callback(
        new S3Error(
          'EntityTooLarge',
          `Your proposed upload exceeds the maximum allowed size (${this.max} bytes)`,
        ),
      );
    } else callback(null, chunk);
  }
  override _flush(callback: TransformCallback): void {
    if (this.size < this.min) {
      callback(
        new S3Error(
          'EntityTooSmall',
          `Your proposed upload is smaller than the minimum allowed size (${this.min} bytes)`,
        ),
      );
    } else callback();
  }
}

function drain(ctx: S3Context): void {
  ctx.req.unpipe();
  ctx.req.resume();
}

/** Writes the file part under the form's fields; the fields are complete when the file begins. */
async function writeUpload(
  ctx: S3Context,
  services: GatewayServices,
  fields: Map<string, string>,
  file: Readable,
  filename: string,
): Promise<{ info: ObjectInfo; key: string }> {
  const identity = services.authenticator.authenticatePost(fields);
  screenEncryption((name) => fields.get(name));
  // What follows acts as the user the form's policy was signed by.
  requestUser.enterWith(identity.user);
  const template = fields.get('key');
  if (template === undefined || template === '') {
    throw new S3Error('InvalidArgument', "Bucket POST must contain a field named 'key'.");
  }
  const key = template.replaceAll('${filename}', filename);
  const policyText = fields.get('policy');
  const policy = policyText === undefined ? undefined : parsePostPolicy(policyText);
  const checked = new Map(fields);
  checked.set('bucket', ctx.bucket!);
  checked.set('key', key);
  if (policy) checkPostPolicy(policy, checked, Date.now());

  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of fields) {
    if (HEADER_FIELDS.includes(name) || name.startsWith('x-amz-meta-')) headers[name] = value;
  }
  const aclField = fields.get('acl');
  if (aclField !== undefined) headers['x-amz-acl'] = aclField;
  // The signer of the policy writes the object: it needs PutObject on the bucket (policy or ACL).
  await services.access.authorizeFormUpload(ctx, identity, key, headers);
  const { acl } = aclFromHeaders(headers, services.access.users);
  const lockFields: IncomingHttpHeaders = {};
  for (const name of LOCK_FIELDS) if (fields.has(name)) lockFields[name] = fields.get(name);
  const attributes = {
    headers: {
      ...headersFromRequest(headers),
      ...lockForWrite(services.access.settings, ctx.bucket!, lockFields),
    },
    tags: fields.has('tagging') ? tagsFromXml(fields.get('tagging')!) : [],
    acl,
    owner: services.access.ownerOfNewObject(ctx.bucket!, identity.user, acl),
  };
  const range = (policy && lengthRange(policy)) ?? { min: 0, max: S3_LIMITS.maxSinglePutBytes };
  const digest = new DigestCheck({});
  const limit = new LengthRange(range.min, Math.min(range.max, S3_LIMITS.maxSinglePutBytes));
  const sealed = sealedWrite(
    customerKey((name) => fields.get(name)),
    attributes,
    [limit, digest],
    () => digest.md5Hex,
  );
  const info = await services.layer.put(
    ctx.bucket!,
    key,
    [file, ...sealed.stages],
    sealed.etag,
    sealed.attributes,
  );
  return { info, key };
}

/** The success answer the form asked for: a redirect, a PostResponse document (201), 200 or 204. */
function answer(
  ctx: S3Context,
  fields: ReadonlyMap<string, string>,
  info: ObjectInfo,
  key: string,
  versionHeader: Record<string, string>,
): void {
  const etag = `"${info.etag}"`;
  const host = headerOf(ctx, 'host') ?? 'localhost';
  const location = `http://${host}/${encodeURIComponent(ctx.bucket!)}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
  const redirect = fields.get('success_action_redirect') ?? fields.get('redirect');
  if (redirect !== undefined && /^https?:\/\//i.test(redirect)) {
    const query = `bucket=${encodeURIComponent(ctx.bucket!)}&key=${encodeURIComponent(key)}&etag=${encodeURIComponent(etag)}`;
    ctx.res.writeHead(303, {
      location: `${redirect}${redirect.includes('?') ? '&' : '?'}${query}`,
      etag,
      ...versionHeader,
      'content-length': 0,
    });
    ctx.res.end();
    return;
  }
  const status = fields.get('success_action_status');
  if (status === '201') {
    const text = buildXml(
      'PostResponse',
      { Location: location, Bucket: ctx.bucket!, Key: key, ETag: etag },
      null,
    );
    ctx.res.writeHead(201, {
      'content-type': 'application/xml',
      'content-length': Buffer.byteLength(text),
      etag,
      location,
      ...versionHeader,
    });
    ctx.res.end(text);
    return;
  }
  ctx.res.writeHead(status === '200' ? 200 : 204, { etag, location, ...versionHeader, 'content-length': 0 });
  ctx.res.end();
}

/** A form field sent as a file part: its content is the field's value (at most a field's size). */
async function readFieldPart(
  name: string,
  stream: NodeJS.ReadableStream,
  fields: Map<string, string>,
): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FIELD_BYTES) {
      throw new S3Error('InvalidArgument', `form field ${name} is longer than ${MAX_FIELD_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  if (!fields.has(name.toLowerCase())) fields.set(name.toLowerCase(), Buffer.concat(chunks).toString('utf8'));
}

export async function postObject(ctx: S3Context, services: GatewayServices): Promise<void> {
  if (!isFormUpload(ctx.req.headers)) {
    throw new S3Error('PreconditionFailed', 'Bucket POST must be of the enclosure-type multipart/form-data');
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: ctx.req.headers,
      // Form fields may arrive as file parts too (a part with a filename, as Python's requests
      // writes every entry of files=): only the part named `file` is the object.
      limits: { fieldSize: MAX_FIELD_BYTES, fields: 100, files: 100 },
    });
  } catch (error) {
    throw new S3Error('MalformedPOSTRequest', `malformed multipart form: ${(error as Error).message}`);
  }
  const fields = new Map<string, string>();
  let fileSeen = false;
  let upload: Promise<{ info: ObjectInfo; key: string }> | undefined;
  const formEnded = new Promise<void>((resolve, reject) => {
    parser.on('close', resolve);
    parser.on('error', reject);
  });
  formEnded.catch(() => undefined);
  parser.on('field', (name, value) => {
    // Fields after the file are ignored, as S3 ignores them.
    if (!fileSeen && !fields.has(name.toLowerCase())) fields.set(name.toLowerCase(), value);
  });
  const fieldParts: Promise<void>[] = [];
  parser.on('file', (name, stream, info) => {
    if (fileSeen) {
      stream.resume();
      return;
    }
    if (name.toLowerCase() !== 'file') {
      const part = readFieldPart(name, stream, fields);
      part.catch(() => stream.resume());
      fieldParts.push(part);
      return;
    }
    fileSeen = true;
    upload = Promise.all(fieldParts).then(() =>
      writeUpload(ctx, services, new Map(fields), stream, info.filename ?? ''),
    );
    upload.catch(() => stream.resume());
  });
  ctx.req.on('close', () => {
    if (ctx.req.complete) return;
    parser.destroy(new S3Error('IncompleteBody', 'The form upload was interrupted'));
  });
  ctx.req.pipe(parser);
  try {
    await formEnded;
    await Promise.all(fieldParts);
    if (!upload) throw new S3Error('InvalidArgument', 'POST requires exactly one file upload per request.');
    const { info, key } = await upload;
    answer(ctx, fields, info, key, services.layer.versions.writtenVersionHeader(info));
  } catch (error) {
    drain(ctx);
    throw toS3Error(error);
  }
}
