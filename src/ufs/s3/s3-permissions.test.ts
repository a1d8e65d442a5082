import { describe, expect, it } from 'vitest';
import { isTierfsError } from '../../errors.js';
import { modeFromGrants, parseOwnerMapping } from './s3-permissions.js';

describe('S3 permissions from bucket ACLs', () => {
  it('maps grants to the owner: READ 0500, WRITE 0200, FULL_CONTROL 0700; others are ignored', () => {
    expect(modeFromGrants([{ granteeId: 'me', permission: 'READ' }], 'me')).toBe(0o500);
    expect(modeFromGrants([{ granteeId: 'me', permission: 'WRITE' }], 'me')).toBe(0o200);
    expect(
      modeFromGrants(
        [
          { granteeId: 'me', permission: 'READ' },
          { granteeId: 'me', permission: 'WRITE' },
        ],
        'me',
      ),
    ).toBe(0o700);
    expect(modeFromGrants([{ granteeId: 'me', permission: 'FULL_CONTROL' }], 'me')).toBe(0o700);
    expect(modeFromGrants([{ granteeId: 'you', permission: 'FULL_CONTROL' }], 'me')).toBe(0);
  });

  it('parses owner.id.to.username.mapping as id1=user1;id2=user2', () => {
    expect([...parseOwnerMapping('79a5=john; abc = jane ;')]).toEqual([
      ['79a5', 'john'],
      ['abc', 'jane'],
    ]);
    expect(parseOwnerMapping(undefined).size).toBe(0);
    let caught: unknown;
    try {
      parseOwnerMapping('no-equals-sign');
    } catch (error) {
      caught = error;
    }
    expect(isTierfsError(caught, 'CONFIG_INVALID')).toBe(true);
  });
});
