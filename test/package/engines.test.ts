/**
 * The Node versions tierfs declares (`engines.node`) are ones its runtime dependencies accept: for
 * every package the lock file installs for production, the lowest version tierfs allows and the
 * first release of each later LTS line are versions that package's own `engines.node` allows too
 * (npm warns EBADENGINE otherwise). Odd-numbered and future lines are not promised by a native
 * module such as better-sqlite3, so they are not asked for.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const semver = createRequire(import.meta.url)('semver') as {
  satisfies(version: string, range: string): boolean;
  minVersion(range: string): { version: string } | null;
};
const LTS_LINES = ['20.19.0', '22.12.0', '24.11.0'];
const ROOT = new URL('../../', import.meta.url);

interface LockPackage {
  readonly version?: string;
  readonly dev?: boolean;
  readonly optional?: boolean;
  readonly engines?: { readonly node?: string } | readonly string[];
}

describe('engines', () => {
  it('every runtime dependency accepts the Node LTS versions tierfs declares', () => {
    const manifest = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as {
      engines: { node: string };
    };
    const lock = JSON.parse(readFileSync(new URL('package-lock.json', ROOT), 'utf8')) as {
      packages: Record<string, LockPackage>;
    };
    const declared = manifest.engines.node;
    const versions = [semver.minVersion(declared)!.version, ...LTS_LINES].filter((v) =>
      semver.satisfies(v, declared),
    );
    expect(versions).toContain('20.19.0');
    const refusing: string[] = [];
    let checked = 0;
    for (const [path, pkg] of Object.entries(lock.packages)) {
      if (path === '' || pkg.dev || Array.isArray(pkg.engines)) continue;
      const node = (pkg.engines as { node?: string } | undefined)?.node;
      if (!node) continue;
      checked++;
      for (const version of versions) {
        if (!semver.satisfies(version, node))
          refusing.push(`${path}@${pkg.version}: node ${node}, not ${version}`);
      }
    }
    expect(checked).toBeGreaterThan(10);
    expect(refusing, `tierfs declares node ${declared}`).toEqual([]);
  });
});
