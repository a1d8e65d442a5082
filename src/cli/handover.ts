/**
 * The `-D` properties `tierfs start` hands to the daemons it starts: through a private file named
 * in the environment, never their command line (visible in `ps`). Read by every `tierfs` process
 * at start, so this module stays small (daemon.ts, which writes the file, is loaded only for the
 * daemon commands).
 */
import { lstatSync, readFileSync, rmSync } from 'node:fs';
import { TierfsError } from '../errors.js';

/** Names the file of `-D` properties handed to a daemon (see the top of this file). */
export const SYSTEM_PROPERTIES_FILE_ENV = 'TIERFS_SYSTEM_PROPERTIES_FILE';

/**
 * The `-D` properties `tierfs start` handed to this process, if it did: read from the file named
 * in the environment, which is then deleted, as is the variable (children do not inherit it). A
 * file others could have read or written is refused.
 */
export function takeHandedOverSystemProperties(env: NodeJS.ProcessEnv): Record<string, string> {
  const file = env[SYSTEM_PROPERTIES_FILE_ENV];
  if (file === undefined || file === '') return {};
  delete env[SYSTEM_PROPERTIES_FILE_ENV];
  const what = `the -D properties handed over in ${file} (${SYSTEM_PROPERTIES_FILE_ENV})`;
  try {
    const stat = lstatSync(file);
    if (!stat.isFile() || (stat.mode & 0o077) !== 0 || stat.uid !== process.getuid?.()) {
      throw new TierfsError(
        'CONFIG_INVALID',
        `refusing ${what}: it must be a regular file of this user with mode 0600`,
      );
    }
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (
      typeof parsed !== 'object' ||
      parsed === null ||
      Object.values(parsed).some((v) => typeof v !== 'string')
    ) {
      throw new TierfsError('CONFIG_INVALID', `${what} is not a JSON object of strings`);
    }
    return parsed as Record<string, string>;
  } catch (error) {
    if (error instanceof TierfsError) throw error;
    throw new TierfsError('CONFIG_INVALID', `cannot read ${what}: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    rmSync(file, { force: true });
  }
}
