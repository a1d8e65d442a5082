/**
 * Topic names: `tenant/namespace/topic`, also written `persistent://tenant/namespace/topic` as
 * Pulsar prints them. Each part is a safe path segment, since a topic is a directory of the data
 * dir and a prefix of its offloaded object keys.
 */
import { TierfsError } from '../errors.js';

export interface TopicName {
  readonly tenant: string;
  readonly namespace: string;
  readonly topic: string;
  /** `tenant/namespace/topic`: the directory below the data dir and the object key prefix. */
  readonly path: string;
  /** `tenant/namespace`. */
  readonly namespaceName: string;
  /** `persistent://tenant/namespace/topic`, as Pulsar prints it. */
  readonly persistent: string;
}

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.=-]*$/;
const PERSISTENT = 'persistent://';

function checkSegments(parts: readonly string[], expected: number, what: string, raw: string): void {
  if (parts.length !== expected || parts.some((part) => !SEGMENT.test(part) || part.length > 200)) {
    throw new TierfsError(
      'INVALID_ARGUMENT',
      `invalid ${what} '${raw}': expected ${expected === 3 ? 'tenant/namespace/topic' : 'tenant/namespace'}, ` +
        'each part letters, digits, _ . = - (not starting with . or -)',
    );
  }
}

export function parseTopicName(raw: string): TopicName {
  const text = raw.startsWith(PERSISTENT) ? raw.slice(PERSISTENT.length) : raw;
  const parts = text.split('/');
  checkSegments(parts, 3, 'topic name', raw);
  const [tenant, namespace, topic] = parts as [string, string, string];
  const path = `${tenant}/${namespace}/${topic}`;
  return {
    tenant,
    namespace,
    topic,
    path,
    namespaceName: `${tenant}/${namespace}`,
    persistent: `${PERSISTENT}${path}`,
  };
}

/** Checks `tenant/namespace` and returns it. */
export function parseNamespaceName(raw: string): string {
  checkSegments(raw.split('/'), 2, 'namespace', raw);
  return raw;
}
