/** The CLI's one-line failure report, for commands that go on after one of several paths fails. */
import { isTierfsError, toTierfsError } from '../errors.js';

/**
 * The line the CLI prints for a failure: its message, and for a master nobody answers at, the
 * likely reason (`cannot reach http://…: connect ECONNREFUSED …` when the cluster is not running).
 */
export function failureMessage(error: unknown): string {
  const failure = toTierfsError(error);
  if (
    isTierfsError(failure, 'UNAVAILABLE') &&
    /(^|: )cannot reach \S+: .*ECONNREFUSED/.test(failure.message)
  ) {
    return `${failure.message} (is the cluster started? \`tierfs start local\`)`;
  }
  return failure.message;
}

/** Prints `tierfs: <message>` on stderr and makes the command exit non-zero. */
export function reportFailure(error: unknown): void {
  process.stderr.write(`tierfs: ${failureMessage(error)}\n`);
  process.exitCode = 1;
}

/** Runs `action` for each item in order, reporting each failure and carrying on with the rest. */
export async function forEachReporting<T>(
  items: readonly T[],
  action: (item: T) => Promise<void>,
): Promise<void> {
  for (const item of items) {
    try {
      await action(item);
    } catch (error) {
      reportFailure(error);
    }
  }
}
