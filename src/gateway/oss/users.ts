/** Gateway users (access key id → secret) from `AK:SECRET` entries; errors name the entry, never the secret. */
import { TierfsError } from '../../errors.js';

export function parseUsers(entries: readonly string[], where: string): Map<string, string> {
  const users = new Map<string, string>();
  for (const [i, raw] of entries.entries()) {
    const entry = raw.trim();
    if (entry === '' || entry.startsWith('#')) continue;
    const colon = entry.indexOf(':');
    if (colon <= 0 || colon === entry.length - 1) {
      throw new TierfsError(
        'CONFIG_INVALID',
        `${where}: entry ${i + 1} is not AccessKeyId:AccessKeySecret (the secret is not shown)`,
      );
    }
    users.set(entry.slice(0, colon).trim(), entry.slice(colon + 1).trim());
  }
  return users;
}
