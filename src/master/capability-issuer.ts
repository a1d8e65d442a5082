/**
 * The master's half of capabilities: after the namespace has checked an open or a create, it signs
 * what the worker may do for it (see cluster/capability.ts).
 */
import type { CapabilitySigner } from '../cluster/capability.js';
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
    const persisted = status.persistence === 'PERSISTED';
    return this.signer.sign({
      access: 'read',
      path: status.path,
      mountPath: status.mountPath,
      ufsPath: status.ufsPath,
      contentId: status.contentId,
      size: status.size,
      persisted,
      ...(persisted && status.ufsFingerprint ? { version: status.ufsFingerprint } : {}),
      user: caller.user,
      expiresMs: now + this.lifetimeMs,
    });
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
