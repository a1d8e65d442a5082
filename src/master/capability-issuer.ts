/**
 * The master's half of capabilities: after the namespace has checked an open or a create, it signs
 * what the worker may do for it (see cluster/capability.ts).
 */
import type { CapabilitySigner, PageFile } from '../cluster/capability.js';
import type { WriteType } from '../cluster/io-types.js';
import type { CreatedFile, FileStatus } from '../namespace/namespace.js';
import type { Caller } from '../namespace/permissions.js';

export class CapabilityIssuer {
  constructor(
    private readonly signer: CapabilitySigner,
    private readonly lifetimeMs: number,
  ) {}

  /** Reading `status` as `caller`: the version it names is the only one the worker will fetch. */
  read(status: FileStatus, caller: Caller, now = Date.now()): string {
    return this.signer.sign({
      access: 'read',
      ...pageFile(status),
      user: caller.user,
      expiresMs: now + this.lifetimeMs,
    });
  }

  /**
   * Reading the files of a listing page as `caller`, `size` entries to a token (readable[i]: the
   * caller may read entry i): the same grants as `read` of each, signed once per token.
   */
  readPage(
    statuses: readonly FileStatus[],
    readable: (status: FileStatus) => boolean,
    caller: Caller,
    size: number,
    now = Date.now(),
  ): string[] {
    const tokens: string[] = [];
    for (let from = 0; from < statuses.length; from += size) {
      tokens.push(
        this.signer.signPage({
          access: 'read-page',
          user: caller.user,
          expiresMs: now + this.lifetimeMs,
          files: statuses
            .slice(from, from + size)
            .map((status) => (!status.isDirectory && readable(status) ? pageFile(status) : null)),
        }),
      );
    }
    return tokens;
  }

  /** Writing the new content of the incomplete file `status` with `writeType`, into the under store at `status.writeUfsPath`. */
  write(status: CreatedFile, writeType: WriteType, caller: Caller, now = Date.now()): string {
    return this.signer.sign({
      access: 'write',
      path: status.path,
      mountPath: status.mountPath,
      ufsPath: status.writeUfsPath,
      ...(status.commitUfsPath === undefined ? {} : { commitUfsPath: status.commitUfsPath }),
      contentId: status.contentId,
      writeType,
      user: caller.user,
      expiresMs: now + this.lifetimeMs,
    });
  }
}

/** What a read capability says of the file `status`. */
function pageFile(status: FileStatus): PageFile {
  const persisted = status.persistence === 'PERSISTED';
  return {
    path: status.path,
    mountPath: status.mountPath,
    ufsPath: status.ufsPath,
    contentId: status.contentId,
    size: status.size,
    persisted,
    ...(persisted && status.ufsFingerprint ? { version: status.ufsFingerprint } : {}),
  };
}
