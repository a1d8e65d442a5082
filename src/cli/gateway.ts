/**
 * `tierfs gateway --protocol <p> [--root <dir|uri>] [--port N] [--host H]`: serves an under store
 * (the root under store by default) through an object-store protocol until interrupted. Buckets
 * are the top-level directories of the root unless a protocol offers single-bucket mode.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Configuration } from '../config/configuration.js';
import {
  GATEWAY_KODO_BIND_HOST,
  GATEWAY_KODO_PORT,
  GATEWAY_OSS_BIND_HOST,
  GATEWAY_OSS_BUCKET,
  GATEWAY_OSS_HOSTNAMES,
  GATEWAY_OSS_MULTIPART_MIN_PART_SIZE,
  GATEWAY_OSS_PORT,
  GATEWAY_OSS_STATE_DIR,
  GATEWAY_OSS_USERS,
  GATEWAY_OSS_USERS_FILE,
  PROXY_S3_ANONYMOUS_ENABLED,
  PROXY_S3_USERS,
  PROXY_WEB_BIND_HOST,
  PROXY_WEB_PORT,
  UNDERFS_CLEANUP_INTERVAL,
} from '../config/keys/index.js';
import type { PropertyKey } from '../config/property.js';
import { TierfsError } from '../errors.js';
import type { UnderStore } from '../ufs/contract.js';
import { FileSystem } from '../ufs/registry.js';
import { explainListenError } from './listen-error.js';
import type { CliContext } from './main.js';

const ROOT_UFS = 'tierfs.master.mount.table.root.ufs';

interface GatewayOptions {
  protocol: string;
  root?: string;
  port?: string;
  host?: string;
  bucket?: string;
  stateDir?: string;
}

interface RunningGateway {
  readonly host: string;
  readonly port: number;
  /** Extra words for the ready line, e.g. whether authentication is on. */
  readonly note?: string;
  close(): Promise<void>;
}

interface GatewayProtocol {
  readonly description: string;
  readonly defaultHost: (conf: Configuration) => string;
  /** The property that sets the port when --port does not. */
  readonly portKey: PropertyKey<number>;
  readonly start: (
    store: UnderStore,
    conf: Configuration,
    listen: { host: string; port: number },
    options: GatewayOptions,
  ) => Promise<RunningGateway>;
}

const PROTOCOLS: Readonly<Record<string, GatewayProtocol>> = {
  kodo: {
    description: 'Qiniu Kodo (form and resumable v2 upload, rs/rsf management, signed downloads)',
    defaultHost: (conf) => conf.require(GATEWAY_KODO_BIND_HOST),
    portKey: GATEWAY_KODO_PORT,
    async start(store, conf, { host, port }) {
      const { kodoGatewayFromConfig } = await import('../gateway/kodo/configure.js');
      const gateway = kodoGatewayFromConfig(store, conf);
      const bound = await gateway.listen(port, host);
      return { ...bound, close: () => gateway.close() };
    },
  },
  oss: {
    description: 'Aliyun OSS (V1 and V4 signatures, multipart, listing v1 and v2)',
    defaultHost: (conf) => conf.require(GATEWAY_OSS_BIND_HOST),
    portKey: GATEWAY_OSS_PORT,
    async start(store, conf, { host, port }, options) {
      const [{ OssGateway }, { parseUsers }] = await Promise.all([
        import('../gateway/oss/server.js'),
        import('../gateway/oss/users.js'),
      ]);
      const users = parseUsers(conf.get(GATEWAY_OSS_USERS) ?? [], GATEWAY_OSS_USERS.key);
      const usersFile = conf.get(GATEWAY_OSS_USERS_FILE);
      if (usersFile !== undefined) {
        const lines = readFileSync(conf.resolvePath(usersFile), 'utf8').split('\n');
        for (const [id, secret] of parseUsers(lines, usersFile)) users.set(id, secret);
      }
      const gateway = new OssGateway({
        store,
        stateDir: options.stateDir ?? conf.resolvePath(conf.require(GATEWAY_OSS_STATE_DIR)),
        users,
        singleBucket: options.bucket ?? conf.get(GATEWAY_OSS_BUCKET),
        hostnames: conf.get(GATEWAY_OSS_HOSTNAMES) ?? [],
        minPartSize: conf.require(GATEWAY_OSS_MULTIPART_MIN_PART_SIZE),
      });
      const address = await gateway.listen(port, host);
      return {
        host: address.address,
        port: address.port,
        note: users.size === 0 ? 'no users configured: authentication is off' : `${users.size} user(s)`,
        close: () => gateway.close(),
      };
    },
  },
  s3: {
    description: 'Amazon S3 (SigV4 and SigV2, multipart, listing v1 and v2, tagging, canned ACLs)',
    defaultHost: (conf) => conf.require(PROXY_WEB_BIND_HOST),
    portKey: PROXY_WEB_PORT,
    async start(store, conf, { host, port }) {
      const users = conf.get(PROXY_S3_USERS) ?? [];
      const anonymous = conf.require(PROXY_S3_ANONYMOUS_ENABLED);
      const { s3GatewayFromConfig } = await import('../gateway/s3/server.js');
      const gateway = s3GatewayFromConfig(store, conf, (line) => process.stderr.write(`${line}\n`));
      const address = await gateway.listen(port, host);
      const who = users.length === 0 ? 'no users configured' : `${users.length} user(s)`;
      const access = anonymous
        ? 'anonymous access on'
        : users.length === 0
          ? 'every request will be refused'
          : '';
      return {
        host: address.address,
        port: address.port,
        note: [who, access].filter((s) => s !== '').join(', '),
        close: () => gateway.close(),
      };
    },
  },
};

