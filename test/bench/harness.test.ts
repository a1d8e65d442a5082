/** The bench harness's pure parts: arguments, link commands, statistics, targets, profiles, report. */
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../bench/harness/args.js';
import { parseVmHwm, siteLines } from '../../bench/harness/cluster.js';
import { gatewayArgs } from '../../bench/harness/gateway.js';
import {
  DEFAULT_PLAN,
  nsExec,
  planForSlot,
  setupCommands,
  shapeCommands,
  teardownCommands,
  validatePlan,
} from '../../bench/harness/netns.js';
import {
  awsArgs,
  awsConfigFile,
  rcloneBulkFlags,
  rcloneEnv,
  rcloneRemote,
} from '../../bench/harness/peers.js';
import { timeRuns } from '../../bench/harness/process.js';
import { formatSelfTimes, topSelfTime } from '../../bench/harness/profile.js';
import { barChart, escapeHtml, markdownTable, renderHtml, targetsTable } from '../../bench/harness/report.js';
import { type Result, rows, targets } from '../../bench/harness/results.js';
import { tcpSourceScript } from '../../bench/harness/scenarios/limits.js';
import { formatRatio, formatSeconds, median, speedup, summarize } from '../../bench/harness/stats.js';

const target = {
  endpoint: 'http://10.203.0.2:9800',
  bucket: 'bench',
  accessKey: 'AK',
  secretKey: 'SK',
  region: 'us-east-1',
};

describe('bench arguments', () => {
  it("has the issue's sizes: 1 GiB, 4,000 objects of 4 KiB, a 10,000-object listing, no delay and 20 ms RTT, 1 Gbit/s", () => {
    expect(parseArgs([])).toMatchObject({
      sizeMiB: 1024,
      runs: 3,
      count: 4000,
      listCount: 10_000,
      smallBytes: 4096,
      rttMs: [0, 20],
      rate: '1gbit',
      netns: true,
      profile: true,
    });
  });
  it('takes smaller sizes for smoke runs and a subset of scenarios in their fixed order', () => {
    const a = parseArgs([
      '--size',
      '16',
      '--runs',
      '1',
      '--count',
      '100',
      '--only',
      'list,seq-read',
      '--no-netns',
    ]);
    expect(a).toMatchObject({ sizeMiB: 16, runs: 1, count: 100, netns: false });
    expect(a.scenarios).toEqual(['seq-read', 'list']);
  });
  it('refuses unknown options, scenarios and non-positive numbers', () => {
    expect(() => parseArgs(['--sise', '1'])).toThrow(/unknown option '--sise'/);
    expect(() => parseArgs(['--only', 'nope'])).toThrow(/unknown scenario/);
    expect(() => parseArgs(['--runs', '0'])).toThrow(/positive/);
    expect(() => parseArgs(['--size'])).toThrow(/positive/);
    expect(() => parseArgs(['--rtt', '20,-1'])).toThrow(/--rtt needs round-trip times .* got '20,-1'/);
    expect(() => parseArgs(['--rtt', ''])).toThrow(/--rtt/);
  });
  it('takes the round-trip times to run at', () => {
    expect(parseArgs(['--rtt', '40']).rttMs).toEqual([40]);
    expect(parseArgs(['--rtt', '0,20,20']).rttMs).toEqual([0, 20]);
  });
});

