/**
 * The worker's data endpoints. Each request must carry a capability the master signed (HMAC with
 * the cluster secret) for this very access; everything about the file comes from it. A refusal is
 * 401 (no, forged or expired capability) or 403 (the capability does not allow this), one log
 * line, and nothing read or written.
 */
import type { ServerResponse } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { CAPABILITY_HEADER } from '../cluster/auth.js';
import {
  BATCH_READ_MAX_BYTES,
  BATCH_READ_MAX_READS,
  BATCH_READ_PATH,
  type BatchReadItem,
  type BatchReadRequest,
  encodeFrame,
  FRAMES_CONTENT_TYPE,
  pinnedFrameEncoder,
} from '../cluster/batch-read.js';
import {
  type Capability,
  type CapabilitySigner,
  macOf,
  type ReadCapability,
  type WriteCapability,
} from '../cluster/capability.js';
import { parseReadType, type ReadType } from '../cluster/io-types.js';
import { errorBody } from '../cluster/rpc.js';
import type { ShortCircuitFile, ShortCircuitResponse } from '../cluster/wire.js';
import { isTierfsError, TierfsError, toTierfsError } from '../errors.js';
import { releaseChunk } from '../ufs/slab-pool.js';
import { type DataPath, readFileChunks, readFileWindows, writeFile } from './data-path.js';
import { FetchGroups, MAX_FETCH_CONCURRENCY } from './fetch-groups.js';
import type { MountStores } from './mount-stores.js';
import { PageCapabilities } from './page-capabilities.js';
import type { ShortCircuitLeases } from './short-circuit-leases.js';
import { UsedCapabilities } from './used-capabilities.js';

type Params = Record<string, string | undefined>;

/** The largest batch read request body: 256 reads and the page capabilities they name. */
const BATCH_BODY_LIMIT = 16 * 1024 * 1024;

