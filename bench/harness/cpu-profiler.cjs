/**
 * Preloaded into the tierfs daemons by the bench (NODE_OPTIONS=--require ..., because node 20
 * refuses --cpu-prof in NODE_OPTIONS): samples the CPU from start to exit and writes
 * $TIERFS_BENCH_PROFILE_DIR/CPU.<pid>.cpuprofile, the same format --cpu-prof writes.
 */
const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.env.TIERFS_BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  process.on('exit', () => {
    // An in-thread session answers synchronously, so this completes before the process ends.
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(join(dir, `CPU.${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
