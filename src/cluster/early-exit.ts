/**
 * What a process still does when it ends early with process.exit (the CLI on a broken pipe:
 * `tierfs fs cat ... | head`): release the short-circuit leases its reads hold, whose pages the
 * worker keeps pinned otherwise until the leases run out (up to a minute). A normal end needs
 * none of this: the releases already under way finish before the process exits.
 */
const tasks = new Set<() => Promise<unknown>>();
let exiting = false;

/** Whether the process is ending early: reads then take no more leases. */
export function exitingEarly(): boolean {
  return exiting;
}

/** Adds a task to run before an early exit. */
export function beforeEarlyExit(task: () => Promise<unknown>): void {
  tasks.add(task);
}

/** Runs every task, waiting for them `timeoutMs` at most. */
export async function runBeforeEarlyExit(timeoutMs: number): Promise<void> {
  exiting = true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([Promise.allSettled([...tasks].map((task) => task())), timeout]);
  clearTimeout(timer);
}
