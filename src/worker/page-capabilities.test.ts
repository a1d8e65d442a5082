import { describe, expect, it } from 'vitest';
import { UNKNOWN_PAGE } from '../cluster/batch-read.js';
import { CapabilitySigner, macOf, type PageFile } from '../cluster/capability.js';
import { MAX_PAGES, PageCapabilities } from './page-capabilities.js';

const signer = new CapabilitySigner('a cluster secret of some length');
const file: PageFile = {
  path: '/d/a',
  mountPath: '/',
  ufsPath: 'd/a',
  contentId: 'c-a',
  size: 3,
  persisted: true,
  version: 'v1',
};
const token = (expiresMs: number, files: (PageFile | null)[] = [null, file]) =>
  signer.signPage({ access: 'read-page', user: 'u', expiresMs, files });

describe('PageCapabilities', () => {
  it('serves a file of a checked page as the read capability it grants, and nothing it does not', () => {
    const pages = new PageCapabilities(signer);
    const t = token(Date.now() + 60_000);
    pages.add(t);
    expect(pages.file(macOf(t), 1)).toMatchObject({ ...file, access: 'read', user: 'u' });
    expect(() => pages.file(macOf(t), 0)).toThrow(expect.objectContaining({ code: 'PERMISSION_DENIED' }));
    expect(() => pages.file(macOf(t), 2)).toThrow(expect.objectContaining({ code: 'PERMISSION_DENIED' }));
  });

  it('refuses a forged or expired token, an expired page, and a MAC it does not hold (as unknown)', () => {
    const pages = new PageCapabilities(signer);
    const other = new CapabilitySigner('another cluster secret entirely');
    expect(() =>
      pages.add(
        other.signPage({ access: 'read-page', user: 'u', expiresMs: Date.now() + 60_000, files: [file] }),
      ),
    ).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    expect(() => pages.add(token(Date.now() - 1))).toThrow(
      expect.objectContaining({ code: 'UNAUTHENTICATED' }),
    );
    // A file capability is not a page capability, signed with another key.
    expect(() =>
      pages.add(signer.sign({ ...file, access: 'read', user: 'u', expiresMs: Date.now() + 60_000 })),
    ).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    const soon = Date.now() + 60_000;
    const t = token(soon);
    pages.add(t);
    const expired = (() => {
      try {
        pages.file(macOf(t), 1, soon + 1);
      } catch (error) {
        return error as { code: string; details: Record<string, unknown> };
      }
    })();
    expect(expired?.code).toBe('UNAUTHENTICATED');
    expect(expired?.details.reason).toBeUndefined();
    expect(() => pages.file('no-such-mac', 1)).toThrow(
      expect.objectContaining({ code: 'UNAUTHENTICATED', details: { reason: UNKNOWN_PAGE } }),
    );
  });

  it(`keeps at most ${MAX_PAGES}, dropping the oldest`, () => {
    const pages = new PageCapabilities(signer);
    const base = Date.now() + 60_000;
    const tokens = Array.from({ length: MAX_PAGES + 1 }, (_, i) => token(base + i));
    for (const t of tokens) pages.add(t);
    expect(() => pages.file(macOf(tokens[0]!), 1)).toThrow(
      expect.objectContaining({ details: { reason: UNKNOWN_PAGE } }),
    );
    expect(pages.file(macOf(tokens[1]!), 1).contentId).toBe('c-a');
    expect(pages.file(macOf(tokens[MAX_PAGES]!), 1).contentId).toBe('c-a');
  });
});
