/**
 * The worker's data endpoints. Each request must carry a capability the master signed (HMAC with
 * the cluster secret) for this very access; everything about the file comes from it. A refusal is
 * 401 (no, forged or expired capability) or 403 (the capability does not allow this), one log
 * line, and nothing read or written.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { CAPABILITY_HEADER } from '../cluster/auth.js';
import type { Capability, CapabilitySigner, ReadCapability, WriteCapability } from '../cluster/capability.js';
import { parseReadType } from '../cluster/io-types.js';
import type { ShortCircuitResponse } from '../cluster/wire.js';
import { isTierfsError, TierfsError } from '../errors.js';
import { type DataPath, readFile, writeFile } from './data-path.js';
import type { MountStores } from './mount-stores.js';
import type { ShortCircuitLeases } from './short-circuit-leases.js';
import { UsedCapabilities } from './used-capabilities.js';

type Params = Record<string, string | undefined>;

function intParam(params: Params, name: string): number {
  const raw = params[name];
  const value = Number(raw);
  if (raw === undefined || raw === '' || !Number.isSafeInteger(value) || value < 0) {
    throw new TierfsError('INVALID_ARGUMENT', `'${name}' must be a non-negative integer, got '${raw ?? ''}'`);
  }
  return value;
}

export interface DataRoutesContext {
  readonly id: string;
  readonly data: DataPath;
  readonly mounts: MountStores;
  readonly signer: CapabilitySigner;
  readonly log: Logger;
  readonly leases: ShortCircuitLeases;
  /** Counts each data request by kind: `read`, `write`, `short-circuit`. */
  readonly count: (kind: 'read' | 'write' | 'short-circuit') => void;
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

  /** The capability of a request, checked for this access and this content id; logged when refused. */
  function authorize(request: FastifyRequest, access: 'read'): ReadCapability;
  function authorize(request: FastifyRequest, access: 'write'): WriteCapability;
  function authorize(request: FastifyRequest, access: Capability['access']): Capability {
    try {
      const header = request.headers[CAPABILITY_HEADER];
      const capability = signer.verify(typeof header === 'string' ? header : undefined);
      if (capability.access !== access) {
        throw new TierfsError(
          'PERMISSION_DENIED',
          `the capability for ${capability.path} allows ${capability.access}, not ${access}`,
        );
      }
      const contentId = (request.query as Params).contentId;
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
  });

  app.get('/data', async (request, reply) => {
    const capability = authorize(request, 'read');
    count('read');
    const q = request.query as Params;
    const readType = parseReadType(q.readType ?? 'CACHE');
    const offset = intParam(q, 'offset');
    const length = Math.max(0, Math.min(intParam(q, 'length'), capability.size - offset));
    const stream = readFile(data, {
      contentId: capability.contentId,
      size: capability.size,
      persisted: capability.persisted,
      ...(capability.version === undefined ? {} : { version: capability.version }),
      offset,
      length,
      readType,
      ufs: ufsOf(capability),
    });
    // Fail before the status line when the first window cannot be read (a lost file, a dead store,
    // a version the under store no longer has).
    const chunks = stream[Symbol.asyncIterator]();
    const first = await chunks.next();
    reply.header('content-type', 'application/octet-stream').header('content-length', length);
    if (!first.done && (first.value as Buffer).length === length) {
      // The whole range at once (a small file): headers and body leave in one write, which is
      // most of the cost of a small read. The read finishes (its cache writes) in the background.
      void chunks.return?.().catch(() => undefined);
      return reply.send(first.value as Buffer);
    }
    async function* rest(): AsyncGenerator<Buffer> {
      let sent = 0;
      try {
        for (let next = first; !next.done; next = await chunks.next()) {
          yield next.value as Buffer;
          sent += (next.value as Buffer).length;
        }
      } catch (error) {
        // Past the status line a failure can only abort the response (Fastify destroys it when
        // the body errors): the client sees an error, never a short body.
        log.warn(
          { err: error, path: capability.path, contentId: capability.contentId, offset, length, sent },
          'read failed mid-stream, response aborted',
        );
        throw error;
      } finally {
        await chunks.return?.(); // the client went away: end the read
      }
    }
    return reply.send(Readable.from(rest()));
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
    return { ...receipt, workerId: context.id, receipt: signer.signReceipt(stored) };
  });
}
