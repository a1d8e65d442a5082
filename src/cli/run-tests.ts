/**
 * `tierfs runTests [--directory D]`: Alluxio's TestRunner. For each of two operations, three read
 * types and four write types it writes `D/default_tests_files/<OP>_<READTYPE>_<WRITETYPE>`, reads
 * it back with the read type and checks every byte. The exit code is the number of failures.
 *
 * BASIC writes the ints 0..19 as one 80-byte little-endian buffer (Alluxio's native-order
 * ByteBuffer); BASIC_NON_BYTE_BUFFER writes the count (20) and then 0..19 as big-endian ints, as a
 * Java DataOutputStream does.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { TierfsClient } from '../client/client.js';
import { type ReadType, WRITE_TYPES, type WriteType } from '../cluster/io-types.js';
import { isTierfsError } from '../errors.js';
import { readStream } from '../ufs/io.js';
import type { CliContext } from './main.js';

const NUMBERS = 20;
const OPERATIONS = {
  BASIC: () => {
    const buffer = Buffer.alloc(NUMBERS * 4);
    for (let i = 0; i < NUMBERS; i++) buffer.writeInt32LE(i, i * 4);
    return buffer;
  },
  BASIC_NON_BYTE_BUFFER: () => {
    const buffer = Buffer.alloc(4 + NUMBERS * 4);
    buffer.writeInt32BE(NUMBERS, 0);
    for (let i = 0; i < NUMBERS; i++) buffer.writeInt32BE(i, 4 + i * 4);
    return buffer;
  },
} as const;

/** Alluxio runs CACHE_PROMOTE, CACHE, NO_CACHE in this order. */
const RUN_READ_TYPES: readonly ReadType[] = ['CACHE_PROMOTE', 'CACHE', 'NO_CACHE'];

/** The names runTests gives its files under `default_tests_files/`, in the order it writes them. */
export function runTestFileNames(): string[] {
  return Object.keys(OPERATIONS).flatMap((operation) =>
    RUN_READ_TYPES.flatMap((readType) =>
      WRITE_TYPES.map((writeType) => `${operation}_${readType}_${writeType}`),
    ),
  );
}

export interface RunTestsResult {
  readonly passed: number;
  readonly failed: number;
}

export async function runTests(
  client: TierfsClient,
  directory: string,
  say: (line: string) => void,
): Promise<RunTestsResult> {
  const base = `${directory.replace(/\/+$/, '')}/default_tests_files`;
  await client.delete(base, { recursive: true }).catch((error: unknown) => {
    if (!isTierfsError(error, 'NOT_FOUND')) throw error;
  });
  await client.mkdir(base, { recursive: true, allowExists: true });
  let passed = 0;
  let failed = 0;
  for (const [operation, make] of Object.entries(OPERATIONS)) {
    for (const readType of RUN_READ_TYPES) {
      for (const writeType of WRITE_TYPES) {
        const path = `${base}/${operation}_${readType}_${writeType}`; // as runTestFileNames() lists
        say(`runTest ${operation} ${readType} ${writeType}`);
        try {
          await runOne(client, path, make(), readType, writeType);
          say('Passed the test!');
          passed++;
        } catch (error) {
          say(`Failed the test! ${(error as Error).message}`);
          failed++;
        }
      }
    }
  }
  return { passed, failed };
}

async function runOne(
  client: TierfsClient,
  path: string,
  data: Buffer,
  readType: ReadType,
  writeType: WriteType,
): Promise<void> {
  const out = await client.createFile(path, { writeType, recursive: true });
  await pipeline(Readable.from([data]), out);
  const back = await readStream(await client.openFile(path, { readType }));
  if (!back.equals(data)) {
    throw new Error(`${path}: read ${back.length} bytes that differ from the ${data.length} written`);
  }
}

export function registerRunTestsCommand(program: Command, context: CliContext): void {
  program
    .command('runTests')
    .description('Write and verify a file for every read type and write type (exit code = failures)')
    .option('--directory <path>', 'tierfs directory to run in', '/')
    .action(async (options: { directory: string }) => {
      const client = TierfsClient.fromConfiguration(context.configuration());
      const result = await runTests(client, options.directory, (line) => process.stdout.write(`${line}\n`));
      process.stdout.write(`${result.passed} passed, ${result.failed} failed\n`);
      process.exitCode = result.failed;
    });
}
