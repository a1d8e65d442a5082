/**
 * A forward HTTP proxy for OSS driver tests (the driver reaches it through fs.oss.proxy.*): it
 * records every request line, can answer some requests itself (fault injection) and forwards the
 * rest to the gateway. Tracks how many UploadPart requests were in flight at once and how many
 * the gateway answered.
 */
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordingProxy {
  readonly port: number;
  /** `METHOD absolute-url` of every request, in arrival order. */
  readonly requests: string[];
  readonly maxPartsInFlight: () => number;
  /** UploadPart requests the gateway has answered. */
  readonly partsAnswered: () => number;
  /** Answers a request instead of the gateway when it returns true. */
  intercept: (req: IncomingMessage, res: ServerResponse) => boolean;
  close(): Promise<void>;
}

export async function startRecordingProxy(): Promise<RecordingProxy> {
  const requests: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let answered = 0;
  const proxy: RecordingProxy = {
    port: 0,
    requests,
    maxPartsInFlight: () => maxInFlight,
    partsAnswered: () => answered,
    intercept: () => false,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (proxy.intercept(req, res)) return;
    const isPart = req.method === 'PUT' && /[?&]partNumber=/.test(req.url ?? '');
    if (isPart) maxInFlight = Math.max(maxInFlight, ++inFlight);
    const target = new URL(req.url ?? '/');
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: target.pathname + target.search,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.once('end', () => {
          if (!isPart) return;
          inFlight--;
          answered++;
        });
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(proxy, { port: (server.address() as AddressInfo).port });
}
