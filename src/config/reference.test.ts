import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { propertiesReference } from './reference.js';

describe('docs/reference/properties.md', () => {
  it('is what `tierfs conf doc` generates from the registry (regenerate it when keys change)', () => {
    const committed = readFileSync(new URL('../../docs/reference/properties.md', import.meta.url), 'utf8');
    expect(committed).toBe(propertiesReference());
  });

  it('documents the seed keys under their tierfs names, with aliases and secrets marked', () => {
    const doc = propertiesReference();
    expect(doc).toContain('| `tierfs.underfs.s3.streaming.upload.partition.size` | bytes | `64MB` |');
    expect(doc).toMatch(/\| `aws.secretKey`<br>`s3a.secretKey` \| string \| +\| .*\*\*secret\*\*/);
    expect(doc).toContain('## fs.oss.*');
  });
});
