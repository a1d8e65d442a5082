/**
 * Which bucket and key a request addresses: virtual-hosted (`Host: <bucket>.<domain>`, which is
 * also what ali-oss sends when its endpoint is an IP address), path style (`/<bucket>/<key>`), or
 * single-bucket mode (the whole path is the key).
 */
import { isIP } from 'node:net';
import { OssError } from './errors.js';

export interface Target {
  /** Undefined for service-level requests (`GET /` in path style). */
  readonly bucket: string | undefined;
  /** Decoded key; `''` for bucket-level requests. */
  readonly key: string;
}

export interface AddressingOptions {
  /** Host names that are the gateway itself (never read as `<bucket>.<domain>`). */
  readonly ownHosts: ReadonlySet<string>;
  readonly singleBucket: string | undefined;
}

/**
 * The targets a request may address, most likely first. ali-oss with an IP endpoint rewrites Host
 * to `<bucket>.<region host>` even with `sldEnable`, when the path also starts with the bucket;
 * such a request is ambiguous (is `b` part of the key?), so both readings are returned and the
 * signature, which covers `/bucket/key`, decides. So is a single-bucket gateway's path that starts
 * with the bucket's name.
 */
export function resolveTargets(
  host: string | undefined,
  rawPath: string,
  options: AddressingOptions,
): Target[] {
  const target = resolveTarget(host, rawPath, options);
  const { bucket, key } = target;
  if (bucket !== undefined && (key === bucket || key.startsWith(`${bucket}/`))) {
    const virtual = virtualBucket(host, options);
    if (virtual === bucket) return [{ bucket, key: key.slice(bucket.length + 1) }, target];
    // Single-bucket mode addressed path style (oss2 with an IP endpoint sends `/<bucket>/<key>`
    // even with is_cname): the whole path stays the first reading, the signature decides.
    if (virtual === undefined && options.singleBucket === bucket) {
      return [target, { bucket, key: key.slice(bucket.length + 1) }];
    }
  }
  return [target];
}

export function resolveTarget(host: string | undefined, rawPath: string, options: AddressingOptions): Target {
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    throw new OssError('InvalidObjectName', 'The object name is not valid URL encoding.');
  }
  const virtual = virtualBucket(host, options);
  if (virtual !== undefined) return { bucket: virtual, key: path.replace(/^\//, '') };
  if (options.singleBucket !== undefined)
    return { bucket: options.singleBucket, key: path.replace(/^\//, '') };
  const rest = path.replace(/^\//, '');
  if (rest === '') return { bucket: undefined, key: '' };
  const slash = rest.indexOf('/');
  return slash < 0 ? { bucket: rest, key: '' } : { bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
}

/**
 * The bucket named by a `Host: <bucket>.<domain>` that is not the gateway's own name or an IP, as
 * the client wrote it: the client signed `/<bucket>/...` with that spelling, so an upper-case name
 * (which OSS refuses) gets its InvalidBucketName or NoSuchBucket, not a SignatureDoesNotMatch for
 * a bucket it never named. Host names compare case-insensitively.
 */
function virtualBucket(host: string | undefined, options: AddressingOptions): string | undefined {
  const sent = stripPort(host ?? '');
  const hostname = sent.toLowerCase();
  const dot = hostname.indexOf('.');
  return dot > 0 && isIP(hostname) === 0 && !options.ownHosts.has(hostname) ? sent.slice(0, dot) : undefined;
}

function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon >= 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}
