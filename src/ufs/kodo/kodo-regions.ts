/**
 * Kodo regions and the hosts of a bucket. The endpoint (`tierfs.underfs.kodo.endpoint`) is the
 * region's source download (io) host, as in the seed's table, or the region abbreviation itself;
 * the upload (up), management (rs) and listing (rsf) hosts follow from the region as the qiniu SDK
 * derives them (`Region.fromRegionId`), unless set explicitly (`tierfs.underfs.kodo.{up,rs,rsf}.host`).
 *
 * A host is `host[:port]` (plain http, as Alluxio sends its downloads) or a URL `http(s)://host[:port]`;
 * the derived hosts use the endpoint's scheme.
 */
import { TierfsError } from '../../errors.js';

export interface KodoRegion {
  readonly id: string;
  readonly name: string;
  /** The io host of the seed's table. */
  readonly endpoint: string;
}

/** The seed's region table (seed 004, "Qiniu Kodo"). */
export const KODO_REGIONS: readonly KodoRegion[] = [
  { id: 'z0', name: 'East China', endpoint: 'iovip.qbox.me' },
  { id: 'z1', name: 'North China', endpoint: 'iovip-z1.qbox.me' },
  { id: 'z2', name: 'South China', endpoint: 'iovip-z2.qbox.me' },
  { id: 'na0', name: 'North America', endpoint: 'iovip-na0.qbox.me' },
  { id: 'as0', name: 'Southeast Asia', endpoint: 'iovip-as0.qbox.me' },
];

export interface KodoHost {
  readonly scheme: 'http' | 'https';
  /** `host[:port]` */
  readonly host: string;
}

export interface KodoHosts {
  /** The region, when the endpoint names one. */
  readonly region?: KodoRegion;
  readonly io: KodoHost;
  readonly up: KodoHost;
  readonly rs: KodoHost;
  readonly rsf: KodoHost;
}

export interface KodoHostSettings {
  readonly endpoint: string;
  readonly up?: string;
  readonly rs?: string;
  readonly rsf?: string;
}

/** `host[:port]` or `http(s)://host[:port][/]` as scheme and host; `what` names the setting. */
export function parseKodoHost(value: string, what: string): KodoHost {
  const trimmed = value.trim();
  const match = /^(?:(https?):\/\/)?([^/\s?#]+)\/?$/i.exec(trimmed);
  if (!match) {
    throw new TierfsError(
      'CONFIG_INVALID',
      `${what} must be a host, host:port or http(s)://host[:port], got '${value}'`,
    );
  }
  const scheme = match[1]?.toLowerCase() === 'https' ? 'https' : 'http';
  return { scheme, host: match[2]!.toLowerCase() };
}

/** The region an endpoint names: its abbreviation, or its io host (`iovip[-r].qbox.me|qiniuio.com`). */
export function findKodoRegion(endpoint: string): KodoRegion | undefined {
  const name = endpoint.trim().toLowerCase();
  const byId = KODO_REGIONS.find((r) => r.id === name);
  if (byId) return byId;
  const host = /^iovip(?:-([a-z0-9]+))?\.(?:qbox\.me|qiniuio\.com)$/.exec(name);
  if (!host) return undefined;
  const id = host[1] ?? 'z0';
  return KODO_REGIONS.find((r) => r.id === id);
}

/** The hosts of the region, as the qiniu SDK derives them (source upload host, rs, rsf). */
function regionHosts(region: KodoRegion): { up: string; rs: string; rsf: string } {
  const r = region.id;
  return {
    up: r === 'z0' ? 'up.qiniup.com' : `up-${r}.qiniup.com`,
    rs: `rs-${r}.qiniuapi.com`,
    rsf: `rsf-${r}.qiniuapi.com`,
  };
}

/**
 * Resolves every host of a bucket. `names` spells each setting as the user should set it, for
 * the error when the endpoint names no region and a host is missing.
 */
export function resolveKodoHosts(
  settings: KodoHostSettings,
  names: Record<'up' | 'rs' | 'rsf', string>,
): KodoHosts {
  const byId = KODO_REGIONS.find((r) => r.id === settings.endpoint.trim().toLowerCase());
  const io: KodoHost = byId
    ? { scheme: 'http', host: byId.endpoint }
    : parseKodoHost(settings.endpoint, 'the Kodo endpoint');
  const region = byId ?? findKodoRegion(io.host);
  const derived = region ? regionHosts(region) : undefined;
  const host = (service: 'up' | 'rs' | 'rsf'): KodoHost => {
    const explicit = settings[service];
    if (explicit !== undefined) return parseKodoHost(explicit, names[service]);
    if (derived) return { scheme: io.scheme, host: derived[service] };
    throw new TierfsError(
      'CONFIG_INVALID',
      `the Kodo endpoint '${settings.endpoint}' is not a region of the table ` +
        `(${KODO_REGIONS.map((r) => `${r.id} ${r.endpoint}`).join(', ')}), ` +
        `so its ${service} host cannot be derived: set ${names[service]}`,
    );
  };
  return { region, io, up: host('up'), rs: host('rs'), rsf: host('rsf') };
}

export function kodoUrl(host: KodoHost, path = ''): string {
  return `${host.scheme}://${host.host}${path}`;
}