/**
 * Removes what writes killed mid-way left in the store (the local store's `.tierfs-partial.*`
 * files older than tierfs.underfs.local.partial.clean.age, abandoned multipart uploads of object
 * stores): once before serving, so a gateway killed with uploads in flight leaves nothing that
 * would keep a bucket from being deleted, then every tierfs.underfs.cleanup.interval.
 */
async function sweepLeftovers(store: UnderStore, conf: Configuration): Promise<() => void> {
  const cleanup = store.cleanup?.bind(store);
  if (!cleanup || store.capabilities.readOnly) return () => undefined;
  const sweep = async () => {
    try {
      const removed = await cleanup();
      if (removed > 0)
        process.stderr.write(`tierfs gateway: removed ${removed} leftover(s) of interrupted writes\n`);
    } catch (error) {
      process.stderr.write(
        `tierfs gateway: sweeping leftovers of interrupted writes failed: ${(error as Error).message}\n`,
      );
    }
  };
  await sweep();
  // setInterval takes at most 2^31-1 ms (about 24.8 days).
  const timer = setInterval(
    () => void sweep(),
    Math.min(conf.require(UNDERFS_CLEANUP_INTERVAL), 2 ** 31 - 1),
  );
  timer.unref();
  return () => clearInterval(timer);
}

export function supportedProtocols(): string[] {
  return Object.keys(PROTOCOLS).sort();
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TierfsError('INVALID_ARGUMENT', `--port must be a port number (0-65535), got '${text}'`);
  }
  return port;
}

export function registerGatewayCommand(program: Command, context: CliContext): void {
  program
    .command('gateway')
    .description('Serve an under store through an object-store protocol (buckets = top-level directories)')
    .requiredOption('--protocol <name>', `protocol to speak: ${supportedProtocols().join(', ')}`)
    .option('--root <dir|uri>', `under store to serve (default: ${ROOT_UFS})`)
    .option('--port <n>', 'port to listen on (0 picks a free one)')
    .option('--host <address>', 'address to listen on')
    .option('--bucket <name>', 'oss: single-bucket mode, serving the root as this one bucket')
    .option('--state-dir <dir>', 'oss: directory for gateway state (metadata, multipart parts)')
    .action(async (options: GatewayOptions) => {
      const protocol = PROTOCOLS[options.protocol.toLowerCase()];
      if (!protocol) {
        throw new TierfsError(
          'INVALID_ARGUMENT',
          `unsupported gateway protocol '${options.protocol}'; supported: ${supportedProtocols().join(', ')}`,
        );
      }
      const conf = context.configuration();
      const store = await FileSystem.get(options.root ?? conf.getRaw(ROOT_UFS)!, conf);
      await store.mkdirs('');
      const stopSweeps = await sweepLeftovers(store, conf);
      const host = options.host ?? protocol.defaultHost(conf);
      const port = options.port === undefined ? conf.require(protocol.portKey) : parsePort(options.port);
      const running = await protocol
        .start(store, conf, { host, port }, options)
        .catch(async (error: unknown) => {
          stopSweeps();
          await store.close();
          const keys = options.port === undefined ? [protocol.portKey] : [];
          throw explainListenError(error, conf, keys, {}, '; choose another --port');
        });
      const note = running.note ? ` (${running.note})` : '';
      process.stdout.write(
        `tierfs ${options.protocol.toLowerCase()} gateway serving ${store.uri} on http://${running.host}:${running.port}${note}\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      stopSweeps();
      await running.close();
      await store.close();
    });
}
