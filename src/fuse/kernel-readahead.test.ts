import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deviceOf, raiseKernelReadahead } from './kernel-readahead.js';

const MOUNTINFO = [
  '22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw',
  '36 22 0:44 / /mnt/tierfs rw,nosuid,nodev,relatime - fuse.tierfs tierfs rw,user_id=0,group_id=0',
  '37 22 0:45 / /mnt/with\\040space rw - fuse.tierfs tierfs rw',
  '',
].join('\n');

let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function fakeSys(readaheadKb: string) {
  dir = mkdtempSync(join(tmpdir(), 'readahead-'));
  writeFileSync(join(dir, 'mountinfo'), MOUNTINFO);
  mkdirSync(join(dir, 'bdi', '0:44'), { recursive: true });
  writeFileSync(join(dir, 'bdi', '0:44', 'read_ahead_kb'), readaheadKb);
  return { mountinfo: join(dir, 'mountinfo'), bdi: join(dir, 'bdi') };
}

describe('the kernel read-ahead of a mount', () => {
  it("finds the mount's device in mountinfo, spaces in the path unescaped", () => {
    expect(deviceOf(MOUNTINFO, '/mnt/tierfs')).toBe('0:44');
    expect(deviceOf(MOUNTINFO, '/mnt/with space')).toBe('0:45');
    expect(deviceOf(MOUNTINFO, '/mnt/other')).toBeUndefined();
  });

  it("raises the device's read_ahead_kb to max_readahead, and never lowers it", async () => {
    const sys = fakeSys('128\n');
    expect(await raiseKernelReadahead('/mnt/tierfs', 8 * 1024 * 1024, sys)).toEqual({
      device: '0:44',
      was: 128,
      now: 8192,
    });
    expect(readFileSync(join(sys.bdi, '0:44', 'read_ahead_kb'), 'utf8').trim()).toBe('8192');
    expect(await raiseKernelReadahead('/mnt/tierfs', 1024 * 1024, sys)).toEqual({
      device: '0:44',
      was: 8192,
      now: 8192,
    });
  });

  it('says why when the mount or its device setting cannot be found', async () => {
    const sys = fakeSys('128\n');
    expect((await raiseKernelReadahead('/mnt/other', 8 << 20, sys)).reason).toBe(
      '/mnt/other is not in /proc/self/mountinfo',
    );
    expect((await raiseKernelReadahead('/mnt/with space', 8 << 20, sys)).reason).toMatch(
      /^cannot read .*\/0:45\/read_ahead_kb$/,
    );
  });
});
