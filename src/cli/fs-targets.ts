/**
 * The client and namespace path of an `fs` command's path argument: the configured master's client
 * for a plain path, one client per master named by `tierfs://host:port/...`, each made once.
 */
import { TierfsClient } from '../client/client.js';
import type { Configuration } from '../config/configuration.js';
import { parseTierfsPath } from './fs-paths.js';

export interface Target {
  readonly client: TierfsClient;
  readonly path: string;
}

export type Targets = (raw: string) => Target;

/** `seed`: a client already made for a master (undefined: the configured one), used for it. */
export function targetsOf(
  configuration: () => Configuration,
  seed?: { readonly master: string | undefined; readonly client: TierfsClient },
): Targets {
  let defaultClient: TierfsClient | undefined;
  const clients = new Map<string, TierfsClient>();
  if (seed) {
    if (seed.master === undefined) defaultClient = seed.client;
    else clients.set(seed.master, seed.client);
  }
  return (raw) => {
    const parsed = parseTierfsPath(raw);
    const conf = configuration();
    if (!parsed.master) {
      defaultClient ??= TierfsClient.fromConfiguration(conf);
      return { client: defaultClient, path: parsed.path };
    }
    let client = clients.get(parsed.master);
    if (!client) {
      client = TierfsClient.fromConfiguration(conf, { masterAddress: parsed.master });
      clients.set(parsed.master, client);
    }
    return { client, path: parsed.path };
  };
}
