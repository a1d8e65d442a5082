/**
 * The checksum kept with an object (S3's "full object" or "composite" x-amz-checksum-*), and
 * S3's rules for multipart uploads with one: the algorithm and type CreateMultipartUpload fixes,
 * the part checksums a CompleteMultipartUpload must name (and which must match what was
 * uploaded), the composite checksum of the parts (`base64(H(part digests))-N`) and the answers to
 * GetObject/HeadObject with `x-amz-checksum-mode: ENABLED`.
 */
import {
  CHECKSUM_ALGORITHMS,
  type ChecksumAlgorithm,
  checksumHeaderName,
  newChecksum,
  validChecksumValue,
} from './checksums.js';
import { S3Error } from './errors.js';

export type ChecksumType = 'COMPOSITE' | 'FULL_OBJECT';

/** What an object is stored with: its algorithm, type and base64 value (`-N` for COMPOSITE). */
export interface StoredChecksum {
  readonly algorithm: ChecksumAlgorithm;
  readonly type: ChecksumType;
  readonly value: string;
}

/** What a multipart upload was created with (x-amz-checksum-algorithm, x-amz-checksum-type). */
export interface UploadChecksum {
  readonly algorithm: ChecksumAlgorithm;
  readonly type: ChecksumType;
}

/** The XML element / SDK field of an algorithm: ChecksumCRC32, ChecksumCRC64NVME, ... */
export function checksumElement(algorithm: ChecksumAlgorithm): string {
  return `Checksum${algorithm.toUpperCase()}`;
}

function invalid(message: string): S3Error {
  return new S3Error('InvalidRequest', message);
}

/**
 * The checksum of a CreateMultipartUpload, from `x-amz-checksum-algorithm` and `x-amz-checksum-type`:
 * COMPOSITE by default, FULL_OBJECT for CRC64NVME (the only type it has); SHA1 and SHA256 are
 * COMPOSITE only; a type without an algorithm is refused.
 */
export function uploadChecksum(
  algorithmHeader: string | undefined,
  typeHeader: string | undefined,
): UploadChecksum | undefined {
  const type = typeHeader?.trim().toUpperCase();
  if (type !== undefined && type !== 'COMPOSITE' && type !== 'FULL_OBJECT') {
    throw invalid(
      `Value for x-amz-checksum-type header is invalid: ${typeHeader}. Use COMPOSITE or FULL_OBJECT.`,
    );
  }
  if (algorithmHeader === undefined) {
    if (type !== undefined) {
      throw invalid(
        'The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.',
      );
    }
    return undefined;
  }
  const algorithm = algorithmHeader.trim().toLowerCase() as ChecksumAlgorithm;
  if (!CHECKSUM_ALGORITHMS.includes(algorithm)) {
    throw invalid(
      `Checksum algorithm provided is unsupported: ${algorithmHeader}. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]`,
    );
  }
  const chosen: ChecksumType = type ?? (algorithm === 'crc64nvme' ? 'FULL_OBJECT' : 'COMPOSITE');
  if (chosen === 'COMPOSITE' && algorithm === 'crc64nvme') {
    throw invalid('The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.');
  }
  if (chosen === 'FULL_OBJECT' && (algorithm === 'sha1' || algorithm === 'sha256')) {
    throw invalid(`The FULL_OBJECT checksum type cannot be used with the ${algorithm} checksum algorithm.`);
  }
  return { algorithm, type: chosen };
}

/** The response headers naming an upload's checksum (CreateMultipartUpload). */
export function uploadChecksumHeaders(checksum: UploadChecksum | undefined): Record<string, string> {
  if (checksum === undefined) return {};
  return {
    'x-amz-checksum-algorithm': checksum.algorithm.toUpperCase(),
    'x-amz-checksum-type': checksum.type,
  };
}

/** A part's checksum as staged: `algorithm:base64`. */
export function encodePartChecksum(algorithm: ChecksumAlgorithm, value: string): string {
  return `${algorithm}:${value}`;
}

export function decodePartChecksum(
  text: string | undefined,
): { algorithm: ChecksumAlgorithm; value: string } | undefined {
  if (text === undefined) return undefined;
  const colon = text.indexOf(':');
  return { algorithm: text.slice(0, colon) as ChecksumAlgorithm, value: text.slice(colon + 1) };
}

