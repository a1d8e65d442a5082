import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { dropWritten, pipeToFd, type Writev } from './fd-pipe.js';

const dir = mkdtempSync(join(tmpdir(), 'fd-pipe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function chunks(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) out.push(data.subarray(at, at + size));
  return out;
}

describe('pipeToFd', () => {
  it('writes every byte in order to the descriptor', async () => {
    const data = randomBytes(3 * 2 ** 20 + 5);
    const file = join(dir, 'out.bin');
    const fd = openSync(file, 'w');
    try {
      await pipeToFd(Readable.from(chunks(data, 40_000)), fd);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(file).equals(data)).toBe(true);
  });

  it('gathers the chunks that arrive during a write into one writev, and finishes partial writes', async () => {
    const calls: number[] = [];
    const got: Buffer[] = [];
    let release: (() => void) | undefined;
    // The first write waits until released and takes only 3 bytes; later ones take up to 1000 bytes.
    const writev: Writev = async (_fd, buffers) => {
      calls.push(buffers.length);
      if (calls.length === 1) await new Promise<void>((r) => (release = r));
      const all = Buffer.concat(buffers);
      const n = Math.min(all.length, calls.length === 1 ? 3 : 1000);
      got.push(all.subarray(0, n));
      return n;
    };
    const source = new PassThrough();
    const piping = pipeToFd(source, 99, { writev });
    source.write(Buffer.from('first'));
    await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 50; i++) source.write(Buffer.from(`-${i}`));
    source.end();
    // Let the pipe take in everything while the first write is still under way.
    for (let i = 0; i < 1000 && !source.readableEnded; i++) await new Promise((r) => setImmediate(r));
    expect(source.readableEnded).toBe(true);
    release!();
    await piping;
    const expected = `first${Array.from({ length: 50 }, (_, i) => `-${i}`).join('')}`;
    expect(Buffer.concat(got).toString()).toBe(expected);
    expect(calls[0]).toBe(1);
    expect(calls[1]).toBe(1); // the rest of the first chunk
    expect(calls[2]).toBe(50); // all that arrived meanwhile, in one writev
  });

  it('stops reading the source while more than the high-water mark waits to be written', async () => {
    let release: (() => void) | undefined;
    const released = new Promise<void>((r) => (release = r));
    const writev: Writev = async (_fd, buffers) => {
      await released;
      return buffers.reduce((n, b) => n + b.length, 0);
    };
    let pulled = 0;
    const source = new Readable({
      highWaterMark: 1024,
      read() {
        pulled++;
        this.push(pulled > 1000 ? null : Buffer.alloc(1024));
      },
    });
    const piping = pipeToFd(source, 99, { writev, highWater: 8 * 1024 });
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    // 8 KiB queued plus the Readable's own small buffer, not the whole 1,000 KiB source.
    expect(pulled).toBeLessThan(16);
    source.destroy();
    release!();
    await piping.catch(() => undefined);
  });

  it('fails with the write error (EPIPE when the reader went away) and stops reading', async () => {
    const writev: Writev = async () => {
      throw Object.assign(new Error('broken pipe'), { code: 'EPIPE' });
    };
    const source = Readable.from(chunks(randomBytes(1 << 20), 1024));
    await expect(pipeToFd(source, 99, { writev })).rejects.toMatchObject({ code: 'EPIPE' });
    expect(source.destroyed).toBe(true);
  });

  it('goes on through the fallback stream when the descriptor is non-blocking and full', async () => {
    const writev: Writev = async () => {
      throw Object.assign(new Error('try again'), { code: 'EAGAIN' });
    };
    const fallback = new PassThrough();
    const got: Buffer[] = [];
    fallback.on('data', (c: Buffer) => got.push(c));
    await pipeToFd(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), 99, { writev, fallback });
    expect(Buffer.concat(got).toString()).toBe('abcd');
  });
});

describe('dropWritten', () => {
  it('drops whole and partial buffers', () => {
    const bufs = [Buffer.from('abc'), Buffer.from('de'), Buffer.from('f')];
    expect(dropWritten(bufs, 0).map(String)).toEqual(['abc', 'de', 'f']);
    expect(dropWritten(bufs, 4).map(String)).toEqual(['e', 'f']);
    expect(dropWritten(bufs, 5).map(String)).toEqual(['f']);
    expect(dropWritten(bufs, 6)).toEqual([]);
  });
});
