/**
 * `tierfs auth token create <user> [-g group ...]`, `tierfs auth token list`,
 * `tierfs auth token revoke <id>`: user tokens for TOKEN authentication, kept (hashed) by the
 * master and managed through its `/api/v1/auth/tokens` endpoints.
 *
 * Only the superuser manages tokens. The command proves it is the superuser with
 * `tierfs.security.login.token` (TIERFS_TOKEN) when that is set; otherwise, on the master host, with
 * the cluster secret `tierfs format` wrote (readable by the account that runs tierfs only);
 * otherwise it names its user as any SIMPLE client does. `create` prints the token on stdout and
 * nothing else there; it is shown this once.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { credentialHeadersOf } from '../client/client.js';
import { clusterHeaders } from '../cluster/auth.js';
import { Masters, masterAddressesOf, mastersOptionsOf } from '../cluster/masters.js';
import type { Configuration } from '../config/configuration.js';
import { SECURITY_LOGIN_TOKEN } from '../config/keys/core.js';
import { layoutOf } from '../config/layout.js';
import { parseDuration } from '../config/types.js';
import { TierfsError } from '../errors.js';
import type { CreatedToken, TokenInfo } from '../master/user-tokens.js';
import type { CliContext } from './main.js';

function headersOf(conf: Configuration): Record<string, string> {
  if (conf.get(SECURITY_LOGIN_TOKEN)) return credentialHeadersOf(conf);
  try {
    return clusterHeaders(readFileSync(layoutOf(conf).clusterTokenFile, 'utf8').trim());
  } catch {
    return credentialHeadersOf(conf);
  }
}

export function registerAuthCommands(program: Command, context: CliContext): void {
  const call = <T>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    headers: (conf: Configuration) => Record<string, string> = headersOf,
  ) => {
    const conf = context.configuration();
    return new Masters(masterAddressesOf(conf), mastersOptionsOf(conf)).call<T>(
      method,
      `/api/v1/auth/tokens${path}`,
      {
        headers: headers(conf),
        ...(body === undefined ? {} : { body }),
      },
    );
  };
  const token = program
    .command('auth')
    .description('Authentication: user tokens for tierfs.security.authentication.type=TOKEN')
    .command('token')
    .description('Create, list and revoke user tokens (superuser only)');

  token
    .command('create')
    .description('Create a token for a user and print it (shown only this once)')
    .argument('<user>', 'the user the token acts as')
    .option('-g, --group <group...>', "the user's groups (default: a group named as the user)")
    .option(
      '--lifetime <duration>',
      'how long it is accepted, e.g. 7d or 12h; 0 for ever (default: tierfs.security.authentication.token.lifetime)',
    )
    .action(async (user: string, options: { group?: string[]; lifetime?: string }) => {
      const created = await call<CreatedToken>('POST', '', {
        user,
        groups: options.group ?? [],
        ...(options.lifetime === undefined ? {} : { lifetimeMs: lifetimeOf(options.lifetime) }),
      });
      process.stderr.write(
        `Created token ${created.id} for ${created.user} (groups ${created.groups.join(',')}, ${expiry(created)}); ` +
          'it is shown only this once, store it now:\n',
      );
      process.stdout.write(`${created.token}\n`);
    });

  token
    .command('refresh')
    .description(
      'Trade the token this command logs in with (tierfs.security.login.token, TIERFS_TOKEN) for a new one ' +
        'with a fresh lifetime, and print it; the old one is revoked. Any token holder may, before it expires.',
    )
    .action(async () => {
      const created = await call<CreatedToken>('POST', '/refresh', {}, credentialHeadersOf);
      process.stderr.write(
        `Refreshed: token ${created.id} for ${created.user} (${expiry(created)}) replaces the old one; store it now:\n`,
      );
      process.stdout.write(`${created.token}\n`);
    });

  token
    .command('list')
    .description('List tokens: id, user, groups, creation time (never the tokens themselves)')
    .action(async () => {
      const tokens = await call<TokenInfo[]>('GET', '');
      const rows = [
        ['ID', 'USER', 'GROUPS', 'CREATED', 'EXPIRES'],
        ...tokens.map((t) => [
          t.id,
          t.user,
          t.groups.join(','),
          new Date(t.createdMs).toISOString(),
          t.expiresMs === undefined ? 'never' : new Date(t.expiresMs).toISOString(),
        ]),
      ];
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const row of rows) {
        process.stdout.write(
          `${row
            .map((cell, i) => cell.padEnd(widths[i]!))
            .join('  ')
            .trimEnd()}\n`,
        );
      }
    });

  token
    .command('revoke')
    .description('Revoke a token by its id (from `tierfs auth token list`)')
    .argument('<id>', 'the token id')
    .action(async (id: string) => {
      await call('POST', '/revoke', { id });
      process.stdout.write(`Revoked token ${id}\n`);
    });
}

/** A --lifetime value in milliseconds, or one error saying what a lifetime looks like. */
function lifetimeOf(raw: string): number {
  try {
    return raw.trim() === '0' ? 0 : parseDuration(raw);
  } catch {
    throw new TierfsError(
      'INVALID_ARGUMENT',
      `--lifetime '${raw}' is not a duration: write e.g. 7d, 12h or 30min (0 for ever)`,
    );
  }
}

function expiry(token: CreatedToken): string {
  return token.expiresMs === undefined
    ? 'never expires'
    : `expires ${new Date(token.expiresMs).toISOString()}`;
}
