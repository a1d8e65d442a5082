import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROPERTIES } from './configuration.js';
import { parseProperties } from './properties-file.js';

const template = readFileSync(new URL('../../conf/tierfs-site.properties.template', import.meta.url), 'utf8');

describe('conf/tierfs-site.properties.template', () => {
  // Uncommenting any example must give a key tierfs knows, with a value its type accepts.
  const lines: string[] = [];
  for (const line of template.split('\n')) {
    const continued = lines.at(-1)?.endsWith('\\') === true;
    if (/^# [a-zA-Z][\w.-]*=/.test(line) || (continued && line.startsWith('#'))) lines.push(line.slice(1));
  }
  const uncommented = lines.join('\n');
  const entries = parseProperties(uncommented);

  it('has examples', () => {
    expect(entries.length).toBeGreaterThan(30);
  });

  it.each(entries.map((e) => [e.key, e.value] as const))('%s is a registered key', (key, value) => {
    const resolved = PROPERTIES.resolve(key);
    expect(resolved, `unknown key ${key}`).toBeDefined();
    if (!value.includes('<') && !value.includes('${'))
      expect(() => resolved!.definition.type.parse(value)).not.toThrow();
  });

  it('joins the continued owner mapping example into one value', () => {
    const mapping = entries.find((e) => e.key === 'tierfs.underfs.s3.owner.id.to.username.mapping');
    expect(mapping?.value).toBe('79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be=john');
  });
});
