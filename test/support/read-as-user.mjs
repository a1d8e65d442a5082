// Reads a tierfs file with the built client and prints its sha256: run as another OS user by
// test/cluster/short-circuit.test.ts (argv: master address, path).
import { createHash } from 'node:crypto';
import { TierfsClient } from '../../dist/client/client.js';

const [masterAddress, path] = process.argv.slice(2);
const client = new TierfsClient({ masterAddress, user: 'admin' });
const hash = createHash('sha256');
for await (const chunk of await client.openFile(path)) hash.update(chunk);
process.stdout.write(hash.digest('hex'));
