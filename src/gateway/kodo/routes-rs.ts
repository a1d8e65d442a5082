/**
 * The management hosts: rs (`/stat`, `/delete`, `/move`, `/copy`, `/chgm`, `/batch`), rsf
 * (`/list`) and the bucket calls of uc (`/buckets`, `/mkbucketv3`, `/drop`). Every call carries QBox or
 * Qiniu authorization; single operations answer with the operation's own status, `/batch` with
 * 200 when every operation succeeded and 298 otherwise, and one `{code, data}` per operation.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { verifyManagementRequest } from './auth.js';
import type { KodoObject, ListPosition, ObjectRef } from './backend.js';
import type { KodoGatewayContext } from './context.js';
import { badRequest, KODO_STATUS, KodoError, sendJson, toKodoError } from './errors.js';
import { decodePath, readBody } from './http-body.js';
import { fromUrlSafeBase64, toUrlSafeBase64 } from './url-safe-base64.js';

const MAX_MANAGEMENT_BODY = 4 * 1024 * 1024;
const MAX_BATCH_OPS = 1000;
const MAX_LIST_LIMIT = 1000;
export const PARTIAL_SUCCESS = 298;

/** rs operations implemented here, single or in `/batch`. */
const OBJECT_OPS = new Set(['stat', 'delete', 'move', 'copy', 'chgm']);

/**
 * Kodo's rs/uc operations this gateway does not implement: refused with 501, alone or in a batch,
 * never mistaken for another call.
 */
export const UNIMPLEMENTED_OPS: ReadonlySet<string> = new Set([
  'chtype',
  'chstatus',
  'deleteAfterDays',
  'restoreAr',
  'fetch',
  'prefetch',
  'sisyphus',
  'private',
  'image',
  'unimage',
  'bucketTagging',
  'setImage',
  'v3',
]);

/** First path segments answered here (when the request carries management authorization). */
export const MANAGEMENT_ROOTS: ReadonlySet<string> = new Set([
  ...OBJECT_OPS,
  'batch',
  'list',
  'buckets',
  'mkbucketv3',
  'drop',
  'v2',
  ...UNIMPLEMENTED_OPS,
]);

/** Options an rs operation accepts after its entries (`/force/true`, `/mime/<m>`); others are 501. */
const OPTIONS_OF: Readonly<Record<string, readonly string[]>> = {
  stat: [],
  delete: [],
  move: ['force'],
  copy: ['force'],
  chgm: ['mime'],
};

const notImplemented = (what: string): KodoError =>
  new KodoError(KODO_STATUS.NOT_IMPLEMENTED, `${what} is not implemented by the tierfs Kodo gateway`);

interface OpResult {
  readonly code: number;
  readonly data?: unknown;
}

export async function handleManagement(
  ctx: KodoGatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const rawUrl = req.url ?? '/';
  const body = await readBody(req, MAX_MANAGEMENT_BODY);
  verifyManagementRequest({ method: req.method ?? 'GET', rawUrl, headers: req.headers, body }, ctx.users);
  const root = url.pathname.split('/')[1] ?? '';
  if (root === 'batch') {
    const ops = new URLSearchParams(body.toString('utf8')).getAll('op');
    if (ops.length === 0) throw badRequest('batch needs at least one op');
    if (ops.length > MAX_BATCH_OPS) throw badRequest(`batch takes at most ${MAX_BATCH_OPS} ops`);
    const results: OpResult[] = [];
    for (const op of ops) results.push(await runOp(ctx, op));
    sendJson(res, results.every((r) => r.code === 200) ? 200 : PARTIAL_SUCCESS, results);
    return;
  }
  if (root === 'list') {
    sendJson(res, 200, await list(ctx, url.searchParams));
    return;
  }
  if (root === 'buckets') {
    sendJson(res, 200, await ctx.backend.listBuckets());
    return;
  }
  if (root === 'v2') {
    if (url.pathname !== '/v2/bucketInfo') throw notImplemented(url.pathname);
    sendJson(res, 200, await bucketInfo(ctx, url.searchParams.get('bucket')));
    return;
  }
  if (root === 'mkbucketv3') {
    const bucket = url.pathname.split('/')[2];
    if (!bucket) throw badRequest('bucket name required');
    await ctx.backend.createBucket(decodePath(bucket));
    sendJson(res, 200, {});
    return;
  }
  if (root === 'drop') {
    const bucket = url.pathname.split('/')[2];
    if (!bucket) throw badRequest('bucket name required: /drop/<bucket>');
    await ctx.backend.deleteBucket(decodePath(bucket));
    // Unfinished resumable uploads into it go with it (as the S3 gateway's DeleteBucket does).
    await ctx.staging.removeBucket(decodePath(bucket));
    sendJson(res, 200, {});
    return;
  }
  const result = await runOp(ctx, url.pathname);
  sendJson(res, result.code, result.data ?? {});
}

/** `b64u("bucket:key")` → bucket and key; a key is required here. */
function decodeEntry(encoded: string | undefined): ObjectRef {
  const decoded = encoded === undefined ? undefined : fromUrlSafeBase64(encoded);
  if (!decoded) throw badRequest('invalid EncodedEntryURI');
  const text = decoded.toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) throw badRequest('EncodedEntryURI must name bucket:key');
  return { bucket: text.slice(0, colon), key: text.slice(colon + 1) };
}

