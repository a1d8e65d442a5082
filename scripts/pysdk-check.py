#!/usr/bin/env python3
"""Aliyun's oss2 and Qiniu's Python SDK against the OSS and Kodo gateways (scripts/pysdk-check.sh starts them).

Every operation the compatibility tables of docs/gateway-oss.md and docs/gateway-kodo.md mark supported is
called through the SDK, and every unsupported OSS sub-resource the SDK can send must answer 501 NotImplemented
leaving the object and the bucket as they were. Prints one line per check and, per dialect, how many of the
table's supported operations pass.

    OSS_ENDPOINT=http://127.0.0.1:PORT KODO_HOST=127.0.0.1:PORT python3 scripts/pysdk-check.py
"""
import hashlib
import io
import json
import os
import random
import sys
import tempfile
import time
import traceback

import requests

# Every response the SDKs get, to check the per-response headers the SDKs rely on.
_responses = []
_send = requests.sessions.Session.send


def _recording_send(self, request, **kwargs):
    response = _send(self, request, **kwargs)
    _responses.append((request.method, request.url, response))
    return response


requests.sessions.Session.send = _recording_send

import oss2  # noqa: E402
import qiniu  # noqa: E402
import qiniu.utils  # noqa: E402
import qiniu.http  # noqa: E402
from qiniu.http.endpoint import Endpoint  # noqa: E402
from qiniu.services.storage.uploader import put_data, put_file, put_file_v2  # noqa: E402

AK = os.environ.get('PYSDK_AK', 'AKPYSDKCHECK0001')
SK = os.environ.get('PYSDK_SK', 'pysdk-check-secret-0000000000000000')
results = {'oss': [], 'kodo': []}


class Check:
    """One named check; `op` is the compatibility table's row it covers (None for a refusal check)."""

    def __init__(self, dialect, op, name=None):
        self.dialect, self.op = dialect, op
        self.name = name or (op if isinstance(op, str) else ', '.join(op))

    def __call__(self, fn):
        try:
            fn()
            ok, detail = True, ''
        except Exception as e:  # noqa: BLE001 — a check's failure is reported, never fatal
            ok, detail = False, '{0}: {1}'.format(type(e).__name__, e)
            if os.environ.get('PYSDK_TRACE'):
                traceback.print_exc()
        results[self.dialect].append((self.op, self.name, ok, detail))
        print('{0} {1:5} {2}{3}'.format('PASS' if ok else 'FAIL', self.dialect, self.name,
                                        '' if ok else '  -- ' + detail[:400]))
        return fn


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def expect_oss_error(fn, status, code):
    try:
        fn()
    except oss2.exceptions.OssError as e:
        expect(e.status == status and e.code == code,
               'expected {0} {1}, got {2} {3}'.format(status, code, e.status, e.code))
        return e
    raise AssertionError('expected {0} {1}, the call succeeded'.format(status, code))


