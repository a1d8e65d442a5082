/**
 * `tierfs gateway --protocol oss`: serves an under store (a local directory by default) through an
 * object-store protocol until interrupted.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  GATEWAY_OSS_BIND_HOST,
  GATEWAY_OSS_BUCKET,
  GATEWAY_OSS_HOSTNAMES,
  GATEWAY_OSS_MULTIPART_MIN_PART_SIZE,
  GATEWAY_OSS_PORT,
  GATEWAY_OSS_STATE_DIR,
  GATEWAY_OSS_USERS,
  GATEWAY_OSS_USERS_FILE,
} from '../config/keys/index.js';
import { TierfsError } from '../errors.js';
import { OssGateway } from '../gateway/oss/server.js';
import { parseUsers } from '../gateway/oss/users.js';
import { FileSystem } from '../ufs/registry.js';
import type { CliContext } from './main.js';

export const GATEWAY_PROTOCOLS = ['oss'] as const;
const ROOT_UFS = 'tierfs.master.mount.table.root.ufs';

interface GatewayOptions {
  protocol: string;
  root?: string;
  port?: string;
  host?: string;
  bucket?: string;
  stateDir?: string;
}

export function registerGatewayCommand(program: Command, context: CliContext): void {
  program
    .command('gateway')
    .description('Serve an under store (a local directory by default) through an object-store protocol')
    .requiredOption('--protocol <name>', `protocol to speak: ${GATEWAY_PROTOCOLS.join(', ')}`)
    .option('--root <uri>', `directory or under store URI to serve (default: ${ROOT_UFS})`)
    .option('--port <port>', `port to listen on (default: ${GATEWAY_OSS_PORT.key})`)
    .option('--host <host>', `address to listen on (default: ${GATEWAY_OSS_BIND_HOST.key})`)
    .option('--bucket <name>', 'single-bucket mode: serve the root as this one bucket')
    .option('--state-dir <dir>', `directory for gateway state (default: ${GATEWAY_OSS_STATE_DIR.key})`)
    .action(async (options: GatewayOptions) => {
      if (!(GATEWAY_PROTOCOLS as readonly string[]).includes(options.protocol)) {
        throw new TierfsError(
          'INVALID_ARGUMENT',
          `unsupported gateway protocol '${options.protocol}'; supported protocols: ${GATEWAY_PROTOCOLS.join(', ')}`,
        );
      }
      const conf = context.configuration();
      const port = options.port === undefined ? conf.require(GATEWAY_OSS_PORT) : Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new TierfsError('INVALID_ARGUMENT', `--port must be a port number, got '${options.port}'`);
      }
      const host = options.host ?? conf.require(GATEWAY_OSS_BIND_HOST);
      const users = parseUsers(conf.get(GATEWAY_OSS_USERS) ?? [], GATEWAY_OSS_USERS.key);
      const usersFile = conf.get(GATEWAY_OSS_USERS_FILE);
      if (usersFile !== undefined) {
        const lines = readFileSync(conf.resolvePath(usersFile), 'utf8').split('\n');
        for (const [id, secret] of parseUsers(lines, usersFile)) users.set(id, secret);
      }
      const store = await FileSystem.get(options.root ?? conf.getRaw(ROOT_UFS)!, conf);
      const gateway = new OssGateway({
        store,
        stateDir: options.stateDir ?? conf.resolvePath(conf.require(GATEWAY_OSS_STATE_DIR)),
        users,
        singleBucket: options.bucket ?? conf.get(GATEWAY_OSS_BUCKET),
        hostnames: conf.get(GATEWAY_OSS_HOSTNAMES) ?? [],
        minPartSize: conf.require(GATEWAY_OSS_MULTIPART_MIN_PART_SIZE),
      });
      const address = await gateway.listen(port, host);
      process.stdout.write(
        `tierfs OSS gateway on http://${address.address}:${address.port} serving ${store.uri}` +
          `${users.size === 0 ? ' (no users configured: authentication is off)' : ` (${users.size} user(s))`}\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await gateway.close();
      await store.close();
    });
}
