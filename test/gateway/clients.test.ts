/**
 * Real S3 clients from Debian (aws cli, s3cmd, rclone, boto3) in scripted sessions against a
 * `tierfs gateway` child process. A missing client fails in CI and skips locally.
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, type GatewayProcess, spawnS3Gateway } from './cli-gateway.js';
import { ACCESS_KEY, findClient, SECRET_KEY } from './harness.js';

const execFileAsync = promisify(execFile);

let base: string;
let gateway: GatewayProcess;
let child: ChildProcess;
let endpoint: string;
let port: number;
let env: NodeJS.ProcessEnv;

async function run(command: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, {
      env: { ...env, ...extraEnv },
      cwd: base,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 120_000,
    });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${command} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`,
    );
  }
}

const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'tierfs-gw-clients-'));
  await mkdir(join(base, 'home'));
  env = {
    PATH: process.env.PATH,
    HOME: join(base, 'home'),
    LANG: 'C.UTF-8',
    AWS_ACCESS_KEY_ID: ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: SECRET_KEY,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(base, 'home', 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(base, 'home', 'aws-credentials'),
  };
  gateway = await spawnS3Gateway(base, 'bob');
  ({ child, endpoint, port } = gateway);
});

afterAll(async () => {
  await gateway?.stop();
  if (base) await rm(base, { recursive: true, force: true });
});

describe('tierfs gateway protocols', () => {
  it('rejects protocols other than s3 with the supported list', async () => {
    const failed = await execFileAsync(process.execPath, [
      BIN,
      'gateway',
      '--protocol',
      'ftp',
      '--root',
      base,
    ]).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toContain(
      "unsupported gateway protocol 'ftp'; supported: kodo, oss, s3",
    );
  });
});

const aws = findClient('aws');
describe.skipIf(!aws)('aws cli', () => {
  it('runs an aws s3 / s3api session including a 40 MiB multipart copy', async () => {
    const a = (...args: string[]) => run(aws!, ['--endpoint-url', endpoint, ...args]);
    await run(aws!, ['configure', 'set', 'default.s3.multipart_threshold', '8MB']);
    await run(aws!, ['configure', 'set', 'default.s3.multipart_chunksize', '8MB']);
    await a('s3', 'mb', 's3://awscli');
    const big = randomBytes(40 * 1024 * 1024);
    await writeFile(join(base, 'big.bin'), big);
    await writeFile(join(base, 'small.txt'), 'small file\n');
    await a('s3', 'cp', join(base, 'big.bin'), 's3://awscli/data/big.bin');
    await a(
      's3',
      'cp',
      join(base, 'small.txt'),
      's3://awscli/data/small.txt',
      '--content-type',
      'text/plain',
    );
    const head = JSON.parse(
      await a('s3api', 'head-object', '--bucket', 'awscli', '--key', 'data/big.bin'),
    ) as {
      ETag: string;
      ContentLength: number;
    };
    expect(head.ContentLength).toBe(big.length);
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}-5"$/);
    const listing = await a('s3', 'ls', '--recursive', 's3://awscli/');
    expect(listing).toContain('data/big.bin');
    expect(listing).toContain('data/small.txt');
    await a('s3', 'cp', 's3://awscli/data/big.bin', join(base, 'big.back'));
    expect(md5(await readFile(join(base, 'big.back')))).toBe(md5(big));
    const v2 = JSON.parse(
      await a('s3api', 'list-objects-v2', '--bucket', 'awscli', '--delimiter', '/', '--prefix', 'data/'),
    ) as { Contents: { Key: string }[] };
    expect(v2.Contents.map((c) => c.Key)).toEqual(['data/big.bin', 'data/small.txt']);
    await a(
      's3api',
      'put-object-tagging',
      '--bucket',
      'awscli',
      '--key',
      'data/small.txt',
      '--tagging',
      'TagSet=[{Key=k,Value=v}]',
    );
    const tags = JSON.parse(
      await a('s3api', 'get-object-tagging', '--bucket', 'awscli', '--key', 'data/small.txt'),
    ) as {
      TagSet: unknown[];
    };
    expect(tags.TagSet).toEqual([{ Key: 'k', Value: 'v' }]);
    const missing = await a('s3api', 'head-object', '--bucket', 'awscli', '--key', 'nope').catch(
      (e: Error) => e.message,
    );
    expect(missing).toContain('404');
    await a('s3', 'rm', '--recursive', 's3://awscli/data/');
    await a('s3', 'rb', 's3://awscli');
    expect(await a('s3', 'ls')).not.toContain('awscli');
  });
});

const s3cmd = findClient('s3cmd');
describe.skipIf(!s3cmd)('s3cmd', () => {
  it('puts, gets, lists and deletes with SigV4 and SigV2, and signs a V2 URL', async () => {
    const config = join(base, 's3cfg');
    await writeFile(
      config,
      [
        '[default]',
        `access_key = ${ACCESS_KEY}`,
        `secret_key = ${SECRET_KEY}`,
        `host_base = 127.0.0.1:${port}`,
        `host_bucket = 127.0.0.1:${port}`,
        'use_https = False',
        'check_ssl_certificate = False',
        '',
      ].join('\n'),
    );
    const c = (...args: string[]) => run(s3cmd!, ['-c', config, '--no-ssl', ...args]);
    await c('mb', 's3://s3cmd-bucket');
    const data = randomBytes(300_000);
    await writeFile(join(base, 's3cmd.bin'), data);
    await c('put', join(base, 's3cmd.bin'), 's3://s3cmd-bucket/dir/one.bin');
    await c('--signature-v2', 'put', join(base, 's3cmd.bin'), 's3://s3cmd-bucket/dir/two.bin');
    const ls = await c('ls', '--recursive', 's3://s3cmd-bucket');
    expect(ls).toContain('s3://s3cmd-bucket/dir/one.bin');
    expect(ls).toContain('s3://s3cmd-bucket/dir/two.bin');
    expect(await c('--signature-v2', 'ls', 's3://s3cmd-bucket/')).toContain('DIR');
    await c('get', '--force', 's3://s3cmd-bucket/dir/one.bin', join(base, 's3cmd.back'));
    expect(md5(await readFile(join(base, 's3cmd.back')))).toBe(md5(data));
    await c('--signature-v2', 'get', '--force', 's3://s3cmd-bucket/dir/two.bin', join(base, 's3cmd.back2'));
    expect(md5(await readFile(join(base, 's3cmd.back2')))).toBe(md5(data));
    const url = (await c('signurl', 's3://s3cmd-bucket/dir/one.bin', '+300')).trim();
    expect(url).toContain('Signature=');
    const fetched = await fetch(url.replace(/^https:/, 'http:'));
    expect(fetched.status).toBe(200);
    expect(md5(Buffer.from(await fetched.arrayBuffer()))).toBe(md5(data));
    await c('del', 's3://s3cmd-bucket/dir/one.bin');
    await c('--signature-v2', 'del', 's3://s3cmd-bucket/dir/two.bin');
    expect(await c('ls', '--recursive', 's3://s3cmd-bucket')).not.toContain('.bin');
    await c('rb', 's3://s3cmd-bucket');
  });
});

const rclone = findClient('rclone');
describe.skipIf(!rclone)('rclone', () => {
  it('syncs a tree up and down and rclone check finds no differences', async () => {
    const remote = {
      RCLONE_CONFIG_GW_TYPE: 's3',
      RCLONE_CONFIG_GW_PROVIDER: 'Other',
      RCLONE_CONFIG_GW_ACCESS_KEY_ID: ACCESS_KEY,
      RCLONE_CONFIG_GW_SECRET_ACCESS_KEY: SECRET_KEY,
      RCLONE_CONFIG_GW_ENDPOINT: endpoint,
      RCLONE_CONFIG_GW_FORCE_PATH_STYLE: 'true',
      RCLONE_CONFIG_GW_REGION: 'us-east-1',
      RCLONE_CONFIG: join(base, 'rclone.conf'),
    };
    const local = join(base, 'tree');
    for (const dir of ['a/b/c', 'd', 'e f']) await mkdir(join(local, dir), { recursive: true });
    const files: Record<string, Buffer> = {
      'top.txt': Buffer.from('top'),
      'a/one.bin': randomBytes(100_000),
      'a/b/two.bin': randomBytes(7 * 1024 * 1024),
      'a/b/c/three.txt': Buffer.from('three'),
      'd/empty.txt': Buffer.alloc(0),
      'e f/spaced name.txt': Buffer.from('spaces'),
    };
    for (const [path, data] of Object.entries(files)) await writeFile(join(local, path), data);
    const r = (...args: string[]) => run(rclone!, args, remote);
    await r('mkdir', 'gw:rclone-bucket');
    // 5 MiB cutoff and chunks: the 7 MiB file goes up as a multipart upload (Go's XML writes
    // the ETag quotes of CompleteMultipartUpload as &#34;).
    await r('sync', '--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M', local, 'gw:rclone-bucket/tree');
    await r('check', local, 'gw:rclone-bucket/tree');
    const listed = (await r('lsf', '-R', '--files-only', 'gw:rclone-bucket/tree')).trim().split('\n').sort();
    expect(listed).toEqual(Object.keys(files).sort());
    const back = join(base, 'tree-back');
    await r('sync', 'gw:rclone-bucket/tree', back);
    await r('check', local, back);
    for (const [path, data] of Object.entries(files))
      expect(md5(await readFile(join(back, path)))).toBe(md5(data));
    await r('purge', 'gw:rclone-bucket');
  });
});

const python = findClient('python3');
describe.skipIf(!python)('boto3', () => {
  it('reaches tagging, ACLs, ListMultipartUploads and SigV2 through boto3', async () => {
    const script = `
import hashlib, json, sys, urllib.request
import boto3
from botocore.config import Config
endpoint = sys.argv[1]
def client(sig):
    return boto3.client('s3', endpoint_url=endpoint, region_name='us-east-1',
        config=Config(signature_version=sig, s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
s3 = client('s3v4')
s3.create_bucket(Bucket='boto-bucket', ACL='public-read')
acl = s3.get_bucket_acl(Bucket='boto-bucket')
assert [g['Permission'] for g in acl['Grants']] == ['READ', 'FULL_CONTROL'], acl['Grants']
s3.put_object(Bucket='boto-bucket', Key='obj.txt', Body=b'boto body', Tagging='a=1', Metadata={'who': 'boto'})
assert s3.get_object_tagging(Bucket='boto-bucket', Key='obj.txt')['TagSet'] == [{'Key': 'a', 'Value': '1'}]
s3.put_object_tagging(Bucket='boto-bucket', Key='obj.txt', Tagging={'TagSet': [{'Key': 'b', 'Value': '2'}]})
assert s3.get_object_tagging(Bucket='boto-bucket', Key='obj.txt')['TagSet'] == [{'Key': 'b', 'Value': '2'}]
s3.delete_object_tagging(Bucket='boto-bucket', Key='obj.txt')
assert s3.get_object_tagging(Bucket='boto-bucket', Key='obj.txt')['TagSet'] == []
oacl = s3.get_object_acl(Bucket='boto-bucket', Key='obj.txt')
assert oacl['Owner']['ID'] == 'bob', oacl
head = s3.head_object(Bucket='boto-bucket', Key='obj.txt')
assert head['Metadata'] == {'who': 'boto'}, head
up = s3.create_multipart_upload(Bucket='boto-bucket', Key='mp.bin')
ups = s3.list_multipart_uploads(Bucket='boto-bucket')['Uploads']
assert [(u['Key'], u['UploadId']) for u in ups] == [('mp.bin', up['UploadId'])], ups
s3.abort_multipart_upload(Bucket='boto-bucket', Key='mp.bin', UploadId=up['UploadId'])
assert 'Uploads' not in s3.list_multipart_uploads(Bucket='boto-bucket')
v2 = client('s3')
assert v2.get_object(Bucket='boto-bucket', Key='obj.txt')['Body'].read() == b'boto body'
v2.put_object(Bucket='boto-bucket', Key='v2.txt', Body=b'signed v2')
url = client('s3-query').generate_presigned_url('get_object', Params={'Bucket': 'boto-bucket', 'Key': 'v2.txt'}, ExpiresIn=60)
assert 'Signature=' in url and 'Expires=' in url, url
assert urllib.request.urlopen(url).read() == b'signed v2'
try:
    boto3.client('s3', endpoint_url=endpoint, region_name='us-east-1', aws_access_key_id=s3._request_signer._credentials.access_key, aws_secret_access_key='wrong',
        config=Config(signature_version='s3', s3={'addressing_style': 'path'}, retries={'max_attempts': 1})).list_buckets()
    raise SystemExit('a wrong SigV2 secret was accepted')
except s3.exceptions.ClientError as e:
    assert e.response['Error']['Code'] == 'SignatureDoesNotMatch', e.response
for key in ['obj.txt', 'v2.txt']:
    s3.delete_object(Bucket='boto-bucket', Key=key)
s3.delete_bucket(Bucket='boto-bucket')
print('boto3 session ok')
`;
    expect(await run(python!, ['-c', script, endpoint])).toContain('boto3 session ok');
  });

  it("versions a bucket as s3-tests does, and empties it with the suite's teardown sequence", async () => {
    const script = `
import sys
import boto3
from botocore.config import Config
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1',
    config=Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
b = 'boto-versions'
s3.create_bucket(Bucket=b)
assert 'Status' not in s3.get_bucket_versioning(Bucket=b)
s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={'MFADelete': 'Disabled', 'Status': 'Enabled'})
assert s3.get_bucket_versioning(Bucket=b)['Status'] == 'Enabled'
ids = [s3.put_object(Bucket=b, Key='testobj', Body='content-%d' % i)['VersionId'] for i in range(3)]
versions = s3.list_object_versions(Bucket=b)['Versions']
versions.reverse()
assert [v['VersionId'] for v in versions] == ids, versions
for i, v in enumerate(versions):
    assert s3.get_object(Bucket=b, Key='testobj', VersionId=v['VersionId'])['Body'].read() == b'content-%d' % i
marker = s3.delete_object(Bucket=b, Key='testobj')
assert marker['DeleteMarker'] is True, marker
try:
    s3.get_object(Bucket=b, Key='testobj')
    raise SystemExit('GET after a delete marker answered')
except s3.exceptions.ClientError as e:
    assert e.response['Error']['Code'] == 'NoSuchKey', e.response
s3.put_object(Bucket=b, Key='other', Body='x')
# ceph/s3-tests' nuke_prefixed_buckets: objects, then versions, then delete markers, then the bucket.
for obj in s3.list_objects(Bucket=b).get('Contents', []):
    s3.delete_object(Bucket=b, Key=obj['Key'])
listed = s3.list_object_versions(Bucket=b)
assert len(listed['DeleteMarkers']) == 2, listed
for v in listed.get('Versions', []):
    s3.delete_object(Bucket=b, Key=v['Key'], VersionId=v['VersionId'])
for m in s3.list_object_versions(Bucket=b).get('DeleteMarkers', []):
    s3.delete_object(Bucket=b, Key=m['Key'], VersionId=m['VersionId'])
s3.delete_bucket(Bucket=b)
print('boto3 versions ok')
`;
    expect(await run(python!, ['-c', script, endpoint])).toContain('boto3 versions ok');
  });
});

describe('tierfs gateway shutdown', () => {
  it('stops cleanly on SIGTERM', async () => {
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});
