import { describe, expect, it } from 'vitest';
import { checkPostPolicy, lengthRange, parsePostPolicy } from './post-policy.js';

const encode = (document: unknown) => Buffer.from(JSON.stringify(document)).toString('base64');
const LATER = '2099-01-01T00:00:00Z';
const fields = (entries: Record<string, string>) => new Map(Object.entries(entries));

describe('POST policy documents (as ceph/s3-tests checks them)', () => {
  it('condition names and operators are case-insensitive', () => {
    const policy = parsePostPolicy(
      encode({
        expiration: LATER,
        conditions: [{ bUcKeT: 'b' }, ['StArTs-WiTh', '$KeY', 'foo'], ['content-length-range', 0, 1024]],
      }),
    );
    expect(() => checkPostPolicy(policy, fields({ bucket: 'b', key: 'foo.txt' }), Date.now())).not.toThrow();
    expect(lengthRange(policy)).toEqual({ min: 0, max: 1024 });
  });

  it('the document keys are case-sensitive and required; malformed conditions are InvalidPolicyDocument', () => {
    for (const document of [
      { EXPIRATION: LATER, conditions: [] },
      { expiration: LATER, CONDITIONS: [] },
      { expiration: '2099-01-01 00:00:00.000+00:00', conditions: [] },
      { expiration: LATER, conditions: [{}] },
      { expiration: LATER, conditions: [['content-length-range', 0]] },
      { expiration: LATER, conditions: [['content-length-range', -1, 0]] },
      { expiration: LATER, conditions: [['matches', '$key', 'x']] },
    ]) {
      expect(() => parsePostPolicy(encode(document)), JSON.stringify(document)).toThrow(
        expect.objectContaining({ code: 'InvalidPolicyDocument', status: 400 }),
      );
    }
  });

  it('an expired policy, a failed condition and an unnamed field are AccessDenied', () => {
    const policy = (expiration: string, conditions: unknown[]) =>
      parsePostPolicy(encode({ expiration, conditions }));
    const denied = expect.objectContaining({ code: 'AccessDenied', status: 403 });
    expect(() => checkPostPolicy(policy('2000-01-01T00:00:00Z', []), fields({}), Date.now())).toThrow(denied);
    const eq = policy(LATER, [{ bucket: 'b' }, ['eq', '$x-amz-meta-foo', '']]);
    expect(() => checkPostPolicy(eq, fields({ bucket: 'b', 'x-amz-meta-foo': 'barclamp' }), 0)).toThrow(
      denied,
    );
    const noBucket = policy(LATER, [['starts-with', '$key', 'foo']]);
    expect(() => checkPostPolicy(noBucket, fields({ bucket: 'b', key: 'foo' }), 0)).toThrow(denied);
    const exempt = policy(LATER, [{ bucket: 'b' }]);
    expect(() =>
      checkPostPolicy(
        exempt,
        fields({ bucket: 'b', policy: 'p', signature: 's', awsaccesskeyid: 'a', 'x-ignore-me': '1' }),
        0,
      ),
    ).not.toThrow();
  });
});
