import { describe, expect, it } from 'vitest';
import { isTierfsError } from '../../errors.js';
import { findKodoRegion, KODO_REGIONS, resolveKodoHosts } from './kodo-regions.js';

const NAMES = { up: 'up.key', rs: 'rs.key', rsf: 'rsf.key' };

describe('Kodo regions', () => {
  it("has the seed's table", () => {
    expect(KODO_REGIONS.map((r) => [r.id, r.endpoint])).toEqual([
      ['z0', 'iovip.qbox.me'],
      ['z1', 'iovip-z1.qbox.me'],
      ['z2', 'iovip-z2.qbox.me'],
      ['na0', 'iovip-na0.qbox.me'],
      ['as0', 'iovip-as0.qbox.me'],
    ]);
  });

  it('resolves a region abbreviation to the io host and derives up, rs and rsf', () => {
    const hosts = resolveKodoHosts({ endpoint: 'z1' }, NAMES);
    expect(hosts.region?.id).toBe('z1');
    expect(hosts.io).toEqual({ scheme: 'http', host: 'iovip-z1.qbox.me' });
    expect(hosts.up.host).toBe('up-z1.qiniup.com');
    expect(hosts.rs.host).toBe('rs-z1.qiniuapi.com');
    expect(hosts.rsf.host).toBe('rsf-z1.qiniuapi.com');
    expect(resolveKodoHosts({ endpoint: 'Z0' }, NAMES).up.host).toBe('up.qiniup.com');
  });

  it('recognises the io host of a region, keeping its scheme for the derived hosts', () => {
    expect(findKodoRegion('iovip.qbox.me')?.id).toBe('z0');
    expect(findKodoRegion('iovip-na0.qbox.me')?.id).toBe('na0');
    expect(findKodoRegion('iovip-as0.qiniuio.com')?.id).toBe('as0');
    const hosts = resolveKodoHosts({ endpoint: 'https://iovip-z2.qbox.me' }, NAMES);
    expect(hosts.region?.id).toBe('z2');
    expect(hosts.io).toEqual({ scheme: 'https', host: 'iovip-z2.qbox.me' });
    expect(hosts.rs).toEqual({ scheme: 'https', host: 'rs-z2.qiniuapi.com' });
  });

  it('lets the up, rs and rsf keys override the derived hosts', () => {
    const hosts = resolveKodoHosts({ endpoint: 'z0', up: '127.0.0.1:9000', rs: 'http://rs.local:1/' }, NAMES);
    expect(hosts.up).toEqual({ scheme: 'http', host: '127.0.0.1:9000' });
    expect(hosts.rs).toEqual({ scheme: 'http', host: 'rs.local:1' });
    expect(hosts.rsf.host).toBe('rsf-z0.qiniuapi.com');
  });

  it('an endpoint that is no region needs the hosts set, naming the missing key', () => {
    try {
      resolveKodoHosts({ endpoint: 'kodo.internal:8080', rs: 'a', rsf: 'b' }, NAMES);
      expect.unreachable();
    } catch (error) {
      expect(isTierfsError(error, 'CONFIG_INVALID')).toBe(true);
      expect((error as Error).message).toContain('up.key');
    }
    const hosts = resolveKodoHosts({ endpoint: 'kodo.internal:8080', up: 'u', rs: 'r', rsf: 'f' }, NAMES);
    expect(hosts.region).toBeUndefined();
    expect(hosts.io.host).toBe('kodo.internal:8080');
  });
});
