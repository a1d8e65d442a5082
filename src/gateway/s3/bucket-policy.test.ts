import { describe, expect, it } from 'vitest';
import { evaluatePolicy, parsePolicy } from './bucket-policy.js';

const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const ask = (
  user: string | undefined,
  action: string,
  resource: string,
  sourceIp = '127.0.0.1',
  values: Record<string, string> = {},
) => ({
  user,
  action,
  resource,
  values: (key: string) => (key.toLowerCase() === 'aws:sourceip' ? sourceIp : values[key]),
});

describe('bucket policies', () => {
  it('matches principals, action globs and resource globs; Deny wins', () => {
    const policy = parsePolicy(
      doc(
        {
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::1:user/bob' },
          Action: 's3:Get*',
          Resource: 'arn:aws:s3:::b/docs/*',
        },
        { Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/docs/secret?' },
      ),
      'b',
    );
    expect(evaluatePolicy(policy, ask('bob', 's3:GetObject', 'arn:aws:s3:::b/docs/a/b'))).toBe('Allow');
    expect(evaluatePolicy(policy, ask('bob', 's3:getobjectacl', 'arn:aws:s3:::b/docs/x'))).toBe('Allow');
    expect(evaluatePolicy(policy, ask('bob', 's3:PutObject', 'arn:aws:s3:::b/docs/x'))).toBeUndefined();
    expect(evaluatePolicy(policy, ask('eve', 's3:GetObject', 'arn:aws:s3:::b/docs/x'))).toBeUndefined();
    expect(evaluatePolicy(policy, ask('bob', 's3:GetObject', 'arn:aws:s3:::b/other'))).toBeUndefined();
    expect(evaluatePolicy(policy, ask('bob', 's3:GetObject', 'arn:aws:s3:::b/docs/secret1'))).toBe('Deny');
    expect(evaluatePolicy(policy, ask(undefined, 's3:GetObject', 'arn:aws:s3:::b/docs/secret1'))).toBe(
      'Deny',
    );
    expect(policy.isPublic).toBe(false);
  });

  it('aws:SourceIp ranges, IPv4 (also IPv4-mapped IPv6) and IPv6', () => {
    const policy = parsePolicy(
      doc({
        Effect: 'Allow',
        Principal: '*',
        Action: '*',
        Resource: 'arn:aws:s3:::b*',
        Condition: { IpAddress: { 'aws:SourceIp': ['10.1.0.0/16', '2001:db8::/32'] } },
      }),
      'b',
    );
    const from = (ip: string) =>
      evaluatePolicy(policy, ask(undefined, 's3:ListBucket', 'arn:aws:s3:::b', ip));
    expect(from('10.1.2.3')).toBe('Allow');
    expect(from('::ffff:10.1.2.3')).toBe('Allow');
    expect(from('10.2.0.1')).toBeUndefined();
    expect(from('2001:db8::1')).toBe('Allow');
    expect(from('2001:db9::1')).toBeUndefined();
  });

  it('refuses what it cannot enforce, naming it', () => {
    const refused = (text: string) => {
      try {
        parsePolicy(text, 'b');
      } catch (error) {
        return `${(error as { code: string }).code}: ${(error as Error).message}`;
      }
      return 'accepted';
    };
    const base = { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' };
    expect(refused(doc({ ...base, Resource: 'arn:aws:s3:::c/*' }))).toMatch(
      /^MalformedPolicy: .*arn:aws:s3:::c/,
    );
    expect(refused(doc({ ...base, Action: 'ec2:Run' }))).toMatch(/^MalformedPolicy: .*ec2:Run/);
    expect(refused(doc({ ...base, Principal: { Service: 'x' } }))).toMatch(/^NotImplemented: .*Service/);
    expect(
      refused(doc({ ...base, Condition: { DateLessThan: { 'aws:CurrentTime': '2030-01-01' } } })),
    ).toMatch(/^NotImplemented: .*DateLessThan/);
    expect(refused(doc({ ...base, Condition: { StringEquals: { 's3:LocationConstraint': 'x' } } }))).toMatch(
      /^NotImplemented: .*s3:LocationConstraint/,
    );
    expect(refused(doc({ ...base, Condition: { NumericLessThan: { 's3:max-keys': 'ten' } } }))).toMatch(
      /^MalformedPolicy: .*numbers/,
    );
    expect(refused(doc({ ...base, Condition: { IpAddress: { 'aws:SourceIp': '300.1.1.1/8' } } }))).toMatch(
      /^MalformedPolicy: .*300\.1\.1\.1/,
    );
    expect(refused(JSON.stringify({ Version: '2012-10-17' }))).toMatch(/^MalformedPolicy: .*Statement/);
    expect(refused(doc(base))).toBe('accepted');
    expect(parsePolicy(doc(base), 'b').isPublic).toBe(true);
  });

  it('string, numeric and Null conditions; a missing key fails a positive operator, satisfies a negated one or IfExists', () => {
    const statement = (Condition: object) =>
      parsePolicy(
        doc({ Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::b/*', Condition }),
        'b',
      );
    const says = (policy: ReturnType<typeof parsePolicy>, values: Record<string, string>) =>
      evaluatePolicy(policy, ask('bob', 's3:PutObject', 'arn:aws:s3:::b/k', '127.0.0.1', values));
    const like = statement({ StringLike: { 's3:x-amz-copy-source': ['src/public/*', 'src/shared/?'] } });
    expect(says(like, { 's3:x-amz-copy-source': 'src/public/a/b' })).toBe('Allow');
    expect(says(like, { 's3:x-amz-copy-source': 'src/shared/1' })).toBe('Allow');
    expect(says(like, { 's3:x-amz-copy-source': 'src/private/a' })).toBeUndefined();
    expect(says(like, {})).toBeUndefined();
    const notEquals = statement({ StringNotEquals: { 's3:x-amz-acl': 'public-read' } });
    expect(says(notEquals, { 's3:x-amz-acl': 'private' })).toBe('Allow');
    expect(says(notEquals, { 's3:x-amz-acl': 'public-read' })).toBeUndefined();
    expect(says(notEquals, {})).toBe('Allow');
    const ifExists = statement({ StringLikeIfExists: { 'aws:Referer': 'http://www.example.com/*' } });
    expect(says(ifExists, { 'aws:Referer': 'http://www.example.com/x' })).toBe('Allow');
    expect(says(ifExists, { 'aws:Referer': 'http://example.com' })).toBeUndefined();
    expect(says(ifExists, {})).toBe('Allow');
    const tag = statement({ StringEquals: { 's3:ExistingObjectTag/Security': 'public' } });
    expect(says(tag, { 's3:ExistingObjectTag/Security': 'public' })).toBe('Allow');
    expect(says(tag, { 's3:ExistingObjectTag/Security': 'Public' })).toBeUndefined();
    const both = statement({
      Null: { 's3:x-amz-server-side-encryption': 'true' },
      NumericLessThan: { 's3:max-keys': 10 },
    });
    expect(says(both, { 's3:max-keys': '9' })).toBe('Allow');
    expect(says(both, { 's3:max-keys': '10' })).toBeUndefined();
    expect(says(both, { 's3:max-keys': '9', 's3:x-amz-server-side-encryption': 'AES256' })).toBeUndefined();
    expect(like.isPublic).toBe(false);
  });
});