# ---------------------------------------------------------------------------------------------- OSS
def run_oss(endpoint):
    auth = oss2.Auth(AK, SK)
    name = 'pysdk-{0}'.format(random.randrange(10 ** 8))
    bucket = oss2.Bucket(auth, endpoint, name)
    service = oss2.Service(auth, endpoint)
    body = b'hello oss2 ' * 100
    oss = lambda op, label=None: Check('oss', op, label)  # noqa: E731

    @oss('PutBucket')
    def _():
        bucket.create_bucket(oss2.BUCKET_ACL_PRIVATE)

    @oss('ListBuckets')
    def _():
        names = [b.name for b in oss2.BucketIterator(service, max_keys=1)]
        expect(name in names and names == sorted(names), 'new bucket not listed: {0}'.format(names))

    @oss('GetBucketInfo')
    def _():
        info = bucket.get_bucket_info()
        expect(info.name == name, 'name {0}'.format(info.name))
        expect(info.acl.grant == 'private', 'acl {0}'.format(info.acl.grant))

    @oss('GetBucketLocation')
    def _():
        expect(bucket.get_bucket_location().location.startswith('oss-'), 'location')

    @oss('PutBucketAcl')
    def _():
        bucket.put_bucket_acl(oss2.BUCKET_ACL_PRIVATE)
        expect_oss_error(lambda: bucket.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ), 501, 'NotImplemented')

    @oss('GetBucketAcl')
    def _():
        expect(bucket.get_bucket_acl().acl == 'private', 'acl')

    @oss('PutObject')
    def _():
        r = bucket.put_object('dir/a.txt', body, headers={'x-oss-meta-author': 'me',
                                                          'Content-MD5': oss2.utils.content_md5(body)})
        expect(r.etag == hashlib.md5(body).hexdigest().upper() or r.etag.lower() == hashlib.md5(body).hexdigest(),
               'etag {0}'.format(r.etag))
        bucket.put_object('dir/b.txt', b'b')
        bucket.put_object('top.txt', b'top')
        bucket.put_object('folder/', b'')
        expect_oss_error(lambda: bucket.put_object('dir/a.txt', b'x', headers={'x-oss-forbid-overwrite': 'true'}),
                         409, 'FileAlreadyExists')

    @oss('GetObject')
    def _():
        expect(bucket.get_object('dir/a.txt').read() == body, 'body')
        part = bucket.get_object('dir/a.txt', byte_range=(0, 4))
        expect(part.status == 206 and part.read() == b'hello', 'range')
        expect_oss_error(lambda: bucket.get_object('missing'), 404, 'NoSuchKey')
        url = bucket.sign_url('GET', 'dir/a.txt', 60)
        expect(bucket.get_object_with_url(url).read() == body, 'presigned GET')
        put_url = bucket.sign_url('PUT', 'signed.txt', 60)
        bucket.put_object_with_url(put_url, b'signed')
        expect(bucket.get_object('signed.txt').read() == b'signed', 'presigned PUT')

    @oss('HeadObject')
    def _():
        head = bucket.head_object('dir/a.txt')
        expect(head.content_length == len(body), 'length')
        expect(head.headers.get('x-oss-meta-author') == 'me', 'meta')
        expect(head.last_modified > 0, 'last modified')
        expect_oss_error(lambda: bucket.head_object('missing'), 404, 'NoSuchKey')

    @oss('GetObjectMeta')
    def _():
        meta = bucket.get_object_meta('dir/a.txt')
        expect(meta.content_length == len(body), 'length')
        expect(bucket.object_exists('dir/a.txt') and not bucket.object_exists('missing'), 'object_exists')
        # oss2 2.1x sent it as a GET (2.18 sends HEAD): the same headers, no body.
        resp = bucket._Bucket__do_object('GET', 'dir/a.txt', params={'objectMeta': ''})
        old = oss2.models.GetObjectMetaResult(resp)
        expect(old.content_length == len(body) and old.etag.lower() == hashlib.md5(body).hexdigest(),
               'GET ?objectMeta: {0} {1}'.format(old.content_length, old.etag))

    @oss('CopyObject')
    def _():
        bucket.copy_object(name, 'dir/a.txt', 'copy.txt')
        expect(bucket.get_object('copy.txt').read() == body, 'copy')
        bucket.update_object_meta('copy.txt', {'x-oss-meta-author': 'you', 'Content-Type': 'text/plain'})
        expect(bucket.head_object('copy.txt').headers.get('x-oss-meta-author') == 'you', 'update meta')

    @oss('ListObjects')
    def _():
        page = bucket.list_objects(prefix='', delimiter='/', max_keys=100)
        keys = [o.key for o in page.object_list]
        expect(keys == ['copy.txt', 'signed.txt', 'top.txt'], 'keys {0}'.format(keys))
        expect(page.prefix_list == ['dir/', 'folder/'], 'prefixes {0}'.format(page.prefix_list))
        seen = [o.key for o in oss2.ObjectIterator(bucket, max_keys=2)]
        first = bucket.list_objects(max_keys=2)
        expect(first.is_truncated and first.next_marker, 'truncated page')
        rest = bucket.list_objects(marker=first.next_marker, max_keys=100)
        all_keys = [o.key for o in first.object_list + rest.object_list]
        expect(all_keys == sorted(all_keys) and 'folder/' in all_keys and len(all_keys) == 6,
               'paged keys {0}'.format(all_keys))
        expect(seen == all_keys, 'iterator {0}'.format(seen))
        tree = [(o.key, o.is_prefix()) for o in oss2.ObjectIterator(bucket, delimiter='/', max_keys=1)]
        expect(tree == [('copy.txt', False), ('dir/', True), ('folder/', True), ('signed.txt', False),
                        ('top.txt', False)], 'delimiter iterator {0}'.format(tree))

    @oss('ListObjectsV2')
    def _():
        first = bucket.list_objects_v2(max_keys=3, fetch_owner=True)
        expect(first.is_truncated and first.next_continuation_token, 'truncated')
        expect(first.object_list[0].owner is not None, 'owner')
        rest = bucket.list_objects_v2(continuation_token=first.next_continuation_token, max_keys=100)
        keys = [o.key for o in first.object_list + rest.object_list]
        expect(len(keys) == 6, 'keys {0}'.format(keys))
        expect([o.key for o in oss2.ObjectIteratorV2(bucket, max_keys=1)] == keys, 'iterator v2')
        after = bucket.list_objects_v2(start_after='signed.txt', delimiter='/')
        expect([o.key for o in after.object_list] == ['top.txt'], 'start-after')

    @oss('GetObjectAcl')
    def _():
        expect(bucket.get_object_acl('dir/a.txt').acl == 'default', 'acl')

    @oss('PutObjectAcl')
    def _():
        bucket.put_object_acl('dir/a.txt', oss2.OBJECT_ACL_DEFAULT)
        expect_oss_error(lambda: bucket.put_object_acl('dir/a.txt', oss2.OBJECT_ACL_PUBLIC_READ),
                         501, 'NotImplemented')

    parts_body = [os.urandom(100 * 1024), os.urandom(100 * 1024), b'tail']
    state = {}

    @oss('InitiateMultipartUpload')
    def _():
        state['upload'] = bucket.init_multipart_upload('big.bin').upload_id
        expect(state['upload'], 'upload id')

    @oss('UploadPart')
    def _():
        state['parts'] = []
        for n, data in enumerate(parts_body[:2], 1):
            r = bucket.upload_part('big.bin', state['upload'], n, data)
            expect(r.etag.lower() == hashlib.md5(data).hexdigest(), 'part etag')
            state['parts'].append(oss2.models.PartInfo(n, r.etag))

    @oss('UploadPartCopy')
    def _():
        bucket.put_object('tail-src.txt', b'xx' + parts_body[2] + b'yy')
        r = bucket.upload_part_copy(name, 'tail-src.txt', (2, 5), 'big.bin', state['upload'], 3)
        state['parts'].append(oss2.models.PartInfo(3, r.etag))

    @oss('ListParts')
    def _():
        listed = bucket.list_parts('big.bin', state['upload'])
        expect([p.part_number for p in listed.parts] == [1, 2, 3], 'parts')
        expect([p.part_number for p in oss2.PartIterator(bucket, 'big.bin', state['upload'], max_parts=1)] == [1, 2, 3],
               'part iterator')
        expect(listed.parts[0].size == len(parts_body[0]) and listed.parts[0].last_modified > 0, 'part info')

    @oss('ListMultipartUploads')
    def _():
        uploads = bucket.list_multipart_uploads()
        expect([(u.key, u.upload_id) for u in uploads.upload_list] == [('big.bin', state['upload'])], 'uploads')
        expect(uploads.upload_list[0].initiation_date > 0, 'initiated')
        nested = bucket.init_multipart_upload('mp/a/x.bin').upload_id
        grouped = bucket.list_multipart_uploads(delimiter='/')
        expect([u.key for u in grouped.upload_list] == ['big.bin'] and grouped.prefix_list == ['mp/'],
               'delimiter: {0} {1}'.format([u.key for u in grouped.upload_list], grouped.prefix_list))
        listed = [(u.key, u.is_prefix()) for u in oss2.MultipartUploadIterator(bucket, delimiter='/', max_uploads=1)]
        expect(listed == [('big.bin', False), ('mp/', True)], 'upload iterator {0}'.format(listed))
        expect([u.upload_id for u in oss2.ObjectUploadIterator(bucket, 'big.bin')] == [state['upload']],
               'object upload iterator')
        bucket.abort_multipart_upload('mp/a/x.bin', nested)

    @oss('CompleteMultipartUpload')
    def _():
        bucket.complete_multipart_upload('big.bin', state['upload'], state['parts'])
        expect(bucket.get_object('big.bin').read() == b''.join(parts_body), 'assembled object')

    @oss('AbortMultipartUpload')
    def _():
        upload = bucket.init_multipart_upload('aborted.bin').upload_id
        bucket.upload_part('aborted.bin', upload, 1, b'x')
        bucket.abort_multipart_upload('aborted.bin', upload)
        expect_oss_error(lambda: bucket.list_parts('aborted.bin', upload), 404, 'NoSuchUpload')
        expect(not bucket.object_exists('aborted.bin'), 'aborted object visible')

    @oss('DeleteObject')
    def _():
        bucket.delete_object('copy.txt')
        bucket.delete_object('never-existed')
        expect(not bucket.object_exists('copy.txt'), 'still there')

    # Unsupported sub-resources: 501 NotImplemented, the object and bucket unchanged.
    def snapshot():
        listing = [(o.key, o.etag, o.size) for o in bucket.list_objects(max_keys=1000).object_list]
        return listing, bucket.get_object('dir/a.txt').read()

    refusals = [
        ('put_object_tagging', lambda: bucket.put_object_tagging(
            'dir/a.txt', oss2.models.Tagging(_tagging_rule({'k': 'v'})))),
        ('get_object_tagging', lambda: bucket.get_object_tagging('dir/a.txt')),
        ('delete_object_tagging', lambda: bucket.delete_object_tagging('dir/a.txt')),
        ('put_symlink', lambda: bucket.put_symlink('top.txt', 'dir/a.txt')),
        ('put_symlink (new key)', lambda: bucket.put_symlink('top.txt', 'link.txt')),
        ('get_symlink', lambda: bucket.get_symlink('dir/a.txt')),
        ('append_object', lambda: bucket.append_object('dir/a.txt', len(body), b'appended')),
        ('append_object (new key)', lambda: bucket.append_object('appended.txt', 0, b'appended')),
        ('restore_object', lambda: bucket.restore_object('dir/a.txt')),
        ('get_object process', lambda: bucket.get_object('dir/a.txt', process='image/resize,w_10').read()),
        ('put_bucket_lifecycle', lambda: bucket.put_bucket_lifecycle(oss2.models.BucketLifecycle([
            oss2.models.LifecycleRule('r1', 'dir/', expiration=oss2.models.LifecycleExpiration(days=1))]))),
        ('get_bucket_lifecycle', lambda: bucket.get_bucket_lifecycle()),
        ('delete_bucket_lifecycle', lambda: bucket.delete_bucket_lifecycle()),
        ('put_bucket_cors', lambda: bucket.put_bucket_cors(oss2.models.BucketCors([
            oss2.models.CorsRule(allowed_origins=['*'], allowed_methods=['GET'])]))),
        ('get_bucket_cors', lambda: bucket.get_bucket_cors()),
        ('delete_bucket_cors', lambda: bucket.delete_bucket_cors()),
        ('put_bucket_tagging', lambda: bucket.put_bucket_tagging(oss2.models.Tagging(_tagging_rule({'k': 'v'})))),
    ]
    for label, call in refusals:
        @oss(None, 'refused: {0} -> 501 NotImplemented, object and bucket unchanged'.format(label))
        def _():
            before = snapshot()
            expect_oss_error(call, 501, 'NotImplemented')
            expect(snapshot() == before, 'the bucket or dir/a.txt changed')

    odd = 'odd/中文 key+%#?&=.txt'

    @oss(('PutObject', 'GetObject', 'HeadObject', 'ListObjects', 'CopyObject', 'DeleteObject'),
         'a key with spaces, +, %, #, ?, & and non-ASCII: put, get, head, list (url-encoded), copy, delete')
    def _():
        bucket.put_object(odd, b'odd')
        expect(bucket.get_object(odd).read() == b'odd', 'get')
        expect(bucket.head_object(odd).content_length == 3, 'head')
        expect([o.key for o in bucket.list_objects(prefix='odd/').object_list] == [odd], 'list v1')
        expect([o.key for o in bucket.list_objects_v2(prefix='odd/').object_list] == [odd], 'list v2')
        bucket.copy_object(name, odd, odd + '.copy')
        expect(bucket.get_object(odd + '.copy').read() == b'odd', 'copy')
        bucket.delete_object(odd + '.copy')
        bucket.delete_object(odd)
        expect(not bucket.object_exists(odd), 'delete')

    @oss('GetObject', 'conditional GET (304 / 412) and response-content-type')
    def _():
        head = bucket.head_object('dir/a.txt')
        expect_oss_error(lambda: bucket.get_object('dir/a.txt', headers={'If-None-Match': '"' + head.etag + '"'}),
                         304, '')
        expect_oss_error(lambda: bucket.get_object('dir/a.txt', headers={'If-Match': '"0000"'}),
                         412, 'PreconditionFailed')
        r = bucket.get_object('dir/a.txt', params={'response-content-type': 'text/x-check'})
        expect(r.headers.get('content-type') == 'text/x-check', 'content-type {0}'.format(r.content_type))

    @oss('DeleteBucket', 'DeleteBucket with an unfinished multipart upload is BucketNotEmpty')
    def _():
        other = oss2.Bucket(auth, endpoint, name + '-mpu')
        other.create_bucket()
        upload = other.init_multipart_upload('pending.bin').upload_id
        expect_oss_error(other.delete_bucket, 409, 'BucketNotEmpty')
        other.abort_multipart_upload('pending.bin', upload)
        other.delete_bucket()

    @oss('DeleteMultipleObjects')
    def _():
        keys = [o.key for o in bucket.list_objects(max_keys=1000).object_list]
        deleted = bucket.batch_delete_objects(keys).deleted_keys
        expect(sorted(deleted) == sorted(keys), 'deleted {0}'.format(deleted))
        expect(bucket.list_objects().object_list == [], 'bucket not empty')

    @oss('DeleteBucket')
    def _():
        other = oss2.Bucket(auth, endpoint, name + '-full')
        other.create_bucket()
        other.put_object('k', b'v')
        expect_oss_error(other.delete_bucket, 409, 'BucketNotEmpty')
        other.delete_object('k')
        other.delete_bucket()
        r = bucket.delete_bucket()
        expect(r.status == 204, 'status {0}'.format(r.status))
        expect_oss_error(bucket.get_bucket_info, 404, 'NoSuchBucket')

    @oss(None, 'every OSS response carries x-oss-request-id')
    def _():
        missing = [(m, u, r.status_code) for m, u, r in _responses
                   if u.startswith(endpoint) and not r.headers.get('x-oss-request-id')]
        expect(not missing, 'missing on {0}'.format(missing[:5]))


