// Reads tierfs files one after the other with the built client and prints the sha256 of each, one
// a line: run as another OS user by test/cluster/short-circuit.test.ts (argv: master address, paths).
import { createHash } from 'node:crypto';
import { TierfsClient } from '../../dist/client/client.js';

const [masterAddress, ...paths] = process.argv.slice(2);
const client = new TierfsClient({ masterAddress, user: 'admin' });
const hashes = [];
for (const path of paths) {
  const hash = createHash('sha256');
  for await (const chunk of await client.openFile(path)) hash.update(chunk);
  hashes.push(hash.digest('hex'));
}
process.stdout.write(hashes.join('\n'));