/** Resolves when `response` can take more bytes, or has been closed (the client went away). */
function drainedOrClosed(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

function intParam(params: Params, name: string): number {
  const raw = params[name];
  const value = Number(raw);
  if (raw === undefined || raw === '' || !Number.isSafeInteger(value) || value < 0) {
    throw new TierfsError('INVALID_ARGUMENT', `'${name}' must be a non-negative integer, got '${raw ?? ''}'`);
  }
  return value;
}

/**
 * The `length` bytes a read streams, in one Buffer, as soon as they are there; the read finishes
 * (its cache writes) in the background, as a whole-range GET /data does.
 */
async function firstBytes(it: AsyncGenerator<Buffer>, length: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let filled = 0;
  while (filled < length) {
    const next = await it.next();
    if (next.done) break;
    chunks.push(next.value);
    filled += next.value.length;
  }
  void it.return(undefined).catch(() => undefined);
  if (filled !== length) {
    throw new TierfsError('INTERNAL', `the read ended after ${filled} of ${length} bytes`);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
}

export interface DataRoutesContext {
  readonly id: string;
  readonly data: DataPath;
  readonly mounts: MountStores;
  readonly signer: CapabilitySigner;
  readonly log: Logger;
  readonly leases: ShortCircuitLeases;
  /** Counts each data request by kind: `read`, `batch` (POST /data/batch), `write`, `short-circuit`. */
  readonly count: (kind: 'read' | 'batch' | 'write' | 'short-circuit') => void;
}

/** A peer on this host: loopback, or the very address it reached the worker on. */
function isLocalPeer(request: FastifyRequest): boolean {
  const remote = (request.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  const local = (request.socket.localAddress ?? '').replace(/^::ffff:/, '');
  return remote === '::1' || remote.startsWith('127.') || (remote !== '' && remote === local);
}

export function registerDataRoutes(app: FastifyInstance, context: DataRoutesContext): void {
  const { data, mounts, signer, log, leases, count } = context;
  const used = new UsedCapabilities();
  const fetchGroups = new FetchGroups();
  const pageCapabilities = new PageCapabilities(signer);

  /** The capability of a request, checked for this access and this content id; logged when refused. */
  function authorize(request: FastifyRequest, access: 'read'): ReadCapability;
  function authorize(request: FastifyRequest, access: 'write'): WriteCapability;
  function authorize(request: FastifyRequest, access: Capability['access']): Capability {
    const header = request.headers[CAPABILITY_HEADER];
    const token = typeof header === 'string' ? header : undefined;
    return check(request, token, (request.query as Params).contentId, access);
  }

  /**
   * A capability checked for this access and this content id; logged when refused. `token` is a
   * capability, or a file of a page capability already checked (PageCapabilities).
   */
  function check(
    request: FastifyRequest,
    token: string | { readonly page: string; readonly index: number } | undefined,
    contentId: string | undefined,
    access: Capability['access'],
  ): Capability {
    try {
      const capability =
        typeof token === 'object' ? pageCapabilities.file(token.page, token.index) : signer.verify(token);
      if (capability.access !== access) {
        throw new TierfsError(
          'PERMISSION_DENIED',
          `the capability for ${capability.path} allows ${capability.access}, not ${access}`,
        );
      }
      if (contentId !== capability.contentId) {
        throw new TierfsError(
          'PERMISSION_DENIED',
          `the capability is for another content of ${capability.path} than '${contentId ?? ''}'`,
        );
      }
      return capability;
    } catch (error) {
      if (isTierfsError(error)) {
        log.warn(
          {
            remote: request.socket.remoteAddress,
            method: request.method,
            code: error.code,
            reason: error.message,
          },
          'data request refused',
        );
      }
      throw error;
    }
  }

  const ufsOf = (capability: Capability) => async () => ({
    store: await mounts.store(capability.mountPath),
    path: capability.ufsPath,
    ...(capability.access === 'write' && capability.commitUfsPath !== undefined
      ? { commitTo: capability.commitUfsPath }
      : {}),
  });

  /** The bytes a read capability allows at [offset, offset + length), cut at the end of the file. */
  const planOf = (capability: ReadCapability, offset: number, requested: number, readType: ReadType) => {
    const length = Math.max(0, Math.min(requested, capability.size - offset));
    return {
      contentId: capability.contentId,
      size: capability.size,
      persisted: capability.persisted,
      ...(capability.version === undefined ? {} : { version: capability.version }),
      offset,
      length,
      readType,
      ufs: ufsOf(capability),
    };
  };
  /** A batched read as planned, and when its capability ends. */
  type BatchPlan = ReturnType<typeof planOf> & { readonly expiresMs: number };

  app.get('/data', async (request, reply) => {
    const capability = authorize(request, 'read');
    count('read');
    const q = request.query as Params;
    const readType = parseReadType(q.readType ?? 'CACHE');
    const plan = planOf(capability, intParam(q, 'offset'), intParam(q, 'length'), readType);
    const { offset, length } = plan;
    const windows = readFileWindows(data, plan);
    // Fail before the status line when the first window cannot be read (a lost file, a dead store,
    // a version the under store no longer has).
    const first = await windows.next();
    reply.header('content-type', 'application/octet-stream').header('content-length', length);
    if (first.done || (first.value.length === 1 && first.value[0]!.length === length)) {
      // The whole range at once (a small file): headers and body leave in one write, which is
      // most of the cost of a small read. The read finishes (its cache writes) in the background.
      void windows.return(undefined).catch(() => undefined);
      return reply.send(first.done ? Buffer.alloc(0) : first.value[0]!);
    }
    // Each window's chunks (a few MiB, as received from the under store) go to the socket in one
    // writev: a write per chunk would be a syscall, and a wake-up of the reader, per 64 KiB.
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, reply.getHeaders() as Record<string, string>);
    let sent = 0;
    try {
      for (let next: IteratorResult<Buffer[]> = first; !next.done; next = await windows.next()) {
        if (response.destroyed) break; // the client went away: end the read
        response.cork();
        let room = true;
        for (const buffer of next.value) {
          // Once the socket has taken the bytes, a slab of the store's answer may be used again
          // (slab-pool.ts); a write that never completes keeps it out of the pool.
          room = response.write(buffer, () => releaseChunk(buffer));
          sent += buffer.length;
        }
        response.uncork();
        if (!room) await drainedOrClosed(response);
      }
      if (!response.destroyed) response.end();
    } catch (error) {
      // Past the status line a failure can only abort the response: the client sees an error,
      // never a short body.
      log.warn(
        { err: error, path: capability.path, contentId: capability.contentId, offset, length, sent },
        'read failed mid-stream, response aborted',
      );
      response.destroy(error as Error);
    } finally {
      await windows.return(undefined).catch(() => undefined);
    }
    return reply;
  });

  // Many small reads in one request (cluster/batch-read.ts): each read's capability checked as
  // GET /data checks it, each answered by a frame of its own as soon as it is read; for a client on
  // this host that asks, reads of pages cached in files are answered by the pinned files instead.
  // Its body may carry page capabilities besides the reads (a few hundred KiB each).
  app.post(BATCH_READ_PATH, { bodyLimit: BATCH_BODY_LIMIT }, async (request, reply) => {
    count('batch');
    const body = (request.body ?? {}) as Partial<BatchReadRequest>;
    const reads = body.reads;
    if (!Array.isArray(reads) || reads.length === 0 || reads.length > BATCH_READ_MAX_READS) {
      throw new TierfsError(
        'INVALID_ARGUMENT',
        `a batch read takes a JSON body {"reads": [...]} of 1 to ${BATCH_READ_MAX_READS} reads`,
      );
    }
    const group = fetchGroupOf(body);
    if (Array.isArray(body.release))
      for (const lease of body.release) if (typeof lease === 'string') leases.closeBatch(lease);
    // Page capabilities the reads may name by their MAC: checked once, kept (PageCapabilities).
    const badPages = new Map<string, unknown>();
    if (Array.isArray(body.pages)) {
      for (const token of body.pages) {
        try {
          pageCapabilities.add(String(token));
        } catch (error) {
          badPages.set(macOf(String(token)), error);
          log.warn(
            {
              remote: request.socket.remoteAddress,
              method: request.method,
              reason: (error as Error).message,
            },
            'data request refused',
          );
        }
      }
    }
    let left = reads.length;
    // Frames finished in the same turn leave in one write (a write per frame costs a syscall each).
    // The answer starts with the first of them: when that is every frame (one cold read, a warm
    // batch), the whole answer is one body of known length, its headers and frames one write,
    // instead of a stream (a write more for its end, and a wake-up more of the client).
    let ready: Buffer[] = [];
    let out: PassThrough | undefined;
    let first: (body: Buffer | PassThrough) => void;
    const answerBody = new Promise<Buffer | PassThrough>((resolve) => {
      first = resolve;
    });
    const flush = () => {
      const parts = ready;
      ready = [];
      const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      if (!out && left === 0) return first(bytes);
      if (!out) {
        out = new PassThrough();
        first(out);
      }
      out.write(bytes);
      if (left === 0) out.end();
    };
    const answer = (frame: Buffer[]) => {
      left--;
      if (ready.length === 0) setImmediate(flush);
      ready.push(...frame);
    };
    const failed = (i: number, error: unknown) => {
      const failure = toTierfsError(error);
      if (failure.code === 'INTERNAL') log.error({ err: error }, 'batched read failed');
      answer(encodeFrame({ i, error: errorBody(failure) }));
    };
    const plans: (BatchPlan | undefined)[] = reads.map((item: BatchReadItem, i) => {
      try {
        const [capability, offset, requested, readType] = checkBatchItem(request, item, badPages);
        return { ...planOf(capability, offset, requested, readType), expiresMs: capability.expiresMs };
      } catch (error) {
        failed(i, error);
        return undefined;
      }
    });
    const serve = async (plan: BatchPlan, i: number): Promise<void> => {
      let bytes: Buffer;
      const done = group ? await fetchGroups.turn(group.name, group.concurrency) : undefined;
      try {
        // A client gone while its read waited for its turn: nothing to fetch for.
        if (done && reply.raw.destroyed) throw new TierfsError('ABORTED', 'the client went away');
        bytes = await firstBytes(readFileChunks(data, plan), plan.length);
      } catch (error) {
        return failed(i, error);
      } finally {
        done?.();
      }
      answer(encodeFrame({ i, length: plan.length }, bytes));
    };
    const pinned = body.shortCircuit === true && isLocalPeer(request) ? await pinBatch(plans) : undefined;
    const pinnedFrame = pinned ? pinnedFrameEncoder(pinned.lease) : undefined;
    plans.forEach((plan, i) => {
      if (!plan) return;
      const files = pinned?.files[i];
      if (files && pinnedFrame) answer([pinnedFrame(i, files)]);
      else if (reads[i]!.ifCached === true) answer(encodeFrame({ i, uncached: true }));
      else void serve(plan, i);
    });
    return reply.header('content-type', FRAMES_CONTENT_TYPE).send(await answerBody);
  });

  /** The fetch group a batch names (its reads share the group's bound on fetches), if any. */
  function fetchGroupOf(body: Partial<BatchReadRequest>): { name: string; concurrency: number } | undefined {
    const { fetchGroup: name, fetchConcurrency: concurrency } = body;
    if (name === undefined && concurrency === undefined) return undefined;
    if (typeof name !== 'string' || name.length === 0 || name.length > 64) {
      throw new TierfsError(
        'INVALID_ARGUMENT',
        `a batch's "fetchGroup" must be a string of 1 to 64 characters, got ${JSON.stringify(name) ?? 'none'}`,
      );
    }
    if (!Number.isSafeInteger(concurrency) || concurrency! < 1 || concurrency! > MAX_FETCH_CONCURRENCY) {
      throw new TierfsError(
        'INVALID_ARGUMENT',
        `a batch's "fetchConcurrency" must be an integer from 1 to ${MAX_FETCH_CONCURRENCY}, got ${JSON.stringify(concurrency) ?? 'none'}`,
      );
    }
    return { name, concurrency: concurrency! };
  }

  /** A batched read's capability checked, and what it asks for. */
  function checkBatchItem(
    request: FastifyRequest,
    item: BatchReadItem,
    badPages: ReadonlyMap<string, unknown>,
  ): [ReadCapability, number, number, ReadType] {
    const page = typeof item?.page === 'string' ? item.page : undefined;
    if (page !== undefined && badPages.has(page)) throw badPages.get(page);
    const token = page === undefined ? item?.capability : { page, index: Number(item.index) };
    const capability = check(request, token, item?.contentId, 'read') as ReadCapability;
    const params = item as unknown as Record<string, unknown>;
    const offset = intParam({ offset: String(params.offset) }, 'offset');
    const requested = intParam({ length: String(params.length) }, 'length');
    if (requested > BATCH_READ_MAX_BYTES) {
      throw new TierfsError(
        'INVALID_ARGUMENT',
        `a batched read is at most ${BATCH_READ_MAX_BYTES} bytes, got ${requested}: read it with GET /data`,
      );
    }
    const readType = parseReadType(typeof item.readType === 'string' ? item.readType : 'CACHE');
    return [capability, offset, requested, readType];
  }

  /**
   * Pins the page files of the reads of a batch whose pages are all cached in files (not
   * CACHE_PROMOTE reads: those move pages), under one lease that ends with the earliest of their
   * capabilities; by read index, the files of each read pinned.
   */
  async function pinBatch(plans: readonly (BatchPlan | undefined)[]) {
    const wanted = plans.flatMap((plan, i) =>
      plan && plan.length > 0 && plan.readType !== 'CACHE_PROMOTE' ? [{ plan, i }] : [],
    );
    if (wanted.length === 0) return undefined;
    const held = await data.pages.pinMany(
      wanted.map(({ plan }) => ({ fileKey: plan.contentId, offset: plan.offset, length: plan.length })),
    );
    const files: (readonly ShortCircuitFile[] | undefined)[] = [];
    let expiresMs = Number.POSITIVE_INFINITY;
    const pinned = held.flatMap((pages, k) => {
      if (!pages) return [];
      const { plan, i } = wanted[k]!;
      files[i] = pages.files.map(({ pageIndex, path, headerLength, size }) => ({
        pageIndex,
        path,
        headerLength,
        size,
      }));
      expiresMs = Math.min(expiresMs, plan.expiresMs);
      return [pages];
    });
    if (pinned.length === 0) return undefined;
    count('short-circuit');
    const lease = leases.openBatch(pinned, expiresMs);
    return {
      lease: { lease: lease.id, leaseExpiresMs: lease.expiresMs, pageSize: data.pages.pageSize },
      files,
    };
  }

  // The end of short-circuit batch leases (batch-read.ts) without another batch to name them in.
  app.post('/data/short-circuit/release', async (request) => {
    const named = (request.body as { leases?: unknown } | undefined)?.leases;
    if (!Array.isArray(named) || !named.every((lease) => typeof lease === 'string')) {
      throw new TierfsError(
        'INVALID_ARGUMENT',
        'a release takes a JSON body {"leases": ["<lease id>", ...]}',
      );
    }
    return { released: named.filter((lease: string) => leases.closeBatch(lease)).length };
  });

  /**
   * A short-circuit open: the same capability check as a read, then the page files of the range,
   * pinned for a lease, when the client is on this host and every page is cached in a file.
   */
  app.post('/data/short-circuit', async (request): Promise<ShortCircuitResponse> => {
    const capability = authorize(request, 'read');
    count('short-circuit');
    const q = request.query as Params;
    const offset = intParam(q, 'offset');
    const length = Math.max(0, Math.min(intParam(q, 'length'), capability.size - offset));
    if (!isLocalPeer(request)) {
      return { available: false, reason: 'short-circuit reads are for clients on the worker host' };
    }
    const pinned = await data.pages.pin(capability.contentId, offset, length);
    if (!pinned) return { available: false, reason: 'not every page of the range is cached in a page file' };
    const lease = leases.open(capability.contentId, pinned, capability.expiresMs);
    return {
      available: true,
      lease: lease.id,
      leaseExpiresMs: lease.expiresMs,
      pageSize: data.pages.pageSize,
      files: pinned.files.map(({ pageIndex, path, headerLength, size }) => ({
        pageIndex,
        path,
        headerLength,
        size,
      })),
    };
  });

  app.post('/data/short-circuit/close', async (request) => {
    const capability = authorize(request, 'read');
    const lease = (request.query as Params).lease ?? '';
    return { released: leases.close(lease, capability.contentId) };
  });

  app.put('/data', async (request) => {
    const capability = authorize(request, 'write');
    count('write');
    if (await mounts.isReadOnly(capability.mountPath)) {
      log.warn({ path: capability.path, mount: capability.mountPath }, 'write to a read-only mount refused');
      throw new TierfsError(
        'READ_ONLY',
        `cannot write ${capability.path}: the mount point ${capability.mountPath} is read-only`,
      );
    }
    used.claim(capability.contentId, capability.expiresMs);
    const receipt = await writeFile(
      data,
      { contentId: capability.contentId, writeType: capability.writeType, ufs: ufsOf(capability) },
      request.body as Readable,
    );
    const stored = { contentId: capability.contentId, ...receipt, workerId: context.id };
    // The open upload is for the master only, inside the signed receipt.
    const { pendingUpload: _forTheMaster, ...shown } = receipt;
    return { ...shown, workerId: context.id, receipt: signer.signReceipt(stored) };
  });
}
