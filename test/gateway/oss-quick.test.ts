import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, type RunningGateway, startGateway } from './oss-support.js';

let gw: RunningGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => gw.stop());

describe.each(['path-style', 'ip-host-rewrite', 'v4'] as const)('quick %s', (mode) => {
  it('put/get', async () => {
    const oss = client(gw, mode);
    const put = await oss.put('a/b.txt', Buffer.from('hello'));
    expect(put.res.status).toBe(200);
    const got = await oss.get('a/b.txt');
    expect(got.content.toString()).toBe('hello');
    const list = await oss.list({ prefix: 'a/', 'max-keys': 10 }, {});
    expect(list.objects?.map((o) => o.name)).toEqual(['a/b.txt']);
  });
});
