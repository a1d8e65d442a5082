/**
 * An HTTP proxy for tests that sits between the S3 client and s3rver: a reverse proxy (point the
 * endpoint at it) and a forward proxy (set it as tierfs.underfs.s3.proxy.host/port) at once. It
 * records every request and injects faults on the requests a rule matches: a dropped connection,
 * a 500, a 503 SlowDown, a stall (no response until the client gives up), a lost answer (the
 * request reaches the target, which acts on it, and the connection drops before its answer), a
 * hold (the request waits at the proxy until the rule's `release` resolves, then goes through), or
 * a held body (the head goes back, the body only once the rule's `until` settles).
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault = 'drop' | 'error500' | 'slowdown' | 'stall' | 'loseAnswer' | 'hold' | 'holdBody';

export interface SeenRequest {
  readonly method: string;
  /** Path and query as sent to the target. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  /** True when the client sent the absolute-form URI of a forward proxy request. */
  readonly forwarded: boolean;
  /** The client's port: requests with the same one came on the same connection. */
  readonly clientPort: number;
  /** The fault injected, if any. */
  readonly fault?: Fault;
  /** When the request arrived and its response ended (performance.now()). */
  readonly started: number;
  ended?: number;
  /** Status of the response that went back. */
  status?: number;
}

export interface FaultRule {
  readonly match: (request: SeenRequest) => boolean;
  readonly fault: Fault;
  /** How many matching requests get the fault (default 1). */
  times?: number;
  /** `hold`: the request goes on once this resolves. */
  readonly release?: Promise<void>;
  /** holdBody: the answer's head goes back at once, its body once this settles. */
  readonly until?: Promise<void>;
}

export interface FaultProxy {
  readonly endpoint: string;
  readonly port: number;
  readonly requests: SeenRequest[];
  readonly rules: FaultRule[];
  /** Requests of one S3 operation, e.g. count('POST', 'uploads'). */
  count(method: string, queryKey?: string): number;
  /** The most requests matching `filter` that were in flight at once. */
  peak(filter: (request: SeenRequest) => boolean): number;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const requests: SeenRequest[] = [];
  const rules: FaultRule[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const forwarded = /^https?:\/\//i.test(req.url ?? '');
    const url = new URL(req.url ?? '/', forwarded ? undefined : upstream);
    const seen: SeenRequest = {
      started: performance.now(),
      method: req.method ?? 'GET',
      path: `${url.pathname}${url.search}`,
      query: url.searchParams,
      headers: req.headers,
      forwarded,
      clientPort: req.socket.remotePort ?? 0,
    };
    const rule = rules.find((r) => (r.times ?? 1) > 0 && r.match(seen));
    if (rule) rule.times = (rule.times ?? 1) - 1;
    const recorded: SeenRequest = rule ? { ...seen, fault: rule.fault } : seen;
    requests.push(recorded);
    res.on('close', () => {
      recorded.ended = performance.now();
      recorded.status = res.statusCode;
    });
    switch (rule?.fault) {
      case 'drop':
        req.socket.destroy();
        return;
      case 'stall':
        req.resume();
        return;
      case 'error500':
      case 'slowdown': {
        req.resume();
        const [status, code] = rule.fault === 'slowdown' ? [503, 'SlowDown'] : [500, 'InternalError'];
        res.writeHead(status, { 'content-type': 'application/xml' });
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected</Message></Error>`,
        );
        return;
      }
    }
    if (rule?.fault === 'hold') {
      req.pause();
      void (rule.release ?? Promise.resolve()).then(() => forward(req, res, seen.path, undefined));
      return;
    }
    forward(req, res, seen.path, rule);
  });
  const forward = (req: IncomingMessage, res: ServerResponse, path: string, rule: FaultRule | undefined) => {
    const out = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path,
        agent: false,
        headers: req.headers,
      },
      (response) => {
        if (rule?.fault === 'loseAnswer') {
          response.resume();
          response.on('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(response.statusCode ?? 502, response.headers);
        if (rule?.fault === 'holdBody') {
          res.flushHeaders();
          response.pause();
          void (rule.until ?? Promise.resolve()).finally(() => response.pipe(res));
          return;
        }
        response.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  };
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    requests,
    rules,
    count: (method, queryKey) =>
      requests.filter((r) => r.method === method && (queryKey === undefined || r.query.has(queryKey))).length,
    peak(filter) {
      const events = requests
        .filter(filter)
        .flatMap((r): [number, number][] => [
          [r.started, 1],
          [r.ended ?? Number.POSITIVE_INFINITY, -1],
        ])
        .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      let current = 0;
      let most = 0;
      for (const [, delta] of events) {
        current += delta;
        most = Math.max(most, current);
      }
      return most;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
