import { PassThrough } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { BytesReadable } from './bytes-readable.js';

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe('BytesReadable', () => {
  it('hands its bytes to `for await` once, the very buffer, then ends and closes as a Readable does', async () => {
    const bytes = Buffer.from('four');
    const stream = new BytesReadable(bytes);
    const ended = finished(stream);
    const closed = new Promise((resolve) => stream.once('close', resolve));
    const chunks = await collect(stream);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toBe(bytes);
    await ended;
    await closed;
    expect(stream.readableEnded).toBe(true);
    expect(stream.destroyed).toBe(true);
    expect(await collect(stream)).toEqual([]);
  });

  it('is a Readable to every other reader: data events and end, pipes', async () => {
    const stream = new BytesReadable(Buffer.from('abc'));
    const seen: string[] = [];
    stream.on('data', (chunk: Buffer) => seen.push(chunk.toString()));
    await new Promise((resolve) => stream.once('end', resolve));
    expect(seen).toEqual(['abc']);
    const out = new PassThrough();
    const piped = collect(out);
    await pipeline(new BytesReadable(Buffer.from('xyz')), out);
    expect(Buffer.concat(await piped).toString()).toBe('xyz');
  });

  it('an empty one ends at once; one read in part first is iterated as any Readable', async () => {
    expect(await collect(new BytesReadable(Buffer.alloc(0)))).toEqual([]);
    const stream = new BytesReadable(Buffer.from('hello'));
    await new Promise((resolve) => stream.once('readable', resolve));
    expect(stream.read(2)?.toString()).toBe('he');
    expect(Buffer.concat(await collect(stream)).toString()).toBe('llo');
  });

  it('breaking out of the loop destroys it', async () => {
    const stream = new BytesReadable(Buffer.from('x'));
    for await (const _ of stream) break;
    expect(stream.destroyed).toBe(true);
  });
});
