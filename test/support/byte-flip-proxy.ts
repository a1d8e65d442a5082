/**
 * A reverse proxy on loopback that records the PUTs it forwards and flips one byte in the middle
 * of the body of chosen ones: a byte changed on the way, for tests of what a store refuses.
 */
import { createHash } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenPut {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** SHA-256 (hex) of the body as the client sent it, before any corruption. */
  readonly sentSha256: string;
  /** MD5 (base64, as Content-MD5 has it) of the body as the client sent it. */
  readonly sentMd5: string;
  status?: number;
}

export interface ByteFlipProxy {
  readonly endpoint: string;
  /** PUTs forwarded since the last reset. */
  readonly puts: SeenPut[];
  /** Flip a byte of the PUTs whose path (with query) this accepts; undefined: none. */
  corrupt: ((path: string) => boolean) | undefined;
  /** Changes the answer headers of a PUT before the client sees them (a store that stored other bytes). */
  rewriteAnswer: ((path: string, headers: IncomingHttpHeaders) => void) | undefined;
  /** Forgets the recorded PUTs and stops corrupting. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * `methods`: the requests recorded (in `puts`) and corruptible, PUT by default (Kodo's form upload
 * is a POST).
 */
export async function startByteFlipProxy(
  targetEndpoint: string,
  { methods = ['PUT'] }: { methods?: readonly string[] } = {},
): Promise<ByteFlipProxy> {
  const target = new URL(targetEndpoint);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const seen: SeenPut | undefined = methods.includes(req.method ?? '')
        ? {
            path: req.url!,
            headers: req.headers,
            sentSha256: createHash('sha256').update(body).digest('hex'),
            sentMd5: createHash('md5').update(body).digest('base64'),
          }
        : undefined;
      if (seen) proxy.puts.push(seen);
      const sent = Buffer.from(body);
      if (seen && sent.length > 0 && proxy.corrupt?.(req.url!)) sent[sent.length >> 1]! ^= 0x01;
      const headers = { ...req.headers };
      delete headers.expect;
      const out = httpRequest(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
        (answer) => {
          if (seen) seen.status = answer.statusCode;
          const answered = { ...answer.headers };
          if (seen) proxy.rewriteAnswer?.(req.url!, answered);
          res.writeHead(answer.statusCode ?? 502, answered);
          answer.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      out.end(sent);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: ByteFlipProxy = {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    puts: [],
    corrupt: undefined,
    rewriteAnswer: undefined,
    reset() {
      proxy.puts.length = 0;
      proxy.corrupt = undefined;
      proxy.rewriteAnswer = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return proxy;
}