def run_oss_v4(endpoint):
    """The same gateway with oss2's signature version 4 (AuthV4, a region), on the operations a client uses most."""
    auth = oss2.AuthV4(AK, SK)
    name = 'pysdk-v4-{0}'.format(random.randrange(10 ** 8))
    bucket = oss2.Bucket(auth, endpoint, name, region='cn-hangzhou')
    service = oss2.Service(auth, endpoint, region='cn-hangzhou')
    oss = lambda op, label: Check('oss', op, label)  # noqa: E731
    key = 'v4/中文 a+b.txt'

    @oss(('PutBucket', 'ListBuckets', 'PutObject', 'GetObject', 'HeadObject', 'ListObjects', 'ListObjectsV2',
          'CopyObject', 'DeleteMultipleObjects', 'DeleteObject', 'DeleteBucket'),
         'signature V4 (AuthV4): bucket, put, get (range), head, list v1/v2, copy, batch delete, delete')
    def _():
        bucket.create_bucket()
        expect(name in [b.name for b in service.list_buckets(max_keys=1000).buckets], 'ListBuckets')
        bucket.put_object(key, b'signed with v4', headers={'x-oss-meta-v': '4', 'Content-Type': 'text/plain'})
        expect(bucket.get_object(key).read() == b'signed with v4', 'get')
        expect(bucket.get_object(key, byte_range=(0, 5)).read() == b'signed', 'range')
        expect(bucket.head_object(key).headers.get('x-oss-meta-v') == '4', 'head')
        expect([o.key for o in bucket.list_objects(prefix='v4/').object_list] == [key], 'list v1')
        expect([o.key for o in bucket.list_objects_v2(prefix='v4/', start_after='v4/').object_list] == [key],
               'list v2')
        bucket.copy_object(name, key, key + '.copy')
        expect(sorted(bucket.batch_delete_objects([key + '.copy']).deleted_keys) == [key + '.copy'], 'batch delete')
        bucket.delete_object(key)
        bucket.delete_bucket()

    @oss(('InitiateMultipartUpload', 'UploadPart', 'ListParts', 'CompleteMultipartUpload'),
         'signature V4 (AuthV4): multipart upload')
    def _():
        bucket.create_bucket()
        upload = bucket.init_multipart_upload('big.bin').upload_id
        data = [os.urandom(100 * 1024), b'end']
        parts = [oss2.models.PartInfo(n, bucket.upload_part('big.bin', upload, n, d).etag)
                 for n, d in enumerate(data, 1)]
        expect(len(bucket.list_parts('big.bin', upload).parts) == 2, 'list parts')
        bucket.complete_multipart_upload('big.bin', upload, parts)
        expect(bucket.get_object('big.bin').read() == b''.join(data), 'content')
        bucket.delete_object('big.bin')
        bucket.delete_bucket()