function statBody(object: KodoObject): Record<string, unknown> {
  const body: Record<string, unknown> = {
    fsize: object.size,
    hash: object.hash,
    mimeType: object.mimeType,
    putTime: object.putTimeMs * 10_000,
    type: 0,
  };
  const meta = Object.entries(object.userMetadata);
  if (meta.length > 0) body['x-qn-meta'] = Object.fromEntries(meta);
  return body;
}

/** What `/v2/bucketInfo` answers (the fields Qiniu's SDKs read); private, as downloads are signed. */
async function bucketInfo(ctx: KodoGatewayContext, bucket: string | null): Promise<unknown> {
  if (!bucket) throw badRequest('bucket required');
  await ctx.backend.requireBucket(bucket);
  return {
    tbl: bucket,
    itbl: 0,
    zone: ctx.region,
    region: ctx.region,
    private: ctx.publicRead ? 0 : 1,
    protected: 0,
    no_index_page: 0,
    max_age: 0,
    separator: '',
    styles: {},
    anti_leech_mode: 0,
    token_anti_leech: 0,
    refer_wl: null,
    refer_bl: null,
    source_enabled: false,
    no_refer: false,
    remark: '',
  };
}

/** The parts of an rs operation; written `/stat/<e>` or, as Qiniu's Python SDK batches them, `stat/<e>`. */
function parseOp(op: string): {
  verb: string;
  first?: string;
  second?: string;
  options: Map<string, string>;
} {
  const [verb = '', first, second, ...tail] = op.replace(/^\//, '').split('/');
  if (UNIMPLEMENTED_OPS.has(verb)) throw notImplemented(`the ${verb} operation`);
  const allowed = OPTIONS_OF[verb];
  if (allowed === undefined) throw badRequest(`unsupported operation '${verb}'`);
  // Options follow the entries: one for most (`/chgm/<e>/mime/<m>`), two for move and copy.
  const twoEntries = verb === 'move' || verb === 'copy';
  const rest = twoEntries || second === undefined ? tail : [second, ...tail];
  if (rest.length % 2 !== 0) throw badRequest(`malformed options of ${verb}`);
  const options = new Map<string, string>();
  for (let i = 0; i < rest.length; i += 2) {
    if (!allowed.includes(rest[i]!)) throw notImplemented(`the ${rest[i]} option of ${verb}`);
    options.set(rest[i]!, rest[i + 1]!);
  }
  return { verb, first, second, options };
}

/** One rs operation (`/stat/<e>`, `/delete/<e>`, `/move/<e>/<e>[/force/true]`, ...), never throwing. */
async function runOp(ctx: KodoGatewayContext, op: string): Promise<OpResult> {
  try {
    const { verb, first, second, options } = parseOp(op);
    const force = options.get('force') === 'true';
    switch (verb) {
      case 'stat': {
        const entry = decodeEntry(first);
        return { code: 200, data: statBody(await ctx.backend.stat(entry.bucket, entry.key)) };
      }
      case 'delete': {
        const entry = decodeEntry(first);
        await ctx.backend.delete(entry.bucket, entry.key);
        return { code: 200 };
      }
      case 'move':
      case 'copy': {
        // `/move/<src>/<dst>/force/true`
        const from = decodeEntry(first);
        const to = decodeEntry(second);
        if (verb === 'move') await ctx.backend.move(from, to, force);
        else await ctx.backend.copy(from, to, force);
        return { code: 200 };
      }
      case 'chgm': {
        const entry = decodeEntry(first);
        const encoded = options.get('mime');
        const mime = encoded === undefined ? undefined : fromUrlSafeBase64(encoded)?.toString('utf8');
        if (!mime) throw badRequest('chgm needs /mime/<EncodedMime>');
        await ctx.backend.setMimeType(entry.bucket, entry.key, mime);
        return { code: 200 };
      }
      default:
        throw badRequest(`unsupported operation '${verb}'`);
    }
  } catch (error) {
    const failure = toKodoError(error);
    return { code: failure.status, data: { error: failure.message } };
  }
}

function encodeMarker(position: ListPosition): string {
  return toUrlSafeBase64(JSON.stringify({ k: position.key, p: position.isPrefix ? 1 : 0 }));
}

function decodeMarker(marker: string): ListPosition {
  const invalid = new KodoError(KODO_STATUS.INVALID_MARKER, 'invalid marker');
  try {
    const parsed = JSON.parse(fromUrlSafeBase64(marker)?.toString('utf8') ?? '') as {
      k?: unknown;
      p?: unknown;
    };
    if (typeof parsed.k !== 'string') throw invalid;
    return { key: parsed.k, isPrefix: parsed.p === 1 };
  } catch {
    throw invalid;
  }
}

async function list(ctx: KodoGatewayContext, query: URLSearchParams): Promise<unknown> {
  const bucket = query.get('bucket');
  if (!bucket) throw badRequest('bucket required');
  const limitText = query.get('limit') ?? '';
  const limit = limitText === '' || limitText === '0' ? MAX_LIST_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1) throw badRequest(`invalid limit '${limitText}'`);
  const marker = query.get('marker') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const page = await ctx.backend.list(bucket, {
    prefix: query.get('prefix') ?? '',
    delimiter,
    limit: Math.min(limit, MAX_LIST_LIMIT),
    after: marker === '' ? undefined : decodeMarker(marker),
  });
  const body: Record<string, unknown> = {
    marker: page.next ? encodeMarker(page.next) : '',
    items: page.items.map((object) => ({ key: object.key, ...statBody(object), status: 0 })),
  };
  if (delimiter !== '') body.commonPrefixes = page.commonPrefixes;
  return body;
}
