import { describe, expect, it } from 'vitest';
import {
  parseUploadToken,
  resolveUploadKey,
  sign,
  verifyDownloadUrl,
  verifyManagementRequest,
} from './auth.js';
import { KodoError } from './errors.js';
import { toUrlSafeBase64 } from './url-safe-base64.js';

const users = new Map([['AK', 'MY_SECRET_KEY']]);
const NOW = Date.UTC(2024, 0, 2, 15, 4, 5);

function token(policy: Record<string, unknown>, secretKey = 'MY_SECRET_KEY'): string {
  const encoded = toUrlSafeBase64(JSON.stringify(policy));
  return `AK:${sign(secretKey, encoded)}:${encoded}`;
}

function statusOf(run: () => unknown): number | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof KodoError ? error.status : -1;
  }
}

describe('Kodo auth', () => {
  it('signs the documented QBox vector', () => {
    const signed = '/move/bmV3ZG9jczpmaW5kX21hbi50eHQ=/bmV3ZG9jczpmaW5kLm1hbi50eHQ=\n';
    expect(sign('MY_SECRET_KEY', signed)).toBe('FXsYh0wKHYPEsIAgdPD9OfjkeEM=');
    const request = {
      method: 'POST',
      rawUrl: '/move/bmV3ZG9jczpmaW5kX21hbi50eHQ=/bmV3ZG9jczpmaW5kLm1hbi50eHQ=',
      headers: { authorization: 'QBox AK:FXsYh0wKHYPEsIAgdPD9OfjkeEM=' },
      body: Buffer.alloc(0),
    };
    expect(verifyManagementRequest(request, users)).toBe('AK');
    expect(statusOf(() => verifyManagementRequest({ ...request, rawUrl: '/delete/x' }, users))).toBe(401);
  });

  it('accepts Qiniu v2 signatures over Host with and without the doubled port', () => {
    const date = '20240102T150405Z';
    const text = (host: string) =>
      `GET /stat/abc\nHost: ${host}\nContent-Type: application/x-www-form-urlencoded\nX-Qiniu-Date: ${date}\n\n`;
    for (const signedHost of ['127.0.0.1:9000', '127.0.0.1:9000:9000']) {
      const request = {
        method: 'GET',
        rawUrl: '/stat/abc',
        headers: {
          host: '127.0.0.1:9000',
          'x-qiniu-date': date,
          authorization: `Qiniu AK:${sign('MY_SECRET_KEY', text(signedHost))}`,
        },
        body: Buffer.alloc(0),
      };
      expect(verifyManagementRequest(request, users, NOW)).toBe('AK');
      // A date far from the clock is refused with 403.
      expect(statusOf(() => verifyManagementRequest(request, users, NOW + 3_600_000))).toBe(403);
    }
  });

  it('checks upload tokens: signature, deadline, scope', () => {
    const deadline = NOW / 1000 + 60;
    const policy = parseUploadToken(token({ scope: 'b:k', deadline, insertOnly: 1 }), users, NOW);
    expect(policy).toMatchObject({ bucket: 'b', scopeKey: 'k', insertOnly: true, accessKey: 'AK' });
    expect(resolveUploadKey(policy, 'b', undefined)).toBe('k');
    expect(statusOf(() => resolveUploadKey(policy, 'b', 'other'))).toBe(403);
    expect(statusOf(() => parseUploadToken(token({ scope: 'b', deadline }, 'WRONG'), users, NOW))).toBe(401);
    expect(
      statusOf(() => parseUploadToken(token({ scope: 'b', deadline: NOW / 1000 - 1 }), users, NOW)),
    ).toBe(401);
    expect(statusOf(() => parseUploadToken(undefined, users, NOW))).toBe(401);
    const prefixal = parseUploadToken(token({ scope: 'b:dir/', deadline, isPrefixalScope: 1 }), users, NOW);
    expect(resolveUploadKey(prefixal, 'b', 'dir/x')).toBe('dir/x');
    expect(statusOf(() => resolveUploadKey(prefixal, 'b', 'x'))).toBe(403);
  });

  it('checks signed download URLs against Host and e', () => {
    const e = NOW / 1000 + 60;
    const base = `http://dl.example:8080/a%20b.txt?e=${e}`;
    const url = `/a%20b.txt?e=${e}&token=AK:${sign('MY_SECRET_KEY', base)}`;
    expect(verifyDownloadUrl('dl.example:8080', url, users, NOW)).toBe('AK');
    expect(statusOf(() => verifyDownloadUrl('other:8080', url, users, NOW))).toBe(401);
    expect(statusOf(() => verifyDownloadUrl('dl.example:8080', url, users, NOW + 120_000))).toBe(401);
    expect(statusOf(() => verifyDownloadUrl('dl.example:8080', `/a%20b.txt?e=${e}`, users, NOW))).toBe(401);
  });
});
