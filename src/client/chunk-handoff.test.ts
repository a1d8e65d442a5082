import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { ChunkHandoff } from './chunk-handoff.js';

describe('ChunkHandoff', () => {
  it('hands the very chunks written over, in order, completing a write only when the next is pulled', async () => {
    const handoff = new ChunkHandoff();
    const written = [Buffer.from('a'), Buffer.from('bc'), Buffer.from('def')];
    const completed: number[] = [];
    const stream = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, callback) {
        handoff.push(chunk, () => {
          completed.push(written.findIndex((w) => w === chunk));
          callback();
        });
      },
      final(callback) {
        handoff.end();
        callback();
      },
    });
    const feeding = pipeline(Readable.from(written), stream);
    const received: Buffer[] = [];
    for await (const chunk of handoff) {
      // The consumer holds this chunk: its write is not complete yet.
      expect(completed).not.toContain(received.length);
      received.push(chunk);
    }
    await feeding;
    expect(received.length).toBe(3);
    // The same Buffer objects: not copies.
    for (let i = 0; i < 3; i++) expect(received[i]).toBe(written[i]);
    expect(completed).toEqual([0, 1, 2]);
  });

  it('fails the consumer when the writer gives up', async () => {
    const handoff = new ChunkHandoff();
    handoff.push(Buffer.from('x'), () => undefined);
    const iterator = handoff[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual(Buffer.from('x'));
    handoff.fail(new Error('abandoned'));
    await expect(iterator.next()).rejects.toThrow('abandoned');
  });
});
