import { describe, expect, it } from 'vitest';
import { KernelPageVersions } from './kernel-page-versions.js';

describe('KernelPageVersions', () => {
  it('keeps the pages of the version they were read from, and drops them for any other', () => {
    const pages = new KernelPageVersions();
    expect(pages.open('/a', 'v1')).toBe(false); // never seen: whatever the kernel holds goes
    expect(pages.open('/a', 'v1')).toBe(true);
    expect(pages.open('/a', 'v2')).toBe(false);
    expect(pages.open('/a', 'v2')).toBe(true);
    expect(pages.open('/a', 'v1')).toBe(false); // back to an older version: read anew too
  });

  it('forgets a path read through a handle of another version, written, or renamed (with its tree)', () => {
    const pages = new KernelPageVersions();
    for (const path of ['/d/x', '/d/y', '/dd', '/e']) pages.open(path, 'v');
    pages.read('/e', 'v');
    expect(pages.open('/e', 'v')).toBe(true);
    pages.read('/e', 'old'); // a handle opened before the change goes on reading its own version
    expect(pages.open('/e', 'v')).toBe(false);
    pages.forget('/d', true);
    expect(pages.open('/d/x', 'v')).toBe(false);
    expect(pages.open('/d/y', 'v')).toBe(false);
    expect(pages.open('/dd', 'v')).toBe(true); // not below /d
  });

  it('holds at most its bound, forgetting the oldest first', () => {
    const pages = new KernelPageVersions(2);
    pages.open('/a', 'v');
    pages.open('/b', 'v');
    pages.open('/c', 'v');
    expect(pages.size).toBe(2);
    expect(pages.open('/c', 'v')).toBe(true);
    expect(pages.open('/a', 'v')).toBe(false);
  });
});