def run_oss_single(endpoint, name):
    """A single-bucket gateway (--bucket): oss2 with is_cname, which with an IP endpoint still sends /<bucket>/<key>."""
    bucket = oss2.Bucket(oss2.Auth(AK, SK), endpoint, name, is_cname=True)

    @Check('oss', None, 'single-bucket gateway (--bucket), oss2 is_cname: put, get, list, multipart, delete')
    def _():
        bucket.put_object('d/x y.txt', b'single')
        expect(bucket.get_object('d/x y.txt').read() == b'single', 'get')
        expect([o.key for o in bucket.list_objects().object_list] == ['d/x y.txt'], 'list')
        expect(bucket.get_bucket_info().name == name, 'bucket info')
        upload = bucket.init_multipart_upload('m.bin').upload_id
        etag = bucket.upload_part('m.bin', upload, 1, b'part').etag
        bucket.complete_multipart_upload('m.bin', upload, [oss2.models.PartInfo(1, etag)])
        expect(bucket.get_object('m.bin').read() == b'part', 'multipart')
        bucket.batch_delete_objects(['d/x y.txt', 'm.bin'])
        expect(bucket.list_objects().object_list == [], 'not emptied')


def _tagging_rule(pairs):
    rule = oss2.models.TaggingRule()
    for k, v in pairs.items():
        rule.add(k, v)
    return rule


