import { describe, expect, it } from 'vitest';
import { PackedNames } from './packed-names.js';

describe('PackedNames', () => {
  it('gives back every name at its position, across chunks, and finds where a name would go', () => {
    // More than 65,536 names, of different lengths, non-ASCII among them.
    const names = Array.from({ length: 70_000 }, (_, n) =>
      `${n % 7 === 0 ? 'é' : 'f'}${n}`.repeat(1 + (n % 3)),
    );
    names.push('', '🙂x');
    names.sort();
    const packed = PackedNames.of(names);
    expect(packed.length).toBe(names.length);
    for (let i = 0; i < names.length; i++) if (packed.at(i) !== names[i]) expect(packed.at(i)).toBe(names[i]);
    for (const probe of [
      names[0]!,
      names[65_535]!,
      names[65_536]!,
      names.at(-1)!,
      'f5',
      'f50000x',
      'zzz',
      '',
    ]) {
      const expected = names.findIndex((n) => n >= probe);
      expect(packed.lowerBound(probe)).toBe(expected === -1 ? names.length : expected);
    }
    expect(PackedNames.of([]).length).toBe(0);
    expect(PackedNames.of([]).lowerBound('a')).toBe(0);
  });
});
