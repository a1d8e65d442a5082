/**
 * The Kodo gateway as Qiniu's SDKs expect real Kodo to behave: an X-Reqid on every answer, batch
 * operations written without a leading slash (as the Python SDK writes them), bucket info, and
 * the rs operations it does not implement refused with 501, never half done.
 */
import qiniu from 'qiniu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toUrlSafeBase64 } from '../../src/gateway/kodo/url-safe-base64.js';
import {
  answer,
  BUCKET,
  batchResults,
  type KodoFixture,
  exchange as rawExchange,
  startKodoFixture,
} from './kodo-support.js';

let kodo: KodoFixture;
beforeAll(async () => {
  kodo = await startKodoFixture();
});
afterAll(async () => kodo?.cleanup());

const exchange = (method: string, path: string, headers: Record<string, string>, body?: Buffer) =>
  rawExchange(kodo.host, method, path, headers, body);

/** A QBox-signed management call with a form body. */
function manage(path: string, form = '') {
  const body = Buffer.from(form);
  const contentType = 'application/x-www-form-urlencoded';
  const authorization = qiniu.util.generateAccessToken(
    kodo.mac,
    `http://${kodo.host}${path}`,
    form === '' ? undefined : form,
  );
  return exchange('POST', path, { Authorization: authorization, 'Content-Type': contentType }, body);
}

const entry = (key: string) => toUrlSafeBase64(`${BUCKET}:${key}`);

async function upload(key: string, data: string): Promise<void> {
  const uploader = new qiniu.form_up.FormUploader(kodo.config);
  const put = await answer(
    uploader.put(kodo.uploadToken(`${BUCKET}:${key}`), key, Buffer.from(data), new qiniu.form_up.PutExtra()),
  );
  expect(put.status).toBe(200);
}

describe('Kodo fidelity', () => {
  it('every answer carries an X-Reqid: uploads, rs, rsf, uc, downloads and errors', async () => {
    await upload('reqid.txt', 'hi');
    const answers = [
      await manage(`/stat/${entry('reqid.txt')}`),
      await manage(`/stat/${entry('missing.txt')}`),
      await manage(`/list?bucket=${BUCKET}`),
      await manage('/buckets'),
      await manage(`/batch`, `op=/stat/${entry('reqid.txt')}`),
      await exchange('GET', `/v4/query?ak=x&bucket=${BUCKET}`, {}),
      await exchange('GET', `/${BUCKET}/reqid.txt`, {}),
      await exchange('PUT', '/nowhere', {}),
    ];
    // The bucket is private: the unsigned download is 401, and carries its request id too.
    expect(answers.map((a) => a.status)).toEqual([200, 612, 200, 200, 200, 200, 401, 405]);
    for (const a of answers) expect(a.headers['x-reqid']).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  it('batch operations written without a leading slash (the Python SDK) run', async () => {
    await upload('batch-a.txt', 'aaa');
    await upload('batch-b.txt', 'bb');
    const res = await manage(
      '/batch',
      [`op=stat/${entry('batch-a.txt')}`, `op=delete/${entry('batch-b.txt')}`].join('&'),
    );
    expect(res.status).toBe(200);
    const results = batchResults(JSON.parse(res.body.toString()));
    expect(results.map((r) => r.code)).toEqual([200, 200]);
    expect(results[0]?.data).toMatchObject({ fsize: 3 });
    expect((await manage(`/stat/${entry('batch-b.txt')}`)).status).toBe(612);
  });

  it('getBucketInfo answers the bucket region and privacy; a missing bucket is 631', async () => {
    const config = new qiniu.conf.Config({
      useHttpsDomain: false,
      zone: kodo.config.zone ?? undefined,
      ucEndpointsProvider: new qiniu.httpc.Endpoint(kodo.host, { defaultScheme: 'http' }),
    });
    const manager = new qiniu.rs.BucketManager(kodo.mac, config);
    const info = await answer(manager.getBucketInfo(BUCKET));
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({ tbl: BUCKET, region: 'z0', private: 1 });
    expect((await manage('/v2/bucketInfo?bucket=no-such-bucket')).status).toBe(631);
  });

  it('rs operations it does not implement are 501, alone and in a batch, and change nothing', async () => {
    await upload('keep.txt', 'keep me');
    const type = await answer(kodo.bucketManager.changeType(BUCKET, 'keep.txt', 1));
    expect(type.status).toBe(501);
    const days = await answer(kodo.bucketManager.deleteAfterDays(BUCKET, 'keep.txt', 1));
    expect(days.status).toBe(501);
    const headers = await answer(
      kodo.bucketManager.changeHeaders(BUCKET, 'keep.txt', { 'x-qn-meta-owner': 'me' }),
    );
    expect(headers.status).toBe(501);
    const batch = await manage(
      '/batch',
      [`op=/chtype/${entry('keep.txt')}/type/1`, `op=/delete/${entry('keep.txt')}/cond/fsize=1`].join('&'),
    );
    expect(batch.status).toBe(298);
    expect(batchResults(JSON.parse(batch.body.toString())).map((r) => r.code)).toEqual([501, 501]);
    const stat = await manage(`/stat/${entry('keep.txt')}`);
    expect(JSON.parse(stat.body.toString())).toMatchObject({ fsize: 7, type: 0 });
    expect(JSON.parse(stat.body.toString())['x-qn-meta']).toBeUndefined();
  });
});