# --------------------------------------------------------------------------------------------- Kodo
def run_kodo(host):
    base = 'http://' + host
    auth = qiniu.Auth(AK, SK)
    qiniu.set_default(default_uc_host=host)
    zone = qiniu.Zone(up_host=base, io_host=base, rs_host=base, rsf_host=base, api_host=base)
    manager = qiniu.BucketManager(auth, zone=zone)
    name = 'pysdk-{0}'.format(random.randrange(10 ** 8))
    kodo = lambda op, label=None: Check('kodo', op, label)  # noqa: E731
    body = b'hello qiniu ' * 50

    def ok(pair, what):
        ret, info = pair
        expect(info.status_code == 200 and ret is not None,
               '{0}: status {1}, ret {2}, error {3}'.format(what, info.status_code, ret, getattr(info, 'error', '')))
        return ret

    @kodo('create bucket')
    def _():
        ok(manager.mkbucketv3(name, 'z0'), 'mkbucketv3')

    @kodo('list buckets')
    def _():
        expect(name in ok(manager.buckets(), 'buckets'), 'bucket not listed')

    @kodo('bucket info')
    def _():
        info = ok(manager.bucket_info(name), 'bucket_info')
        expect(info.get('tbl') == name, 'info {0}'.format(info))

    @kodo('region query')
    def _():
        r = requests.get(base + '/v4/query', params={'ak': AK, 'bucket': name})
        expect(r.status_code == 200 and r.headers.get('X-Reqid'), 'status {0}'.format(r.status_code))
        hosts = r.json()['hosts'][0]
        expect(host in str(hosts['up']) and host in str(hosts['rs']), 'hosts {0}'.format(hosts))
        # The SDK's own way: a BucketManager without a zone asks /v4/query for the bucket's hosts.
        endpoint = Endpoint(host, default_scheme='http')
        querying = qiniu.BucketManager(auth, query_regions_endpoints=[endpoint], preferred_scheme='http')
        ret, eof, info = querying.list(name, limit=1)
        expect(info.status_code == 200 and ret is not None, 'list through the queried region: {0}'.format(info))

    @kodo('form upload')
    def _():
        token = auth.upload_token(name, 'a.txt')
        ret = ok(put_data(token, 'a.txt', body, regions=[zone],
                                metadata={'x-qn-meta-author': 'me'}, params={'x:v': '1'}), 'put_data')
        expect(ret['key'] == 'a.txt' and ret['hash'] == qiniu.utils.etag_stream(io.BytesIO(body)),
               'ret {0}'.format(ret))
        for key in ['dir/b.txt', 'dir/c.txt', 'top.txt']:
            ok(put_data(auth.upload_token(name, key), key, key.encode(), regions=[zone]), 'put ' + key)

    big = os.urandom(9 * 1024 * 1024 + 5)
    state = {}

    @kodo(('resumable v2: init', 'resumable v2: upload part', 'resumable v2: complete'))
    def _():
        with tempfile.NamedTemporaryFile() as f:
            f.write(big)
            f.flush()
            ret = ok(put_file_v2(auth.upload_token(name, 'big.bin'), 'big.bin', f.name, regions=[zone],
                                       part_size=4 * 1024 * 1024), 'put_file_v2')
        expect(ret['key'] == 'big.bin', 'ret {0}'.format(ret))
        state['big'] = True

    @kodo(('resumable v1: make block', 'resumable v1: make file'))
    def _():
        # put_file's default for a file over one block (4 MiB): mkblk per block, then mkfile.
        with tempfile.NamedTemporaryFile() as f:
            f.write(big)
            f.flush()
            ret = ok(put_file(auth.upload_token(name, 'v1.bin'), 'v1.bin', f.name, regions=[zone],
                              params={'x:v': '1'}, metadata={'x-qn-meta-author': 'v1'}), 'put_file')
        expect(ret['key'] == 'v1.bin' and ret['hash'] == qiniu.utils.etag_stream(io.BytesIO(big)),
               'ret {0}'.format(ret))
        st = ok(manager.stat(name, 'v1.bin'), 'stat v1.bin')
        expect(st['fsize'] == len(big) and st.get('x-qn-meta', {}).get('author') == 'v1', 'stat {0}'.format(st))
        ok(manager.delete(name, 'v1.bin'), 'delete v1.bin')

    @kodo('resumable v1: put chunk')
    def _():
        # The SDKs send whole blocks with mkblk; bput (a block in several chunks) is sent as Qiniu documents it.
        token = auth.upload_token(name, 'chunked.bin')
        headers = {'Authorization': 'UpToken ' + token, 'Content-Type': 'application/octet-stream'}
        data = os.urandom(3000)
        first = requests.post('{0}/mkblk/{1}'.format(base, len(data)), data=data[:1000], headers=headers)
        expect(first.status_code == 200 and first.json()['offset'] == 1000, 'mkblk {0}'.format(first.text))
        second = requests.post('{0}/bput/{1}/1000'.format(base, first.json()['ctx']), data=data[1000:],
                               headers=headers)
        expect(second.status_code == 200 and second.json()['offset'] == 3000 and
               second.json()['crc32'] == qiniu.utils.crc32(data[1000:]), 'bput {0}'.format(second.text))
        made = requests.post('{0}/mkfile/3000/key/{1}'.format(base, qiniu.urlsafe_base64_encode('chunked.bin')),
                             data=second.json()['ctx'], headers=headers)
        expect(made.status_code == 200 and made.json()['hash'] == qiniu.utils.etag_stream(io.BytesIO(data)),
               'mkfile {0}'.format(made.text))
        ok(manager.delete(name, 'chunked.bin'), 'delete chunked.bin')

    @kodo(('resumable v2: list parts', 'resumable v2: abort'))
    def _():
        token = auth.upload_token(name, 'gone.bin')
        url = '{0}/buckets/{1}/objects/{2}/uploads'.format(base, name, qiniu.urlsafe_base64_encode('gone.bin'))
        headers = {'Authorization': 'UpToken ' + token}
        init = requests.post(url, headers=headers).json()
        part = requests.put('{0}/{1}/1'.format(url, init['uploadId']), data=b'x' * 10,
                            headers=dict(headers, **{'Content-Type': 'application/octet-stream',
                                                     'Content-MD5': hashlib.md5(b'x' * 10).hexdigest()}))
        expect(part.status_code == 200, 'part {0}'.format(part.status_code))
        listed = requests.get('{0}/{1}'.format(url, init['uploadId']), headers=headers)
        expect(listed.status_code == 200 and [p['partNumber'] for p in listed.json()['parts']] == [1],
               'list parts {0}'.format(listed.text))
        gone = requests.delete('{0}/{1}'.format(url, init['uploadId']), headers=headers)
        expect(gone.status_code == 200, 'abort {0}'.format(gone.status_code))

    @kodo('stat')
    def _():
        st = ok(manager.stat(name, 'a.txt'), 'stat')
        expect(st['fsize'] == len(body) and st['hash'] == qiniu.utils.etag_stream(io.BytesIO(body)),
               'stat {0}'.format(st))
        expect(st.get('x-qn-meta', {}).get('author') == 'me', 'meta {0}'.format(st.get('x-qn-meta')))
        ret, info = manager.stat(name, 'missing')
        expect(ret is None and info.status_code == 612, 'missing: {0}'.format(info.status_code))

    @kodo('list')
    def _():
        ret, eof, info = manager.list(name, prefix='', delimiter='/', limit=100)
        expect(info.status_code == 200 and ret is not None, 'list: {0} {1}'.format(info.status_code, info.error
                                                                                   if hasattr(info, 'error') else ''))
        keys = [i['key'] for i in ret.get('items', [])]
        expect(keys == ['a.txt', 'big.bin', 'top.txt'] and ret.get('commonPrefixes') == ['dir/'],
               'list {0} {1}'.format(keys, ret.get('commonPrefixes')))
        expect(eof, 'eof')
        ret, eof, _ = manager.list(name, limit=2)
        expect(not eof and ret.get('marker'), 'first page')
        ret2, eof2, _ = manager.list(name, marker=ret['marker'], limit=100)
        expect(eof2 and len(ret['items']) + len(ret2['items']) == 5, 'paged')

    @kodo('copy')
    def _():
        ok(manager.copy(name, 'a.txt', name, 'copy.txt'), 'copy')
        ret, info = manager.copy(name, 'a.txt', name, 'copy.txt')
        expect(info.status_code == 614, 'copy onto existing without force: {0}'.format(info.status_code))
        ok(manager.copy(name, 'a.txt', name, 'copy.txt', force='true'), 'copy force')

    @kodo('move')
    def _():
        ok(manager.move(name, 'copy.txt', name, 'moved.txt'), 'move')
        expect(manager.stat(name, 'copy.txt')[1].status_code == 612, 'source still there')

    @kodo('change MIME')
    def _():
        ok(manager.change_mime(name, 'moved.txt', 'text/plain'), 'chgm')
        expect(ok(manager.stat(name, 'moved.txt'), 'stat')['mimeType'] == 'text/plain', 'mime')

    @kodo('download')
    def _():
        url = auth.private_download_url('{0}/{1}/a.txt'.format(base, name), expires=600)
        r = requests.get(url)
        expect(r.status_code == 200 and r.content == body and r.headers.get('X-Reqid'), 'GET {0}'.format(r.status_code))
        r = requests.get(url, headers={'Range': 'bytes=0-4'})
        expect(r.status_code == 206 and r.content == b'hello', 'range {0}'.format(r.status_code))
        if state.get('big'):
            big_url = auth.private_download_url('{0}/{1}/big.bin'.format(base, name), expires=600)
            expect(requests.get(big_url).content == big, 'resumable upload content')

    @kodo('batch')
    def _():
        ops = qiniu.build_batch_stat(name, ['a.txt', 'top.txt'])
        expect(not ops[0].startswith('/'), 'the SDK writes ops without a leading slash: {0}'.format(ops[0]))
        ret = ok(manager.batch(ops), 'batch stat')
        expect([r['code'] for r in ret] == [200, 200] and ret[0]['data']['fsize'] == len(body), 'ret {0}'.format(ret))
        ret, info = manager.batch(qiniu.build_batch_stat(name, ['a.txt', 'missing']))
        expect(info.status_code == 298, 'partial failure status {0}'.format(info.status_code))
        ok(manager.batch(qiniu.build_batch_copy(name, {'a.txt': 'b1.txt'}, name)), 'batch copy')
        ok(manager.batch(qiniu.build_batch_move(name, {'b1.txt': 'b2.txt'}, name)), 'batch move')
        ok(manager.batch(qiniu.build_batch_delete(name, ['b2.txt'])), 'batch delete')
        expect(manager.stat(name, 'b2.txt')[1].status_code == 612, 'batch delete left b2.txt')

    @kodo(None, 'refused: change_type -> 501, object unchanged')
    def _():
        before = ok(manager.stat(name, 'a.txt'), 'stat')
        ret, info = manager.change_type(name, 'a.txt', 1)
        expect(info.status_code == 501, 'status {0}'.format(info.status_code))
        expect(ok(manager.stat(name, 'a.txt'), 'stat') == before, 'changed')

    @kodo(None, 'refused: delete_after_days in a batch -> 501 for that op, object unchanged')
    def _():
        ops = ['deleteAfterDays/{0}/1'.format(qiniu.entry(name, 'a.txt'))] + qiniu.build_batch_stat(name, ['a.txt'])
        ret, info = manager.batch(ops)
        codes = [r['code'] for r in json.loads(info.text_body)]
        expect(info.status_code == 298 and codes == [501, 200], 'status {0}, codes {1}'.format(info.status_code, codes))
        expect(manager.stat(name, 'a.txt')[1].status_code == 200, 'object gone')

    @kodo(('form upload', 'stat', 'list', 'download', 'delete'),
          'a key with spaces, +, %, ?, # and non-ASCII: upload, stat, list, download, delete')
    def _():
        odd = 'odd/中文 key+%?#.txt'
        ok(put_data(auth.upload_token(name, odd), odd, b'odd', regions=[zone]), 'put')
        expect(ok(manager.stat(name, odd), 'stat')['fsize'] == 3, 'size')
        ret, _, _ = manager.list(name, prefix='odd/')
        expect([i['key'] for i in ret['items']] == [odd], 'list {0}'.format(ret))
        url = auth.private_download_url('{0}/{1}/{2}'.format(base, name, requests.utils.quote(odd)), expires=600)
        r = requests.get(url)
        expect(r.status_code == 200 and r.content == b'odd', 'download {0}'.format(r.status_code))
        ok(manager.delete(name, odd), 'delete')

    @kodo('form upload', 'upload token policies: insertOnly (614 on an existing key), returnBody, a key-less upload')
    def _():
        token = auth.upload_token(name, 'a.txt', policy={'insertOnly': 1})
        ret, info = put_data(token, 'a.txt', b'again', regions=[zone])
        expect(info.status_code == 614, 'insertOnly: {0}'.format(info.status_code))
        token = auth.upload_token(name, 'rb.txt', policy={'returnBody': '{"k":"$(key)","s":$(fsize)}'})
        ret = ok(put_data(token, 'rb.txt', b'12345', regions=[zone]), 'returnBody')
        expect(ret == {'k': 'rb.txt', 's': 5}, 'returnBody {0}'.format(ret))
        ret = ok(put_data(auth.upload_token(name), None, b'no key', regions=[zone]), 'key-less')
        expect(ret['key'] == ret['hash'] == qiniu.utils.etag_stream(io.BytesIO(b'no key')), 'key {0}'.format(ret))
        ok(manager.delete(name, 'rb.txt'), 'delete')
        ok(manager.delete(name, ret['key']), 'delete')

    @kodo('delete')
    def _():
        for key in ['a.txt', 'big.bin', 'top.txt', 'moved.txt', 'dir/b.txt', 'dir/c.txt']:
            ok(manager.delete(name, key), 'delete ' + key)
        ret, info = manager.delete(name, 'a.txt')
        expect(info.status_code == 612, 'delete missing: {0}'.format(info.status_code))

    @kodo('delete bucket')
    def _():
        mac = qiniu.QiniuMacAuth(AK, SK)
        ret, info = qiniu.http._post_with_qiniu_mac('{0}/drop/{1}'.format(base, name), None, mac)
        expect(info.status_code == 200, 'drop: {0} {1}'.format(info.status_code, info.text_body))
        expect(name not in (ok(manager.buckets(), 'buckets') or []), 'bucket still listed')

    @kodo(None, 'every Kodo response carries X-Reqid')
    def _():
        missing = [(m, u, r.status_code) for m, u, r in _responses
                   if u.startswith(base) and not r.headers.get('X-Reqid')]
        expect(not missing, 'missing on {0}'.format(missing[:5]))


