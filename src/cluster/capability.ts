/**
 * Capabilities: what the master allows one open or create to do, signed with the cluster secret
 * (HMAC-SHA256), as HDFS block tokens are. The worker serves nothing without one and believes
 * nothing a request says beyond it: the path, the mount, the UFS path, the content id, the version
 * and the size all come from the capability.
 *
 * A token is `v1.<base64url(JSON payload)>.<base64url(MAC)>`. The payload is readable by whoever
 * holds the token (it is not a secret, only unforgeable); the MAC key is derived from the cluster
 * secret for this use alone.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { TierfsError } from '../errors.js';
import type { WriteType } from './io-types.js';

interface CapabilityBase {
  /** Namespace path, for logs and errors. */
  readonly path: string;
  /** The mount the file belongs to and its path in that mount's under store. */
  readonly mountPath: string;
  readonly ufsPath: string;
  /** Page-cache identity of the content: one version of one file. */
  readonly contentId: string;
  /** The user the master checked the access for. */
  readonly user: string;
  /** Milliseconds since the epoch after which the capability is refused. */
  readonly expiresMs: number;
}

export interface ReadCapability extends CapabilityBase {
  readonly access: 'read';
  readonly size: number;
  /** The file is in the under store: misses may be fetched from it. */
  readonly persisted: boolean;
  /** The under store's fingerprint of the version to read; fetches of any other version fail STALE. */
  readonly version?: string;
}

export interface WriteCapability extends CapabilityBase {
  readonly access: 'write';
  readonly writeType: WriteType;
  /**
   * When `ufsPath` is a temporary object the master moves over the file once the write completes:
   * the file's own path in the under store (a write that needs parts uploads them there, left open
   * for the master to complete).
   */
  readonly commitUfsPath?: string;
}

export type Capability = ReadCapability | WriteCapability;

/** What a page capability says of one file of it: a ReadCapability less what the page says once. */
export type PageFile = Omit<ReadCapability, 'access' | 'user' | 'expiresMs'>;

/**
 * The read capabilities of a run of files of one listing page in one token (open-list with
 * `pageCapability`): signed once by the master, checked once by a worker, which then serves each
 * read that names the token's MAC and a file's index as it serves a read with that file's own
 * capability. `files[i]` is null where the caller may not read the entry (or it is a directory).
 */
export interface PageCapability {
  readonly access: 'read-page';
  readonly user: string;
  readonly expiresMs: number;
  readonly files: readonly (PageFile | null)[];
}

/** The MAC part of a token: how a worker that has checked a page capability knows it again. */
export function macOf(token: string): string {
  return token.slice(token.lastIndexOf('.') + 1);
}

/** File `index` of a checked page capability as the read capability it stands for, or undefined. */
export function fileOfPage(page: PageCapability, index: number): ReadCapability | undefined {
  const file = Number.isSafeInteger(index) ? page.files[index] : undefined;
  if (!file) return undefined;
  return { ...file, access: 'read', user: page.user, expiresMs: page.expiresMs };
}

/**
 * What a worker stored for a write capability, signed by the worker: the master completes a file
 * with these figures, not with what the client says.
 */
export interface StoredReceipt {
  readonly contentId: string;
  readonly size: number;
  /** Fingerprint of the object written to the under store (synchronous write types). */
  readonly ufsFingerprint?: string;
  /** The worker holding the data (it persists ASYNC_THROUGH files). */
  readonly workerId: string;
  /** The multipart upload left open at the file's key for the master to complete (UfsWriteStream.pendingUpload). */
  readonly pendingUpload?: string;
}

const PREFIX = 'v1';

export class CapabilitySigner {
  private readonly key: Buffer;
  private readonly receiptKey: Buffer;
  private readonly pageKey: Buffer;

  /** `secret` is the cluster secret `tierfs format` wrote. */
  constructor(secret: string) {
    if (secret.length < 16)
      throw new TierfsError('CONFIG_INVALID', 'the cluster secret is too short to sign with');
    this.key = createHmac('sha256', secret).update('tierfs capability v1').digest();
    this.receiptKey = createHmac('sha256', secret).update('tierfs receipt v1').digest();
    this.pageKey = createHmac('sha256', secret).update('tierfs page capability v1').digest();
  }

