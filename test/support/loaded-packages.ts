/**
 * A `--require` preload that prints, when the process exits, the npm packages whose files it
 * loaded (CommonJS's require cache: tierfs's bin and its dependencies load through it), and the
 * reader of that line. Tests use it to pin what a command does not load.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const MARK = 'LOADED ';

/** Writes the preload into `dir`; returns its path for `node --require`. */
export function loadedPackagesPreload(dir: string): string {
  const preload = join(dir, 'loaded-packages.cjs');
  writeFileSync(
    preload,
    `process.on('exit', () => {
  const names = new Set();
  for (const file of Object.keys(require.cache)) {
    const m = /node_modules\\/((@[^/]+\\/)?[^/]+)/.exec(file);
    if (m) names.add(m[1]);
  }
  process.stderr.write(${JSON.stringify(MARK)} + JSON.stringify([...names].sort()) + '\\n');
});\n`,
  );
  return preload;
}

/** The packages the preload printed in `stderr` (fails when it printed nothing). */
export function loadedPackagesOf(stderr: string): string[] {
  const line = stderr.split('\n').find((l) => l.startsWith(MARK));
  if (line === undefined)
    throw new Error(`the loaded-packages preload printed nothing: ${stderr.slice(0, 500)}`);
  return JSON.parse(line.slice(MARK.length)) as string[];
}
