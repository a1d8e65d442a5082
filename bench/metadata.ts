/**
 * Metadata operations per second through a local cluster (`tierfs start local`: master and worker
 * as separate processes), 16 concurrent clients, on each metadata store in the same run:
 *   sqlite      - one master over SQLite (the embedded default): the baseline
 *   postgresql  - one master over a throwaway PostgreSQL server (test/support/postgres.ts)
 *   postgresql-2-masters - a second master over the same database, clients split between them;
 *                 run only when the cluster supports several masters (tierfs.master.rpc.addresses)
 *
 * Each client works in its own directory: it creates `--files` empty files (create, write nothing,
 * complete), stats each, lists its directory `--files` times, renames each and deletes each; a phase
 * ends when all 16 clients are done, and its rate is the operations of all clients over its wall time.
 *
 *   npm run build && npx tsx bench/metadata.ts [--files 200] [--clients 16]
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { TierfsClient } from '../src/client/client.js';
import { PROPERTIES } from '../src/config/configuration.js';
import { type DaemonCluster, daemonHome, freePort } from '../test/support/daemons.js';
import { postgresAvailable, startPostgres, type TestPostgres } from '../test/support/postgres.js';

const { values } = parseArgs({
  options: { files: { type: 'string', default: '200' }, clients: { type: 'string', default: '16' } },
});
const FILES = Number(values.files);
const CLIENTS = Number(values.clients);
const PHASES = ['create', 'getStatus', 'list', 'rename', 'delete'] as const;
type Phase = (typeof PHASES)[number];
type Rates = Record<Phase, number>;

async function phase(
  clients: TierfsClient[],
  op: (client: TierfsClient, c: number, i: number) => Promise<unknown>,
) {
  const started = performance.now();
  await Promise.all(
    clients.map(async (client, c) => {
      for (let i = 0; i < FILES; i++) await op(client, c, i);
    }),
  );
  return (clients.length * FILES) / ((performance.now() - started) / 1000);
}

async function measure(clients: TierfsClient[], round: string): Promise<Rates> {
  const dir = (c: number) => `/bench-${round}/c${c}`;
  for (const [c, client] of clients.entries()) await client.mkdir(dir(c), { recursive: true });
  const rates = {} as Rates;
  rates.create = await phase(clients, async (client, c, i) =>
    pipeline(Readable.from([]), await client.createFile(`${dir(c)}/f${i}`, { writeType: 'MUST_CACHE' })),
  );
  rates.getStatus = await phase(clients, (client, c, i) => client.getStatus(`${dir(c)}/f${i}`));
  rates.list = await phase(clients, (client, c) => client.listStatus(dir(c)));
  rates.rename = await phase(clients, (client, c, i) => client.rename(`${dir(c)}/f${i}`, `${dir(c)}/g${i}`));
  rates.delete = await phase(clients, (client, c, i) => client.delete(`${dir(c)}/g${i}`));
  return rates;
}

async function cluster(lines: string[]): Promise<DaemonCluster> {
  const daemons = await daemonHome(lines);
  const format = await daemons.tierfs('format');
  if (format.code !== 0) throw new Error(`format: ${format.stderr}`);
  const started = await daemons.tierfs('start', 'local');
  if (started.code !== 0) throw new Error(`start local: ${started.stderr}`);
  return daemons;
}

/**
 * A second master for the cluster: `tierfs start master` in a home of its own (other ports) with the
 * same configuration and the cluster secret `format` made for the first. Its RPC address.
 */
async function secondMaster(
  first: DaemonCluster,
  lines: string[],
): Promise<{ address: string; home: DaemonCluster }> {
  const rpcPort = await freePort();
  const home = await daemonHome([
    ...lines,
    `tierfs.master.rpc.port=${rpcPort}`,
    `tierfs.master.web.port=${await freePort()}`,
    `tierfs.master.rpc.addresses=127.0.0.1:${first.masterPort},127.0.0.1:${rpcPort}`,
  ]);
  cpSync(join(first.home, 'metastore'), join(home.home, 'metastore'), { recursive: true });
  const started = await home.tierfs('start', 'master');
  if (started.code !== 0) throw new Error(`the second master did not start: ${started.stderr}`);
  return { address: `http://127.0.0.1:${rpcPort}`, home };
}

async function run(label: string, lines: string[], masters = 1): Promise<Rates> {
  const daemons = await cluster(lines);
  const second = masters > 1 ? await secondMaster(daemons, lines) : undefined;
  try {
    const clients = Array.from({ length: CLIENTS }, (_, c) =>
      second && c % 2 === 1
        ? new TierfsClient({ masterAddress: second.address, user: 'admin' })
        : daemons.client('admin'),
    );
    await measure(clients.slice(0, 2), `${label}-warmup`);
    return await measure(clients, label);
  } finally {
    await second?.home.tierfs('stop', 'master');
    await daemons.stop();
  }
}

const results: [string, Rates][] = [];
console.log(`${CLIENTS} clients, ${FILES} files each; operations per second (higher is better)`);
results.push(['sqlite, 1 master', await run('sqlite', [])]);
let postgres: TestPostgres | undefined;
if (!postgresAvailable()) {
  console.log('PostgreSQL is not installed here: its scenarios are skipped');
} else {
  postgres = await startPostgres();
  try {
    const store = async () => [
      'tierfs.master.metastore=POSTGRESQL',
      `tierfs.master.metastore.postgresql.url=${await postgres!.database()}`,
    ];
    results.push(['postgresql, 1 master', await run('postgresql', await store())]);
    if (PROPERTIES.resolve('tierfs.master.rpc.addresses')) {
      results.push(['postgresql, 2 masters', await run('postgresql-2', await store(), 2)]);
    } else {
      console.log('postgresql, 2 masters: skipped (this build has no tierfs.master.rpc.addresses)');
    }
  } finally {
    await postgres.stop();
  }
}

const baseline = results[0]![1];
const width = Math.max(...results.map(([label]) => label.length));
console.log(`\n${'store'.padEnd(width)}  ${PHASES.map((p) => p.padStart(16)).join('')}`);
for (const [label, rates] of results) {
  const cells = PHASES.map((p) => {
    const ratio = rates[p] / baseline[p];
    return `${rates[p].toFixed(0)} (${ratio.toFixed(2)}x)`.padStart(16);
  });
  console.log(`${label.padEnd(width)}  ${cells.join('')}`);
}
console.log('\nratios are against sqlite, 1 master, in this run');
