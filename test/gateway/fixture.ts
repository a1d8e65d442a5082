/**
 * One S3 gateway per test file: started in beforeAll, stopped in afterAll, with an official-SDK
 * client per configured user. Replaces the start/clients/teardown block each S3 test file repeated.
 */
import { CreateBucketCommand, type S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import type { UnderStore } from '../../src/ufs/contract.js';
import { ACCESS_KEY, type RunningGateway, SECRET_KEY, s3Client, startGateway, USER } from './harness.js';

export interface GatewayUser {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface S3GatewayOptions<U extends string = never> {
  /** Users besides the harness's `alice`, by name. */
  readonly users?: Readonly<Record<U, GatewayUser>>;
  /** Whether unsigned requests are taken (tierfs.proxy.s3.anonymous.enabled). */
  readonly anonymous?: boolean;
  /** Further gateway properties. */
  readonly config?: Readonly<Record<string, string>>;
  /** Buckets alice creates once the gateway is up. */
  readonly buckets?: readonly string[];
  readonly wrapStore?: (store: UnderStore) => UnderStore;
}

export interface S3GatewayFixture<U extends string = never> {
  /** The running gateway (only inside tests and hooks registered after the fixture). */
  readonly running: RunningGateway;
  readonly endpoint: string;
  readonly port: number;
  readonly root: string;
  readonly stateDir: string;
  readonly gateway: RunningGateway['gateway'];
  /** The SDK client of a user (alice when not named); the same one each call, destroyed at stop. */
  clientFor(user?: U | typeof USER): S3Client;
  /** Every configured user's client (see clientFor), by user name. */
  clients(): Record<U | typeof USER, S3Client>;
  /** A fresh SDK client of a user with overrides, destroyed at stop. */
  newClient(user?: U | typeof USER, overrides?: Partial<S3ClientConfig>): S3Client;
  /** The status of an unsigned request (as a browser or curl sends it), its body read and dropped. */
  unsigned(method: string, path: string, body?: string): Promise<number>;
  /** Creates a bucket as the user (alice when not named) and returns its name. */
  bucket(name: string, user?: U | typeof USER): Promise<string>;
}

/** Registers beforeAll/afterAll hooks that run one S3 gateway for the calling test file. */
export function withS3Gateway<U extends string = never>(
  options: S3GatewayOptions<U> = {},
): S3GatewayFixture<U> {
  const users: Record<string, GatewayUser> = {
    [USER]: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    ...options.users,
  };
  let running: RunningGateway | undefined;
  const cached = new Map<string, S3Client>();
  const made: S3Client[] = [];
  const live = (): RunningGateway => {
    if (!running) throw new Error('the S3 gateway fixture is used outside its beforeAll/afterAll');
    return running;
  };
  const credentials = (user: string): GatewayUser => {
    const found = users[user];
    if (!found) throw new Error(`no gateway user '${user}'; configured: ${Object.keys(users).join(', ')}`);
    return found;
  };
  const fixture: S3GatewayFixture<U> = {
    get running() {
      return live();
    },
    get endpoint() {
      return live().endpoint;
    },
    get port() {
      return live().port;
    },
    get root() {
      return live().root;
    },
    get stateDir() {
      return live().stateDir;
    },
    get gateway() {
      return live().gateway;
    },
    clientFor(user = USER) {
      let client = cached.get(user);
      if (!client) {
        client = s3Client(live(), { credentials: credentials(user) });
        cached.set(user, client);
      }
      return client;
    },
    clients() {
      return Object.fromEntries(
        Object.keys(users).map((user) => [user, fixture.clientFor(user as U)]),
      ) as Record<U | typeof USER, S3Client>;
    },
    newClient(user = USER, overrides = {}) {
      const client = s3Client(live(), { credentials: credentials(user), ...overrides });
      made.push(client);
      return client;
    },
    async unsigned(method, path, body) {
      const res = await fetch(`${live().endpoint}${path}`, { method, body });
      await res.arrayBuffer();
      return res.status;
    },
    async bucket(name, user = USER) {
      await fixture.clientFor(user).send(new CreateBucketCommand({ Bucket: name }));
      return name;
    },
  };

  beforeAll(async () => {
    const config: Record<string, string> = { ...options.config };
    if (options.users) {
      config['tierfs.proxy.s3.users'] = Object.entries(users)
        .map(([name, u]) => `${u.accessKeyId}:${u.secretAccessKey}:${name}`)
        .join(',');
    }
    if (options.anonymous) config['tierfs.proxy.s3.anonymous.enabled'] = 'true';
    running = await startGateway(config, options.wrapStore);
    for (const name of options.buckets ?? []) await fixture.bucket(name);
  });
  afterAll(async () => {
    for (const client of [...cached.values(), ...made]) client.destroy();
    cached.clear();
    made.length = 0;
    await running?.stop();
    running = undefined;
  });
  return fixture;
}
