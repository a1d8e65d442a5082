/**
 * Polls `check` until it holds, for asynchronous effects (cleanup after an aborted request, a
 * heartbeat) whose timing depends on how loaded the machine is. A fixed sleep followed by an
 * assertion fails on a busy CI runner; this waits as long as it must and no longer.
 */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError === undefined ? '' : ` (last error: ${String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
