/** The README's Flink-style example, run as a user would: `node examples/flink-text.mjs`. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runNode } from '../support/cli.js';

describe('examples/flink-text.mjs', () => {
  it('prints the 8 call_center rows, then 8, then 8', async () => {
    const result = await runNode(['examples/flink-text.mjs']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const rows = readFileSync(
      new URL('../../examples/data/50/call_center/data-m-00049', import.meta.url),
      'utf8',
    )
      .trimEnd()
      .split('\n');
    expect(rows).toHaveLength(8);
    expect(result.stdout.trimEnd().split('\n')).toEqual([...rows, '8', '8']);
  });
});
