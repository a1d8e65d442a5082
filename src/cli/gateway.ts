/**
 * `tierfs gateway --protocol <p> [--root <dir|uri>] [--port N] [--host H]`: serves an under store
 * (the root under store by default) through an object-store protocol until SIGINT or SIGTERM.
 * Buckets are the top-level directories of the root.
 */
import type { Command } from 'commander';
import type { Configuration } from '../config/configuration.js';
import {
  PROXY_S3_ANONYMOUS_ENABLED,
  PROXY_S3_USERS,
  PROXY_WEB_BIND_HOST,
  PROXY_WEB_PORT,
} from '../config/keys/core.js';
import { TierfsError } from '../errors.js';
import { s3GatewayFromConfig } from '../gateway/s3/server.js';
import type { UnderStore } from '../ufs/contract.js';
import { FileSystem } from '../ufs/registry.js';
import type { CliContext } from './main.js';

const ROOT_UFS = 'tierfs.master.mount.table.root.ufs';

interface GatewayOptions {
  protocol: string;
  root?: string;
  port?: string;
  host?: string;
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
  readonly defaultPort: (conf: Configuration) => number;
  readonly start: (
    store: UnderStore,
    conf: Configuration,
    listen: { host: string; port: number },
  ) => Promise<RunningGateway>;
}

const PROTOCOLS: Readonly<Record<string, GatewayProtocol>> = {
  s3: {
    description: 'Amazon S3 (SigV4 and SigV2, multipart, listing v1 and v2, tagging, canned ACLs)',
    defaultHost: (conf) => conf.require(PROXY_WEB_BIND_HOST),
    defaultPort: (conf) => conf.require(PROXY_WEB_PORT),
    async start(store, conf, { host, port }) {
      const users = conf.get(PROXY_S3_USERS) ?? [];
      const anonymous = conf.require(PROXY_S3_ANONYMOUS_ENABLED);
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
      const host = options.host ?? protocol.defaultHost(conf);
      const port = options.port === undefined ? protocol.defaultPort(conf) : parsePort(options.port);
      const running = await protocol.start(store, conf, { host, port }).catch(async (error: unknown) => {
        await store.close();
        throw error;
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
      await running.close();
      await store.close();
    });
}