describe('the shaped link', () => {
  it('builds the namespace, the veth pair and a private /30 on both ends', () => {
    const cmds = setupCommands(DEFAULT_PLAN).map((c) => c.join(' '));
    expect(cmds).toEqual([
      'ip netns add tierfs-bench',
      'ip link add tfb-host type veth peer name tfb-ns',
      'ip link set tfb-ns netns tierfs-bench',
      'ip addr add 10.203.0.1/30 dev tfb-host',
      'ip link set tfb-host up',
      'ip netns exec tierfs-bench ip addr add 10.203.0.2/30 dev tfb-ns',
      'ip netns exec tierfs-bench ip link set tfb-ns up',
      'ip netns exec tierfs-bench ip link set lo up',
    ]);
    expect(cmds.some((c) => c.includes('route'))).toBe(false); // no way out of the machine
  });
  it("limits the rate on both ends with tbf (the delay is the relay's, not netem's)", () => {
    expect(shapeCommands(DEFAULT_PLAN).map((c) => c.join(' '))).toEqual([
      'tc qdisc add dev tfb-host root tbf rate 1gbit burst 1mb latency 50ms',
      'ip netns exec tierfs-bench tc qdisc add dev tfb-ns root tbf rate 1gbit burst 1mb latency 50ms',
    ]);
    expect(shapeCommands({ ...DEFAULT_PLAN, rate: '100mbit' })[1]!.join(' ')).toBe(
      'ip netns exec tierfs-bench tc qdisc add dev tfb-ns root tbf rate 100mbit burst 1mb latency 50ms',
    );
  });
  it('tears down the pair and the namespace', () => {
    expect(teardownCommands(DEFAULT_PLAN)).toEqual([
      ['ip', 'link', 'del', 'tfb-host'],
      ['ip', 'netns', 'del', 'tierfs-bench'],
    ]);
    expect(nsExec(DEFAULT_PLAN, ['node', 'x'])).toEqual(['ip', 'netns', 'exec', 'tierfs-bench', 'node', 'x']);
  });
  it('refuses public addresses, ends outside one /30, long interface names and bad rates', () => {
    expect(() => validatePlan({ ...DEFAULT_PLAN, hostAddr: '8.8.8.1', nsAddr: '8.8.8.2' })).toThrow(
      /private/,
    );
    expect(() => validatePlan({ ...DEFAULT_PLAN, nsAddr: '10.203.0.5' })).toThrow(/one \/30/);
    expect(() => validatePlan({ ...DEFAULT_PLAN, nsAddr: '10.203.0.3' })).toThrow(/one \/30/);
    expect(() => validatePlan({ ...DEFAULT_PLAN, hostIf: 'a-very-long-interface' })).toThrow(/15/);
    expect(() => validatePlan({ ...DEFAULT_PLAN, rate: 'fast' })).toThrow(/rate/);
  });
  it('gives each TIERFS_BENCH_SLOT its own namespace, interfaces and /30', () => {
    expect(planForSlot(undefined, '2gbit')).toEqual({ ...DEFAULT_PLAN, rate: '2gbit' });
    const slot = planForSlot('250', '1gbit');
    expect(slot).toMatchObject({ name: 'tierfs-bench-250', hostIf: 'tfb-host250', nsAddr: '10.203.250.2' });
    expect(() => validatePlan(slot)).not.toThrow();
    expect(() => planForSlot('251', '1gbit')).toThrow(/TIERFS_BENCH_SLOT must be an integer from 0 to 250/);
    expect(() => planForSlot('x', '1gbit')).toThrow(/got 'x'/);
  });
});

describe('peers and the tierfs side', () => {
  it('points the aws cli and rclone at the endpoint with path-style addressing', () => {
    expect(awsArgs(target, 's3', 'ls')).toEqual(['--endpoint-url', 'http://10.203.0.2:9800', 's3', 'ls']);
    expect(awsConfigFile(16)).toContain('max_concurrent_requests = 16');
    const env = rcloneEnv(target, '/h');
    expect(env).toMatchObject({
      RCLONE_CONFIG_BENCH_TYPE: 's3',
      RCLONE_CONFIG_BENCH_ENDPOINT: 'http://10.203.0.2:9800',
      RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: 'true',
    });
    expect(rcloneRemote(target, 'data/x')).toBe('bench:bench/data/x');
    expect(rcloneBulkFlags(8)).toEqual(['--transfers', '8', '--checkers', '8']);
  });
  it('starts the gateway on the given address and mounts the bucket through the same endpoint', () => {
    const args = gatewayArgs({ root: '/r', state: '/s', host: '10.203.0.2', port: 9800 });
    expect(args.slice(-8)).toEqual([
      '--protocol',
      's3',
      '--root',
      '/r',
      '--port',
      '9800',
      '--host',
      '10.203.0.2',
    ]);
    expect(siteLines(target, 3 * 2 ** 30)).toContain('tierfs.underfs.s3.endpoint=http://10.203.0.2:9800');
    expect(siteLines(target, 3 * 2 ** 30)).toContain('tierfs.worker.page.store.sizes=3072MB');
  });
  it('reads the peak RSS from /proc/<pid>/status', () => {
    expect(parseVmHwm('Name:\tnode\nVmPeak:\t  999 kB\nVmHWM:\t   2048 kB\nVmRSS:\t 1 kB\n')).toBe(
      2048 * 1024,
    );
    expect(() => parseVmHwm('Name: x\n')).toThrow();
  });
  it('has a TCP source that is valid JavaScript', () => {
    expect(() => new Function('require', tcpSourceScript('127.0.0.1', 1, 10))).not.toThrow();
  });
});