def summary(dialect, sdk, listed_ops):
    rows = results[dialect]
    by_op = {}
    for ops, _, ok, _ in rows:
        for op in ([ops] if isinstance(ops, str) else ops or []):
            by_op[op] = by_op.get(op, True) and ok
    passing = sum(1 for op in listed_ops if by_op.get(op))
    refusals = [ok for op, _, ok, _ in rows if op is None]
    print('{0}: {1}/{2} supported operations pass with {3}; {4}/{5} other checks pass'.format(
        dialect.upper(), passing, len(listed_ops), sdk, sum(refusals), len(refusals)))
    missing = [op for op in listed_ops if op not in by_op]
    if missing:
        print('  not exercised: {0}'.format(', '.join(missing)))
    return passing == len(listed_ops) and all(refusals)


OSS_SUPPORTED = ['ListBuckets', 'PutBucket', 'DeleteBucket', 'GetBucketInfo', 'GetBucketLocation', 'GetBucketAcl',
                 'PutBucketAcl', 'ListObjects', 'ListObjectsV2', 'ListMultipartUploads', 'DeleteMultipleObjects',
                 'PutObject', 'CopyObject', 'GetObject', 'HeadObject', 'GetObjectMeta', 'DeleteObject',
                 'GetObjectAcl', 'PutObjectAcl', 'InitiateMultipartUpload', 'UploadPart', 'UploadPartCopy',
                 'CompleteMultipartUpload', 'AbortMultipartUpload', 'ListParts']
