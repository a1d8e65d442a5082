/** The CLI's one-line failure report, for commands that go on after one of several paths fails. */
import { toTierfsError } from '../errors.js';

/** Prints `tierfs: <message>` on stderr and makes the command exit non-zero. */
export function reportFailure(error: unknown): void {
  process.stderr.write(`tierfs: ${toTierfsError(error).message}\n`);
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
