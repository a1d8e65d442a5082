/**
 * The client side of a worker's data port: ranged reads and streamed writes, each carrying the
 * capability the master signed for it. Used by the client SDK and by the master (load jobs,
 * previews); the only place the `/data` request is written.
 *
 *   GET /data?contentId&offset&length&readType   (x-tierfs-capability: a read capability)
 *   PUT /data?contentId                          (x-tierfs-capability: a write capability; body: the file)
 *   POST /data/batch                             (many small reads, each with its capability: batch-read.ts)
 *   POST /data/short-circuit?contentId&offset&length, POST /data/short-circuit/close?contentId&lease
 *   POST /data/short-circuit/release             (leases of short-circuit batches: batch-read.ts)
 */
import type { Readable } from 'node:stream';
import type { request as Request } from 'undici';
import type { TierfsError } from '../errors.js';
import { CAPABILITY_HEADER } from './auth.js';
import { BATCH_READ_PATH, type BatchReadItem, FrameReader, type PinnedRead } from './batch-read.js';
import type { ReadType } from './io-types.js';
import { callJson, errorFromBody, streamGet, unreachable } from './rpc.js';
import type { ShortCircuitResponse, WriteReceipt } from './wire.js';

export interface WorkerAddress {
  /** `http://host:port` of the worker's data API. */
  readonly address: string;
}

export interface RangeRequest {
  readonly contentId: string;
  readonly offset: number;
  readonly length: number;
  readonly readType: ReadType;
  readonly signal?: AbortSignal;
}

/** undici, loaded with the first transfer: commands that move no data (`fs ls`) start without it. */
let loading: Promise<typeof Request> | undefined;
function undiciRequest(): Promise<typeof Request> {
  loading ??= import('undici').then((m) => m.request);
  return loading;
}

function query(params: Record<string, string | number>): string {
  return new URLSearchParams(
    Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]),
  ).toString();
}

/**
 * The bytes of a range, once the worker has answered 200; a refusal is the TierfsError it sent.
 * On node:http (rpc.ts), not undici: a read then loads no HTTP client library, whose loading was
 * part of every first read of a process (each `tierfs fs cat`, the first open of a mount).
 */
export async function readFromWorker(
  worker: WorkerAddress,
  capability: string,
  range: RangeRequest,
): Promise<Readable> {
  const url = `${worker.address}/data?${query({
    contentId: range.contentId,
    offset: range.offset,
    length: range.length,
    readType: range.readType,
  })}`;
  const response = await streamGet(url, { [CAPABILITY_HEADER]: capability }, range.signal);
  if (response.statusCode !== 200) {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of response) chunks.push(chunk as Buffer);
    } catch (error) {
      throw unreachable(url, error);
    }
    throw errorFromBody(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), url);
  }
  return response;
}