KODO_SUPPORTED = ['form upload', 'resumable v1: make block', 'resumable v1: put chunk', 'resumable v1: make file',
                  'resumable v2: init', 'resumable v2: upload part', 'resumable v2: complete',
                  'resumable v2: abort', 'resumable v2: list parts',
                  'stat', 'list', 'delete', 'move', 'copy', 'change MIME', 'batch', 'list buckets', 'create bucket',
                  'delete bucket', 'bucket info', 'region query', 'download']


def main():
    all_ok = True
    if os.environ.get('OSS_ENDPOINT'):
        run_oss(os.environ['OSS_ENDPOINT'])
        run_oss_v4(os.environ['OSS_ENDPOINT'])
        if os.environ.get('OSS_SINGLE_ENDPOINT'):
            run_oss_single(os.environ['OSS_SINGLE_ENDPOINT'], os.environ['OSS_SINGLE_BUCKET'])
        all_ok &= summary('oss', 'oss2 ' + oss2.__version__, OSS_SUPPORTED)
    if os.environ.get('KODO_HOST'):
        run_kodo(os.environ['KODO_HOST'])
        all_ok &= summary('kodo', 'qiniu ' + qiniu.__version__, KODO_SUPPORTED)
    return 0 if all_ok else 1


if __name__ == '__main__':
    sys.exit(main())