describe('statistics', () => {
  it('summarizes with the median, min and max', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(summarize([5, 1, 9])).toEqual({ n: 3, median: 5, min: 1, max: 9 });
    expect(() => summarize([])).toThrow();
    expect(speedup(0.5, 10)).toBe(20);
    expect(formatSeconds(0.25)).toBe('250 ms');
    expect(formatSeconds(12.34)).toBe('12.3 s');
    expect(formatRatio(0.5)).toBe('0.50×');
    expect(formatRatio(25.4)).toBe('25×');
  });
  // The lanes the bench runs work in: forEachLimited (src/ufs/object/concurrency.test.ts).
  it('times runs after an untimed preparation', async () => {
    const order: string[] = [];
    const samples = await timeRuns(
      2,
      async (i) => void order.push(`run${i}`),
      async (i) => void order.push(`prep${i}`),
    );
    expect(order).toEqual(['prep0', 'run0', 'prep1', 'run1']);
    expect(samples).toHaveLength(2);
  });
});

const GiB = 2 ** 30;
const nd = 'no delay';
const sample: Result[] = [
  {
    scenario: 'limits',
    temperature: '-',
    tool: 'cat (local disk, page cache)',
    role: 'limit',
    samples: [0.5],
    bytes: GiB,
  },
  {
    scenario: 'seq-read',
    link: nd,
    temperature: 'cold',
    tool: 'tierfs client',
    role: 'tierfs',
    samples: [10, 11, 12],
    bytes: GiB,
  },
  {
    scenario: 'seq-read',
    link: nd,
    temperature: 'warm',
    tool: 'tierfs client',
    role: 'tierfs',
    samples: [0.8, 0.9, 1],
    bytes: GiB,
  },
  {
    scenario: 'seq-read',
    link: nd,
    temperature: 'warm',
    tool: 'tierfs fs cat',
    role: 'tierfs',
    samples: [0.6],
    bytes: GiB,
  },
  {
    scenario: 'seq-read',
    link: nd,
    temperature: 'no cache',
    tool: 'rclone cat',
    role: 'peer',
    samples: [9, 9.5, 10],
    bytes: GiB,
  },
  {
    scenario: 'seq-read',
    link: nd,
    temperature: 'no cache',
    tool: 'aws <cli>',
    role: 'peer',
    samples: [20, 21, 22],
    bytes: GiB,
  },
  // The same peer over the delayed link: compared only with tierfs over that link.
  {
    scenario: 'seq-read',
    link: '20 ms RTT',
    temperature: 'no cache',
    tool: 'rclone cat',
    role: 'peer',
    samples: [30],
    bytes: GiB,
  },
  {
    scenario: 'seq-read',
    link: '20 ms RTT',
    temperature: 'cold',
    tool: 'tierfs client',
    role: 'tierfs',
    samples: [15],
    bytes: GiB,
  },
  { scenario: 'list', link: nd, temperature: 'warm', tool: 'tierfs fs ls', role: 'tierfs', samples: [0.5] },
  {
    scenario: 'list',
    link: nd,
    temperature: 'cold',
    tool: 'tierfs client list',
    role: 'tierfs',
    samples: [4],
  },
  { scenario: 'list', link: nd, temperature: 'no cache', tool: 'rclone lsf', role: 'peer', samples: [2] },
  {
    scenario: 'write',
    link: nd,
    temperature: '-',
    tool: 'tierfs THROUGH',
    role: 'tierfs',
    samples: [9],
    peakRss: { master: 100e6, worker: 500e6 },
  },
  {
    scenario: 'write',
    link: nd,
    temperature: 'no cache',
    tool: 'rclone copyto',
    role: 'peer',
    samples: [10],
  },
];

