import { describe, expect, it } from 'vitest';
import { startFailureReason } from './start-failure.js';

describe('startFailureReason', () => {
  it('keeps every line of the report, up to the next log record or stack trace', () => {
    const log = [
      '{"level":30,"msg":"starting the master"}',
      'tierfs: tierfs.master.rpc.port=abc: not a port number (expected 1 to 65535)',
      'tierfs.worker.page.size=1XB: expected a byte size such as 64MB, 512KB or 1048576',
      '    at Configuration.validate (file:///dist/config/configuration.js:1:1)',
      '',
    ].join('\n');
    expect(startFailureReason(log)).toBe(
      'tierfs.master.rpc.port=abc: not a port number (expected 1 to 65535); tierfs.worker.page.size=1XB: expected a byte size such as 64MB, 512KB or 1048576',
    );
  });

  it('takes the last report, one line as it is, and nothing when there is none', () => {
    const log =
      'tierfs: an old failure\n{"level":30}\ntierfs: cannot listen on 127.0.0.1:19998: the port is in use\n';
    expect(startFailureReason(log)).toBe('cannot listen on 127.0.0.1:19998: the port is in use');
    expect(startFailureReason('{"level":50,"msg":"crash"}\n')).toBeUndefined();
  });
});
