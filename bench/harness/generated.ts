/** A stream of `total` random bytes in 1 MiB chunks, made as it is read (no file, bounded memory). */
import { randomFillSync } from 'node:crypto';
import { Readable } from 'node:stream';

const MiB = 1024 * 1024;

export function generated(total: number): Readable {
  let sent = 0;
  return new Readable({
    highWaterMark: MiB,
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      const chunk = randomFillSync(Buffer.allocUnsafe(Math.min(MiB, total - sent)));
      sent += chunk.length;
      this.push(chunk);
    },
  });
}
