/**
 * The HTTP requests the driver makes itself with undici (ranged downloads from the io host and the
 * calls of resumable upload v2), over one Agent whose connections and connect timeout come from
 * `tierfs.underfs.kodo.requests.max` and `tierfs.underfs.kodo.connect.timeout`.
 */
import type { Readable } from 'node:stream';
import { Agent, type Dispatcher, request } from 'undici';
import { kodoStatusError, kodoTransportError } from './kodo-errors.js';

export interface KodoHttpOptions {
  readonly maxConnections: number;
  readonly connectTimeoutMs: number;
}

/** What a request is, for error messages. */
export interface KodoRequestTarget {
  readonly operation: string;
  readonly bucket: string;
  readonly key?: string;
}

export interface KodoRequest {
  readonly method: Dispatcher.HttpMethod;
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer | Readable;
  readonly signal?: AbortSignal;
}

export class KodoHttp {
  private readonly agent: Agent;

  constructor(options: KodoHttpOptions) {
    this.agent = new Agent({
      connections: options.maxConnections,
      connect: { timeout: options.connectTimeoutMs },
    });
  }

  /** Sends the request; a non-2xx answer is read and thrown as a TierfsError, a 2xx one returned. */
  async send(target: KodoRequestTarget, req: KodoRequest): Promise<Dispatcher.ResponseData> {
    let response: Dispatcher.ResponseData;
    try {
      response = await request(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal: req.signal,
        dispatcher: this.agent,
      });
    } catch (error) {
      throw kodoTransportError(error, target.operation, target.bucket, target.key);
    }
    if (response.statusCode >= 200 && response.statusCode < 300) return response;
    const text = await response.body.text().catch(() => '');
    throw kodoStatusError(response.statusCode, text, target.operation, target.bucket, target.key);
  }

  /** Sends the request and parses the JSON answer (undefined for an empty body). */
  async json(target: KodoRequestTarget, req: KodoRequest): Promise<unknown> {
    const response = await this.send(target, req);
    let text: string;
    try {
      text = await response.body.text();
    } catch (error) {
      throw kodoTransportError(error, target.operation, target.bucket, target.key);
    }
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw kodoStatusError(
        599,
        `not JSON: ${text.slice(0, 100)}`,
        target.operation,
        target.bucket,
        target.key,
      );
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
