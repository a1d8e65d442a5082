/**
 * `tierfs gateway --protocol <p> --root <dir|uri> [--port N] [--host H]`: serves an under store
 * through a storage protocol until interrupted. Buckets are the top-level directories of the root.
 */
import type { Command } from 'commander';
import type { Configuration } from '../config/configuration.js';
import { GATEWAY_KODO_BIND_HOST, GATEWAY_KODO_PORT } from '../config/keys/index.js';
import { TierfsError } from '../errors.js';
import { kodoGatewayFromConfig } from '../gateway/kodo/configure.js';
import type { UnderStore } from '../ufs/contract.js';
import { FileSystem } from '../ufs/registry.js';
import type { CliContext } from './main.js';

interface GatewayProtocol {
  readonly description: string;
  readonly defaultHost: (conf: Configuration) => string;
  readonly defaultPort: (conf: Configuration) => number;
  readonly start: (
    store: UnderStore,
    conf: Configuration,
    host: string,
    port: number,
  ) => Promise<{ host: string; port: number; close: () => Promise<void> }>;
}

const PROTOCOLS: Readonly<Record<string, GatewayProtocol>> = {
  kodo: {
    description: 'Qiniu Kodo (form and resumable v2 upload, rs/rsf management, signed downloads)',
    defaultHost: (conf) => conf.require(GATEWAY_KODO_BIND_HOST),
    defaultPort: (conf) => conf.require(GATEWAY_KODO_PORT),
    async start(store, conf, host, port) {
      const gateway = kodoGatewayFromConfig(store, conf);
      const bound = await gateway.listen(port, host);
      return { ...bound, close: () => gateway.close() };
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
    .description('Serve an under store through a storage protocol (buckets = top-level directories)')
    .requiredOption('--protocol <name>', `protocol to speak: ${supportedProtocols().join(', ')}`)
    .requiredOption('--root <dir|uri>', 'under store to serve, e.g. ./data or file:///srv/data')
    .option('--port <n>', 'port to listen on (0 picks a free one)')
    .option('--host <address>', 'address to listen on')
    .action(async (options: { protocol: string; root: string; port?: string; host?: string }) => {
      const protocol = PROTOCOLS[options.protocol.toLowerCase()];
      if (!protocol) {
        throw new TierfsError(
          'INVALID_ARGUMENT',
          `unsupported gateway protocol '${options.protocol}'; supported: ${supportedProtocols().join(', ')}`,
        );
      }
      const conf = context.configuration();
      const store = await FileSystem.get(options.root, conf);
      await store.mkdirs('');
      const host = options.host ?? protocol.defaultHost(conf);
      const port = options.port === undefined ? protocol.defaultPort(conf) : parsePort(options.port);
      const running = await protocol.start(store, conf, host, port).catch(async (error: unknown) => {
        await store.close();
        throw error;
      });
      process.stdout.write(
        `tierfs ${options.protocol.toLowerCase()} gateway serving ${store.uri} on http://${running.host}:${running.port}\n`,
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
    });
}
