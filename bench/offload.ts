/**
 * Tiered-log offload against tierfs's S3 gateway (in this process, over a local directory), through
 * the S3 store: offload throughput of whole ledgers (block + index format, one part per block) and
 * read-back throughput of every entry, each against the raw store doing the same bytes: a plain
 * multipart upload of the ledger files and sequential ranged GETs of the read-buffer size.
 *
 *   npx tsx bench/offload.ts [totalMiB=256] [entryBytes=4096] [blockSize=8MB] [readBuffer=1MB]
 */
import { createReadStream, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Configuration } from '../src/config/configuration.js';
import { parseBytes } from '../src/config/types.js';
import { offloadDriverConfig, openOffloadStore } from '../src/log/driver-config.js';
import { readObject } from '../src/log/offloaded-reader.js';
import { TopicStore } from '../src/log/topic-store.js';
import '../src/ufs/drivers.js';
import { ACCESS_KEY, SECRET_KEY, startGateway } from '../test/gateway/harness.js';

const MiB = 1024 * 1024;
const totalMiB = Number(process.argv[2] ?? 256);
const entryBytes = Number(process.argv[3] ?? 4096);
const blockSize = process.argv[4] ?? '8MB';
const readBuffer = process.argv[5] ?? '1MB';
const entries = Math.floor((totalMiB * MiB) / entryBytes);
const perLedger = Math.max(1, Math.floor((32 * MiB) / entryBytes));

const gateway = await startGateway();
mkdirSync(join(gateway.root, 'offload'));
const work = mkdtempSync(join(tmpdir(), 'tierfs-bench-offload-'));
const conf = Configuration.of({
  'tierfs.work.dir': work,
  managedLedgerMaxEntriesPerLedger: String(perLedger),
  managedLedgerMinLedgerRolloverTimeMinutes: '0',
  managedLedgerOffloadDriver: 'S3',
  managedLedgerOffloadBucket: 'offload',
  managedLedgerOffloadServiceEndpoint: gateway.endpoint,
  managedLedgerOffloadMaxBlockSizeInBytes: blockSize,
  managedLedgerOffloadReadBufferSizeInBytes: readBuffer,
  s3ManagedLedgerOffloadCredentialId: ACCESS_KEY,
  s3ManagedLedgerOffloadCredentialSecret: SECRET_KEY,
});
const mbps = (bytes: number, ms: number) => bytes / MiB / (ms / 1000);

try {
  const log = await TopicStore.open(conf);
  const name = 'bench/offload/topic';
  const payload = Buffer.alloc(entryBytes, 7);
  for (let at = 0; at < entries; at += 1000) {
    await log.append(
      name,
      Array.from({ length: Math.min(1000, entries - at) }, () => payload),
    );
  }
  await log.append(name, [payload]); // roll the last full ledger over
  const topic = await log.topic(name);
  const sealed = topic.ledgers().filter((l) => l.closedMs !== 0);
  const files = sealed.map((l) => join(topic.dir, `ledger-${l.ledgerId}.log`));
  const fileBytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
  const payloadBytes = sealed.reduce((sum, l) => sum + l.size, 0);

  // Raw: the ledger files as multipart uploads (part size = block size) on the same store.
  const store = await openOffloadStore(offloadDriverConfig(conf)!, conf);
  let started = performance.now();
  for (const [i, file] of files.entries())
    await pipeline(createReadStream(file), await store.create(`raw/ledger-${i}`));
  const rawUploadMs = performance.now() - started;

  started = performance.now();
  await log.triggerOffload(name, 0);
  await log.idle(name);
  const offloadMs = performance.now() - started;
  const status = await log.offloadStatus(name);
  if (status.state !== 'SUCCESS') throw new Error(`offload failed: ${status.error}`);

  // Raw: sequential ranged GETs of the read-buffer size over the same bytes.
  const bufferBytes = parseBytes(readBuffer);
  started = performance.now();
  for (const [i, file] of files.entries()) {
    const size = statSync(file).size;
    for (let at = 0; at < size; at += bufferBytes) {
      await readObject(store, `raw/ledger-${i}`, { offset: at, length: Math.min(bufferBytes, size - at) });
    }
  }
  const rawReadMs = performance.now() - started;

  // Offloaded: every entry through the topic (index, ranged GETs with read-ahead, entry parsing).
  started = performance.now();
  let read = 0;
  let next = { ledgerId: 0, entryId: 0 };
  for (;;) {
    const batch = await log.readRange(name, next, 5000);
    const last = batch.at(-1);
    for (const e of batch) if (e.ledgerId < sealed.length) read += e.payload.length;
    if (!last || last.ledgerId >= sealed.length) break;
    next = { ledgerId: last.ledgerId, entryId: last.entryId + 1 };
  }
  const readMs = performance.now() - started;
  if (read !== payloadBytes) throw new Error(`read ${read} bytes, expected ${payloadBytes}`);

  console.log(
    `${sealed.length} ledgers, ${entries} entries of ${entryBytes} B, ${(fileBytes / MiB).toFixed(0)} MiB; ` +
      `block ${blockSize}, read buffer ${readBuffer}`,
  );
  console.log(`raw multipart upload   ${mbps(fileBytes, rawUploadMs).toFixed(1)} MiB/s`);
  console.log(`offload                ${mbps(fileBytes, offloadMs).toFixed(1)} MiB/s`);
  console.log(`  ratio offload/raw    ${(rawUploadMs / offloadMs).toFixed(2)}`);
  console.log(`raw ranged GETs        ${mbps(fileBytes, rawReadMs).toFixed(1)} MiB/s`);
  console.log(`offloaded read-back    ${mbps(fileBytes, readMs).toFixed(1)} MiB/s`);
  console.log(`  ratio read-back/raw  ${(rawReadMs / readMs).toFixed(2)}`);
  await store.close();
  await log.close();
} finally {
  await gateway.stop();
  rmSync(work, { recursive: true, force: true });
}
