/** What every Kodo route handler is given. */
import type { KodoUsers } from './auth.js';
import type { KodoBackend } from './backend.js';
import type { PartStaging } from './part-staging.js';

export interface KodoGatewayContext {
  readonly backend: KodoBackend;
  /** Access key → secret key. */
  readonly users: KodoUsers;
  readonly staging: PartStaging;
  /** Download domains (host without port, lower case) → bucket, for Host-routed downloads. */
  readonly domains: ReadonlyMap<string, string>;
  /** Serve downloads without a signed URL. */
  readonly publicRead: boolean;
  /** Largest resumable-upload part accepted. */
  readonly maxPartSize: number;
  /** Smallest part, other than the last, accepted at Complete. */
  readonly minPartSize: number;
  /** Region id reported by the uc query (`z0` unless configured). */
  readonly region: string;
}