  /** A page capability (its own key: neither a file capability nor a receipt passes for one). */
  signPage(page: PageCapability): string {
    return seal(this.pageKey, page);
  }

  /** The page capability a token carries; UNAUTHENTICATED when it is malformed, forged or expired. */
  verifyPage(token: string | undefined, now = Date.now()): PageCapability {
    const page = pageOf(open(this.pageKey, token, 'page capability'));
    if (!(page.expiresMs > now)) {
      throw new TierfsError('UNAUTHENTICATED', 'the page capability has expired: list the directory again');
    }
    return page;
  }

  sign(capability: Capability): string {
    return seal(this.key, capability);
  }

  signReceipt(receipt: StoredReceipt): string {
    return seal(this.receiptKey, receipt);
  }

  /** The receipt a token carries; UNAUTHENTICATED when it is malformed or not signed by this cluster. */
  verifyReceipt(token: string | undefined): StoredReceipt {
    const payload = open(this.receiptKey, token, 'receipt');
    try {
      const value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as StoredReceipt;
      if (typeof value.contentId !== 'string' || !Number.isSafeInteger(value.size))
        throw new Error('not a receipt');
      return value;
    } catch {
      throw new TierfsError('UNAUTHENTICATED', 'malformed receipt');
    }
  }

  /** The capability a token carries; UNAUTHENTICATED when it is malformed, forged or expired. */
  verify(token: string | undefined, now = Date.now()): Capability {
    if (token === undefined || token === '') {
      throw new TierfsError(
        'UNAUTHENTICATED',
        'no capability: open or create the file through the master first',
      );
    }
    open(this.key, token, 'capability');
    const capability = decodeCapability(token);
    if (!(capability.expiresMs > now)) {
      throw new TierfsError(
        'UNAUTHENTICATED',
        `the capability for ${capability.path} has expired: open the file again`,
      );
    }
    return capability;
  }
}

function seal(key: Buffer, value: object): string {
  const payload = Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
  return `${PREFIX}.${payload}.${createHmac('sha256', key).update(payload).digest('base64url')}`;
}

/** The payload of a sealed token once its MAC is checked; UNAUTHENTICATED naming `what` otherwise. */
function open(key: Buffer, token: string | undefined, what: string): string {
  const [prefix, payload, mac, ...rest] = (token ?? '').split('.');
  if (prefix !== PREFIX || !payload || !mac || rest.length > 0) {
    throw new TierfsError('UNAUTHENTICATED', `malformed ${what}`);
  }
  const presented = Buffer.from(mac, 'base64url');
  const expected = createHmac('sha256', key).update(payload).digest();
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    throw new TierfsError('UNAUTHENTICATED', `the ${what} is not signed by this cluster`);
  }
  return payload;
}

/** The payload of a page capability, unchecked: which files a client's page capability grants. */
export function decodePageCapability(token: string): PageCapability {
  return pageOf(token.split('.')[1] ?? '');
}

/** A page capability's base64url payload, parsed; UNAUTHENTICATED when it is not one. */
function pageOf(payload: string): PageCapability {
  try {
    const page = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as PageCapability;
    if (page.access !== 'read-page' || !Array.isArray(page.files) || typeof page.expiresMs !== 'number')
      throw new Error('not a page capability');
    return page;
  } catch {
    throw new TierfsError('UNAUTHENTICATED', 'malformed page capability');
  }
}

/** The payload of a token, unchecked: what a client may read of its own capability. */
export function decodeCapability(token: string): Capability {
  try {
    const payload = token.split('.')[1] ?? '';
    const value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Capability;
    if (
      typeof value !== 'object' ||
      value === null ||
      (value.access !== 'read' && value.access !== 'write')
    ) {
      throw new Error('not a capability');
    }
    return value;
  } catch {
    throw new TierfsError('UNAUTHENTICATED', 'malformed capability');
  }
}
