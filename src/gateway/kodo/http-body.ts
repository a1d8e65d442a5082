/** Reading requests: small bodies (management calls, JSON) with a size cap, and paths. */
import type { IncomingMessage } from 'node:http';
import { badRequest, KODO_STATUS, KodoError } from './errors.js';

/**
 * The whole body, or 413 once it is past `maxBytes`: the rest is still read and discarded, so the
 * answer reaches the client on a connection that stays usable.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > maxBytes) {
        reject(new KodoError(KODO_STATUS.TOO_LARGE, `request body larger than ${maxBytes} bytes`));
      } else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/** Discards the rest of a request body answered early, so the connection stays usable. */
export function drain(req: IncomingMessage): void {
  if (!req.readableEnded) req.resume();
}

/** A percent-decoded path segment; malformed escapes are a 400, not a server failure. */
export function decodePath(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw badRequest(`malformed percent-encoding in '${text}'`);
  }
}
