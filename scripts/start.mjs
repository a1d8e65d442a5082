// `npm start`: a local tierfs cluster on embedded defaults, checked end to end.
//   1. format on the first run only (`tierfs format -s`)
//   2. start the master and the worker unless they are running (`tierfs start local`)
//   3. write and verify a file for every read and write type (`tierfs runTests`)
//   4. say where everything is
// Stop it with `npx tierfs stop local`.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/tierfs.js', import.meta.url));

function tierfs(args, { quiet = false, allowFailure = false } = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  if (!quiet) process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  if (result.status !== 0 && !allowFailure) {
    process.stderr.write(`\`tierfs ${args.join(' ')}\` failed (exit ${result.status})\n`);
    process.exit(result.status ?? 1);
  }
  return result;
}

const value = (key) => tierfs(['conf', 'get', key], { quiet: true }).stdout.trim();

tierfs(['format', '-s']);
const running = spawnSync(process.execPath, [bin, 'fs', 'ls', '/'], { encoding: 'utf8' }).status === 0;
if (running) process.stdout.write('The local cluster is already running.\n');
else tierfs(['start', 'local']);
const tests = tierfs(['runTests'], { quiet: true, allowFailure: true });
const summary = tests.stdout.trim().split('\n').at(-1);
process.stdout.write(`runTests: ${summary}\n`);
process.stdout.write(
  [
    '',
    `Master web UI:      http://${value('tierfs.master.hostname')}:${value('tierfs.master.web.port')}`,
    `Root under store:   ${value('tierfs.master.mount.table.root.ufs')}  (runTests wrote default_tests_files/ there)`,
    `Logs:               ${value('tierfs.logs.dir')}`,
    'Try:                npx tierfs fs ls /default_tests_files',
    'Stop it with:       npx tierfs stop local',
    '',
  ].join('\n'),
);
process.exit(tests.status ?? 1);
