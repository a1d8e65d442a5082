/**
 * The request limits of the services the gateways speak, as data: each dialect refuses what its
 * service refuses, with its own error code (see the dialect's errors).
 */
export interface ServiceLimits {
  /** Most parts one multipart upload may have. */
  readonly maxParts: number;
  /** Most bytes of user metadata (names without the prefix, plus values, as UTF-8). */
  readonly maxUserMetadataBytes: number;
  /** Largest body of a single PUT and of one part. */
  readonly maxSinglePutBytes: number;
}

const GIB = 1024 ** 3;

export const S3_LIMITS: ServiceLimits = {
  maxParts: 10_000,
  maxUserMetadataBytes: 2 * 1024,
  maxSinglePutBytes: 5 * GIB,
};
export const OSS_LIMITS: ServiceLimits = {
  maxParts: 10_000,
  maxUserMetadataBytes: 8 * 1024,
  maxSinglePutBytes: 5 * GIB,
};

/** Bytes of user metadata as S3 and OSS count them: each name and value, as sent. */
export function userMetadataBytes(meta: Readonly<Record<string, string>>): number {
  let total = 0;
  for (const [name, value] of Object.entries(meta)) {
    // Header text arrives one char per byte (latin1): its length is its size on the wire.
    total += Buffer.byteLength(name, 'latin1') + Buffer.byteLength(value, 'latin1');
  }
  return total;
}

/** How many times `needle` occurs in `text` (to count `<Part>` elements before parsing a body). */
export function occurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
}

/** The body length a request declares (decoded length for aws-chunked bodies), when it declares one. */
export function declaredLength(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): number | undefined {
  const value = headers['x-amz-decoded-content-length'] ?? headers['content-length'];
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}
