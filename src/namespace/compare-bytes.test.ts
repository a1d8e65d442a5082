import { describe, expect, it } from 'vitest';
import { compareBytes } from './directory-load.js';

describe('compareBytes', () => {
  it('orders names as their UTF-8 bytes do, surrogates and characters past U+E000 included', () => {
    const alphabet = ['a', 'b', 'é', '\u{ffff}', '\u{e000}', '🙂', '𝄞', '\u{d7ff}', ''];
    const names: string[] = [];
    for (const x of alphabet) for (const y of alphabet) names.push(x + y, `q${x}${y}`);
    const bytes = (a: string, b: string) => Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const wrong: string[][] = [];
    for (const a of names)
      for (const b of names) if (Math.sign(compareBytes(a, b)) !== bytes(a, b)) wrong.push([a, b]);
    expect(wrong).toEqual([]);
  });
});
