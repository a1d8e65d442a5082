/**
 * The one `Range: bytes=...` parser the three dialects share (RFC 9110 §14.1.2, a single range).
 * It says what the header asks of an object of `size` bytes; each dialect decides what an
 * unsatisfiable range means on its wire (S3 InvalidRange, Kodo 416, OSS serves the whole object).
 */

export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

/**
 * undefined: serve the whole object (no header, one that is not a single valid range such as
 * several ranges or `bytes=9-3`); 'unsatisfiable': a valid range that selects no byte (it starts
 * at or past the end, or is an empty suffix, or the object is empty); else the bytes asked for,
 * clipped to the object.
 */
export function parseByteRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/.exec(header);
  if (!match) return undefined;
  const first = match[1] as string;
  const last = match[2] as string;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    const length = Math.min(suffix, size);
    return { offset: size - length, length };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  return { offset: start, length: end - start + 1 };
}
