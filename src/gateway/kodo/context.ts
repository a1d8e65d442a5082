/** What every Kodo route handler is given. */

import type { PartStaging } from '../common/part-staging.js';
import type { StateDatabase } from '../common/state-database.js';
import type { KodoUsers } from './auth.js';
import type { KodoBackend } from './backend.js';

export interface KodoGatewayContext {
  readonly backend: KodoBackend;
  /** Access key → secret key. */
  readonly users: KodoUsers;
  /** Object records and staged uploads; closed with the gateway. */
  readonly state: StateDatabase;
  /** Resumable-upload parts, and the spool of uploads named by their hash (key `''`). */
  readonly staging: PartStaging<null>;
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
