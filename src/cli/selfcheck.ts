/**
 * `tierfs selfcheck`: proves the root under store works by writing, listing, reading back and
 * deleting a file in it. `npm start` runs it until the cluster daemons exist.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { TierfsError } from '../errors.js';
import { readFile, writeFile } from '../ufs/io.js';
import { FileSystem, parseUfsUri } from '../ufs/registry.js';
import { walk } from '../ufs/walk.js';
import type { CliContext } from './main.js';

const ROOT_UFS = 'tierfs.master.mount.table.root.ufs';

export function registerSelfCheckCommand(program: Command, context: CliContext): void {
  program
    .command('selfcheck')
    .description('Write, list, read back and delete a file in the root under store')
    .option('--ufs <uri>', `under store to check (default: ${ROOT_UFS})`)
    .option('--size <bytes>', 'size of the test file', '1048576')
    .action(async (options: { ufs?: string; size: string }) => {
      const conf = context.configuration();
      const uri = options.ufs ?? conf.getRaw(ROOT_UFS)!;
      const size = Number(options.size);
      if (!Number.isSafeInteger(size) || size < 0) {
        throw new TierfsError('INVALID_ARGUMENT', `--size must be a number of bytes, got '${options.size}'`);
      }
      const rootOptions = conf.withPrefix('tierfs.master.mount.table.root.option.');
      const store = await FileSystem.get(uri, conf.withOptions(rootOptions, 'root mount'));
      const say = (step: string) => process.stdout.write(`  ${step}\n`);
      process.stdout.write(`tierfs selfcheck of ${parseUfsUri(uri).href}\n`);
      try {
        await store.mkdirs('');
        const data = randomBytes(size);
        const path = `tierfs-selfcheck/${Date.now()}-${data.subarray(0, 4).toString('hex')}.bin`;
        const started = performance.now();
        await writeFile(store, path, data);
        say(`wrote ${path} (${size} bytes)`);
        const listed = [];
        for await (const entry of walk(store, 'tierfs-selfcheck')) listed.push(entry.path);
        if (!listed.includes(path)) throw new TierfsError('INTERNAL', `listing did not show ${path}`);
        say(`listed tierfs-selfcheck/ (${listed.length} entries)`);
        const back = await readFile(store, path);
        const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
        if (digest(back) !== digest(data)) throw new TierfsError('INTERNAL', `read back of ${path} differs`);
        say(`read back ${back.length} bytes, sha256 matches`);
        await store.delete('tierfs-selfcheck', { recursive: true });
        if (await store.exists(path)) throw new TierfsError('INTERNAL', `${path} still exists after delete`);
        say('deleted');
        process.stdout.write(`selfcheck passed in ${Math.round(performance.now() - started)} ms\n`);
      } finally {
        await store.close();
      }
    });
}