/** The checksums a `<Part>` of CompleteMultipartUpload names, by algorithm. */
export type NamedChecksums = Partial<Record<ChecksumAlgorithm, string>>;

const INVALID_PART =
  "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not have matched the part's entity tag.";

/**
 * Checks the checksums a Complete request names for each chosen part against those staged: a
 * value that is not the part's (or of an algorithm the part was not uploaded with) is InvalidPart,
 * as in S3; an upload created with a COMPOSITE checksum needs each part's.
 */
export function checkNamedChecksums(
  upload: UploadChecksum | undefined,
  parts: readonly { partNumber: number; staged: string | undefined; named: NamedChecksums }[],
): void {
  for (const { partNumber, staged, named } of parts) {
    const kept = decodePartChecksum(staged);
    for (const [algorithm, value] of Object.entries(named) as [ChecksumAlgorithm, string][]) {
      if (kept === undefined || kept.algorithm !== algorithm || kept.value !== value) {
        throw new S3Error(
          'InvalidPart',
          `${INVALID_PART} Part ${partNumber}: its ${checksumElement(algorithm)} is not that of the part uploaded.`,
        );
      }
    }
    if (upload?.type === 'COMPOSITE' && named[upload.algorithm] === undefined) {
      throw invalid(
        `The upload was created using a ${upload.algorithm} checksum. The complete request must include the checksum for each part. It was missing for part ${partNumber} in the request.`,
      );
    }
  }
}

/** The composite checksum of parts (their base64 digests in order): base64(H(digests))-N. */
export function compositeChecksum(algorithm: ChecksumAlgorithm, partValues: readonly string[]): string {
  const sum = newChecksum(algorithm);
  for (const value of partValues) sum.update(Buffer.from(value, 'base64'));
  return `${sum.digest().toString('base64')}-${partValues.length}`;
}

/**
 * The full-object checksum a CompleteMultipartUpload declares in an x-amz-checksum-<algorithm>
 * header (FULL_OBJECT uploads only; compared once the object is assembled).
 */
export function declaredFullChecksum(
  upload: UploadChecksum | undefined,
  header: (name: string) => string | undefined,
  typeHeader: string | undefined,
): string | undefined {
  if (typeHeader !== undefined && typeHeader.trim().toUpperCase() !== (upload?.type ?? '')) {
    throw invalid(
      upload === undefined
        ? 'The upload was created without a checksum: the complete request takes no x-amz-checksum-type.'
        : `The upload was created using the ${upload.type} checksum mode. The complete request must use the same checksum mode.`,
    );
  }
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const value = header(checksumHeaderName(algorithm));
    if (value === undefined) continue;
    if (upload?.algorithm !== algorithm) {
      throw invalid(
        `The ${checksumHeaderName(algorithm)} header does not name the algorithm the upload was created with (${upload?.algorithm ?? 'none'}).`,
      );
    }
    if (upload.type === 'COMPOSITE') return undefined; // S3 takes the composite value the SDKs send.
    if (!validChecksumValue(algorithm, value.trim())) {
      throw invalid(`Value for ${checksumHeaderName(algorithm)} header is invalid.`);
    }
    return value.trim();
  }
  return undefined;
}

/** x-amz-checksum-* and x-amz-checksum-type for a GET/HEAD with `x-amz-checksum-mode: ENABLED`. */
export function checksumResponseHeaders(checksum: StoredChecksum | undefined): Record<string, string> {
  if (checksum === undefined) return {};
  return { [checksumHeaderName(checksum.algorithm)]: checksum.value, 'x-amz-checksum-type': checksum.type };
}

/** The checksum elements of an XML answer (CompleteMultipartUpload, ListParts). */
export function checksumElements(
  algorithm: ChecksumAlgorithm | undefined,
  value: string | undefined,
  type?: ChecksumType,
): Record<string, string> {
  if (algorithm === undefined || value === undefined) return {};
  return { [checksumElement(algorithm)]: value, ...(type ? { ChecksumType: type } : {}) };
}
