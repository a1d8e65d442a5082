/**
 * Per-namespace policies (`tenant/namespace`), kept in `<data dir>/<tenant>/<namespace>/policies.json`
 * beside the namespace's topics. An unset field falls back to the configuration: the offload
 * threshold to managedLedgerOffloadAutoTriggerSizeThresholdBytes, the deletion lag to
 * managedLedgerOffloadDeletionLagMs, retention to tierfs.log.retention.size / .time.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonFile, writeJsonFile } from './json-file.js';

export interface NamespacePolicies {
  /** > 0 offload past this many stored bytes; 0 as soon as possible; < 0 disabled. */
  readonly offloadThresholdBytes?: number;
  readonly offloadDeletionLagMs?: number;
  readonly retentionSizeBytes?: number;
  readonly retentionTimeMs?: number;
}

export class NamespacePolicyStore {
  private readonly cache = new Map<string, NamespacePolicies>();

  constructor(private readonly dataDir: string) {}

  async get(namespace: string): Promise<NamespacePolicies> {
    let policies = this.cache.get(namespace);
    if (!policies) {
      policies = (await readJsonFile<NamespacePolicies>(this.file(namespace))) ?? {};
      this.cache.set(namespace, policies);
    }
    return policies;
  }

  /** Merges `change` into the namespace's policies; a field set to undefined is removed. */
  async update(namespace: string, change: Partial<NamespacePolicies>): Promise<NamespacePolicies> {
    const next: Record<string, number | undefined> = { ...(await this.get(namespace)), ...change };
    for (const key of Object.keys(next)) if (next[key] === undefined) delete next[key];
    await mkdir(join(this.dataDir, namespace), { recursive: true });
    await writeJsonFile(this.file(namespace), next);
    this.cache.set(namespace, next);
    return next;
  }

  private file(namespace: string): string {
    return join(this.dataDir, namespace, 'policies.json');
  }
}
