/**
 * Why a daemon that `tierfs start` spawned gave up: the `tierfs: ...` report it wrote last to its
 * log (which is its stderr), whole. A report can run over several lines (every problem of an
 * invalid configuration, an error and the cause under it); it ends where the log's JSON records
 * or a stack trace resume.
 */
export function startFailureReason(log: string): string | undefined {
  const lines = log.trimEnd().split('\n');
  const first = lines.findLastIndex((line) => line.startsWith('tierfs: '));
  if (first < 0) return undefined;
  const report = [lines[first]!.slice('tierfs: '.length)];
  for (const line of lines.slice(first + 1)) {
    if (line.startsWith('{') || /^\s+at /.test(line)) break;
    if (line.trim()) report.push(line.trim());
  }
  return report.join('; ');
}