/** Streams a file's content to a worker; resolves to the worker's receipt once it is stored. */
export async function writeToWorker(
  worker: WorkerAddress,
  capability: string,
  contentId: string,
  body: Readable | AsyncIterable<Uint8Array>,
  signal?: AbortSignal,
): Promise<WriteReceipt> {
  const url = `${worker.address}/data?${query({ contentId })}`;
  const request = await undiciRequest();
  let response: Awaited<ReturnType<typeof request>>;
  try {
    response = await request(url, {
      method: 'PUT',
      headers: { [CAPABILITY_HEADER]: capability, 'content-type': 'application/octet-stream' },
      // undici sends an async iterable chunk by chunk as it is (writeIterable); its types list Readable only.
      body: body as Readable,
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    throw unreachable(url, error);
  }
  const text = await response.body.text();
  if (response.statusCode !== 200) throw errorFromBody(response.statusCode, text, url);
  return JSON.parse(text) as WriteReceipt;
}

/**
 * Many small reads in one request: `onRead` gets each read's bytes, or the TierfsError the worker
 * answered for it, or (short-circuit) where its pinned pages are, or undefined for an `ifCached`
 * read not cached, as its frame arrives. False when the worker has no batch endpoint (an older
 * version); a failure of the whole request throws (UNAVAILABLE and retryable when the worker could
 * not be reached or went away mid-answer), after the reads already answered were handed over.
 */
export async function readBatchFromWorker(
  worker: WorkerAddress,
  reads: readonly BatchReadItem[],
  onRead: (index: number, result: Buffer | TierfsError | PinnedRead | undefined) => void,
  options: {
    readonly shortCircuit?: boolean;
    readonly release?: readonly string[];
    /** The client's fetch group and its bound (batch-read.ts). */
    readonly fetch?: { readonly group: string; readonly concurrency: number };
    readonly pages?: readonly string[];
  } = {},
): Promise<boolean> {
  const url = `${worker.address}${BATCH_READ_PATH}`;
  const request = await undiciRequest();
  let response: Awaited<ReturnType<typeof request>>;
  try {
    response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        reads,
        ...(options.shortCircuit ? { shortCircuit: true } : {}),
        ...(options.release?.length ? { release: options.release } : {}),
        ...(options.fetch
          ? { fetchGroup: options.fetch.group, fetchConcurrency: options.fetch.concurrency }
          : {}),
        ...(options.pages?.length ? { pages: options.pages } : {}),
      }),
    });
  } catch (error) {
    throw unreachable(url, error);
  }
  if (response.statusCode === 404) {
    const text = await response.body.text();
    if (!text.includes('"code"')) return false; // Fastify's "route not found", not one of ours
    throw errorFromBody(404, text, url);
  }
  if (response.statusCode !== 200) throw errorFromBody(response.statusCode, await response.body.text(), url);
  const frames = new FrameReader((header, bytes) =>
    onRead(
      header.i,
      'error' in header
        ? errorFromBody(500, JSON.stringify(header.error), url)
        : 'pinned' in header
          ? header.pinned
          : 'uncached' in header
            ? undefined
            : bytes,
    ),
  );
  try {
    for await (const chunk of response.body) frames.push(chunk as Buffer);
  } catch (error) {
    throw unreachable(url, error);
  }
  if (!frames.complete) throw unreachable(url, new Error('the answer ended inside a frame'));
  return true;
}

/** Asks a worker on this host for the page files of a range (see ShortCircuitResponse). */
export async function openShortCircuit(
  worker: WorkerAddress,
  capability: string,
  range: Pick<RangeRequest, 'contentId' | 'offset' | 'length'>,
): Promise<ShortCircuitResponse> {
  const url = `${worker.address}/data/short-circuit?${query({
    contentId: range.contentId,
    offset: range.offset,
    length: range.length,
  })}`;
  return postToWorker<ShortCircuitResponse>(url, capability);
}

/** Ends leases of short-circuit batches (batch-read.ts) no later batch named: their pages may be evicted again. */
export async function releaseShortCircuitBatches(
  worker: WorkerAddress,
  leases: readonly string[],
): Promise<void> {
  await callJson('POST', `${worker.address}/data/short-circuit/release`, { body: { leases } });
}

/** Ends a short-circuit read's lease: its pages may be evicted again. */
export async function closeShortCircuit(
  worker: WorkerAddress,
  capability: string,
  contentId: string,
  lease: string,
): Promise<void> {
  await postToWorker(`${worker.address}/data/short-circuit/close?${query({ contentId, lease })}`, capability);
}

/**
 * A small JSON call to a worker's data port, on node:http (rpc.ts) like the calls to the master:
 * a short-circuit read, which moves no byte through the port, then loads no undici at all, which
 * is a good part of the start-up of `tierfs fs cat` of a cached file.
 */
function postToWorker<T>(url: string, capability: string): Promise<T> {
  return callJson<T>('POST', url, { body: {}, headers: { [CAPABILITY_HEADER]: capability } });
}