describe('ratios and targets', () => {
  it('compares every row with the best peer of its scenario over the same link, by median', () => {
    const table = rows(sample);
    const warm = table.find((r) => r.scenario === 'seq-read' && r.temperature === 'warm')!;
    expect(warm.bestPeer).toBe('rclone cat');
    expect(warm.vsBestPeer).toBeCloseTo(9.5 / 0.9);
    expect(table.find((r) => r.tool === 'aws <cli>')!.vsBestPeer).toBeCloseTo(9.5 / 21);
    expect(table.find((r) => r.role === 'limit')!.vsBestPeer).toBeUndefined();
    const delayed = table.find((r) => r.link === '20 ms RTT' && r.role === 'tierfs')!;
    expect(delayed.vsBestPeer).toBeCloseTo(30 / 15);
  });
  it("checks issue 17's targets", () => {
    const checked = targets(rows(sample));
    const by = (d: string, link = nd) =>
      checked.filter((t) => t.description.startsWith(d) && t.link === link);
    expect(by('warm read ≥0.9× local cat')).toHaveLength(1);
    expect(by('warm read ≥0.9× local cat')[0]!.ratio).toBeCloseTo(0.5 / 0.9);
    expect(by('warm read ≥0.8× local cat')[0]).toMatchObject({ tool: 'tierfs fs cat', met: true });
    expect(by('warm read ≥0.8× local cat')[0]!.ratio).toBeCloseTo(0.5 / 0.6);
    expect(by('cold read ≥1×')[0]).toMatchObject({ met: false });
    expect(by('cold read ≥1×')[0]!.ratio).toBeCloseTo(9.5 / 11);
    expect(by('cold read ≥1×', '20 ms RTT')[0]).toMatchObject({ met: true, ratio: 2 });
    expect(by('warm fs ls ≥5×')[0]).toMatchObject({ met: false, ratio: 4 });
    expect(by('cold listing ≥1×')[0]).toMatchObject({ met: false, ratio: 0.5 });
    expect(by('write ≥1×')[0]).toMatchObject({ met: true });
    expect(by('worker peak RSS under 400 MB')[0]).toMatchObject({ met: false, ratio: 0.8 });
  });
});

describe('report', () => {
  const table = rows(sample);
  it('renders a Markdown table with ratios and a targets table', () => {
    const md = markdownTable(table);
    expect(md.split('\n')).toHaveLength(table.length + 2);
    expect(md).toContain(
      '| seq-read | no delay | warm | **tierfs client** | 900 ms | 800 ms … 1.00 s | 1138 MiB/s | 11× |',
    );
    expect(targetsTable(targets(table))).toContain('| **no** |');
  });
  it('renders self-contained HTML with one inline SVG chart per scenario, escaped', () => {
    const html = renderHtml({ title: 't', started: 's', lines: ['a<b'] }, table, targets(table), 'notes');
    expect(html.match(/<svg /g)).toHaveLength(4);
    expect(html).toContain('a&lt;b');
    expect(html).toContain('aws &lt;cli&gt;');
    expect(html).not.toMatch(/<script|<link|src="http/);
    expect(barChart(table.slice(0, 1))).toContain('<rect');
    expect(escapeHtml('"&')).toBe('&quot;&amp;');
  });
});

describe('profiles', () => {
  it('sums self time per function from a V8 cpuprofile', () => {
    const top = topSelfTime({
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
        {
          id: 2,
          callFrame: { functionName: 'readPage', url: 'file:///x/src/cache/page-store.js', lineNumber: 9 },
        },
        {
          id: 3,
          callFrame: { functionName: '', url: 'file:///x/node_modules/undici/lib/a.js', lineNumber: 0 },
        },
      ],
      samples: [2, 3, 2, 1],
      timeDeltas: [1000, 500, 2000, 500],
    });
    expect(top[0]).toMatchObject({
      name: 'readPage',
      where: 'src/cache/page-store.js:10',
      ms: 3,
      share: 0.75,
    });
    expect(top[1]).toMatchObject({ name: '(anonymous)', where: 'undici/lib/a.js:1' });
    expect(formatSelfTimes(top)).toContain(' 75.0%        3 ms  readPage  src/cache/page-store.js:10');
  });
});
