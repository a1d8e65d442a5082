/**
 * A shaped "remote" link on this machine: a network namespace joined to the host by a veth pair,
 * with netem delay and a rate limit on both ends. The /30 exists only between the two ends of the
 * pair; the namespace has no route anywhere else, so nothing leaves the machine.
 */
import { spawnSync } from 'node:child_process';

export interface NetnsPlan {
  readonly name: string;
  readonly hostIf: string;
  readonly nsIf: string;
  /** The host's end, e.g. 10.203.0.1. */
  readonly hostAddr: string;
  /** The namespace's end, where the S3 server listens, e.g. 10.203.0.2. */
  readonly nsAddr: string;
  /** One-way delay added on each end. */
  readonly delayMs: number;
  /** tc rate, e.g. 1gbit. */
  readonly rate: string;
}

export const DEFAULT_PLAN: NetnsPlan = {
  name: 'tierfs-bench',
  hostIf: 'tfb-host',
  nsIf: 'tfb-ns',
  hostAddr: '10.203.0.1',
  nsAddr: '10.203.0.2',
  delayMs: 10,
  rate: '1gbit',
};

function octets(address: string): number[] {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`'${address}' is not an IPv4 address`);
  }
  return parts;
}

/** Refuses plans whose ends are not two host addresses of one private /30. */
export function validatePlan(plan: NetnsPlan): void {
  const host = octets(plan.hostAddr);
  const ns = octets(plan.nsAddr);
  const isPrivate = (o: number[]) =>
    o[0] === 10 || (o[0] === 172 && o[1]! >= 16 && o[1]! <= 31) || (o[0] === 192 && o[1] === 168);
  if (!isPrivate(host) || !isPrivate(ns)) throw new Error('the link must use private addresses');
  const sameNet = host.slice(0, 3).join('.') === ns.slice(0, 3).join('.') && host[3]! >> 2 === ns[3]! >> 2;
  const hostPart = (o: number[]) => o[3]! & 3;
  if (!sameNet || hostPart(host) === 0 || hostPart(host) === 3 || hostPart(ns) === 0 || hostPart(ns) === 3) {
    throw new Error(`${plan.hostAddr} and ${plan.nsAddr} are not the two hosts of one /30`);
  }
  if (plan.hostAddr === plan.nsAddr) throw new Error('the two ends need different addresses');
  if (!/^[a-z0-9-]{1,15}$/.test(plan.hostIf) || !/^[a-z0-9-]{1,15}$/.test(plan.nsIf)) {
    throw new Error('interface names must be at most 15 characters of [a-z0-9-]');
  }
  if (!(plan.delayMs >= 0)) throw new Error('delay must be >= 0 ms');
  if (!/^\d+(\.\d+)?([kmg]?bit|[kmg]?bps)$/i.test(plan.rate)) throw new Error(`bad tc rate '${plan.rate}'`);
}

/** The prefix that runs a command inside the namespace. */
export function nsExec(plan: NetnsPlan, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', plan.name, ...argv];
}

/** The shaping qdisc: netem (delay and rate) where the kernel has it, else tbf (rate only). */
export type Shaper = 'netem' | 'tbf';

export function shapeCommand(plan: NetnsPlan, dev: string, shaper: Shaper = 'netem'): string[] {
  if (shaper === 'tbf') {
    return [
      'tc',
      'qdisc',
      'add',
      'dev',
      dev,
      'root',
      'tbf',
      'rate',
      plan.rate,
      'burst',
      '1mb',
      'latency',
      '50ms',
    ];
  }
  // A queue long enough for the bandwidth-delay product (1 Gbit/s x 10 ms is ~850 full packets).
  return [
    'tc',
    'qdisc',
    'add',
    'dev',
    dev,
    'root',
    'netem',
    'delay',
    `${plan.delayMs}ms`,
    'rate',
    plan.rate,
    'limit',
    '10000',
  ];
}

/** The namespace, the veth pair and the addresses; shaping comes after (shapeCommands). */
export function setupCommands(plan: NetnsPlan): string[][] {
  validatePlan(plan);
  return [
    ['ip', 'netns', 'add', plan.name],
    ['ip', 'link', 'add', plan.hostIf, 'type', 'veth', 'peer', 'name', plan.nsIf],
    ['ip', 'link', 'set', plan.nsIf, 'netns', plan.name],
    ['ip', 'addr', 'add', `${plan.hostAddr}/30`, 'dev', plan.hostIf],
    ['ip', 'link', 'set', plan.hostIf, 'up'],
    nsExec(plan, ['ip', 'addr', 'add', `${plan.nsAddr}/30`, 'dev', plan.nsIf]),
    nsExec(plan, ['ip', 'link', 'set', plan.nsIf, 'up']),
    nsExec(plan, ['ip', 'link', 'set', 'lo', 'up']),
  ];
}

/** The same shaping on both ends of the pair, so each direction is delayed and limited. */
export function shapeCommands(plan: NetnsPlan, shaper: Shaper): string[][] {
  return [shapeCommand(plan, plan.hostIf, shaper), nsExec(plan, shapeCommand(plan, plan.nsIf, shaper))];
}

/** Deleting one end of a veth pair deletes both; deleting the namespace kills nothing by itself. */
export function teardownCommands(plan: NetnsPlan): string[][] {
  return [
    ['ip', 'link', 'del', plan.hostIf],
    ['ip', 'netns', 'del', plan.name],
  ];
}

export interface Link {
  /** Where the server listens (inside the namespace, or 127.0.0.1 on the fallback). */
  readonly serverAddr: string;
  /** Prefix for commands that must run on the server's side of the link. */
  wrap(argv: readonly string[]): string[];
  readonly shaped: boolean;
  /** Whether the link adds delay (netem) or only limits the rate (tbf). */
  readonly delayed: boolean;
  readonly description: string;
  teardown(): void;
}

function run(argv: readonly string[]): { ok: boolean; output: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  return {
    ok: r.status === 0,
    output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`,
  };
}

function loopback(reason: string): Link {
  process.stderr.write(
    `WARNING: no shaped link (${reason}); falling back to plain loopback, no delay, no rate limit\n`,
  );
  return {
    serverAddr: '127.0.0.1',
    wrap: (argv) => [...argv],
    shaped: false,
    delayed: false,
    description: `plain loopback (${reason})`,
    teardown() {},
  };
}

/**
 * Builds the shaped link, or falls back to loopback with a warning when namespaces, veth or netem
 * are not available (not root, no iproute2, a container without NET_ADMIN).
 */
export function createLink(plan: NetnsPlan, options: { disabled?: boolean } = {}): Link {
  if (options.disabled) return loopback('--no-netns');
  if (process.getuid?.() !== 0) return loopback('not root');
  if (!run(['ip', '-V']).ok || !run(['tc', '-V']).ok) return loopback('iproute2 (ip, tc) not installed');
  const inUse = run(['ip', '-o', '-4', 'addr', 'show']).output;
  const stale = run(['ip', 'netns', 'list'])
    .output.split('\n')
    .some((l) => l.split(' ')[0] === plan.name);
  if (stale)
    for (const argv of teardownCommands(plan)) run(argv); // left over from an aborted run
  else if (inUse.includes(` ${plan.hostAddr}/`))
    return loopback(`${plan.hostAddr} is already used on this machine`);
  const fail = (argv: readonly string[], output: string) => {
    for (const t of teardownCommands(plan)) run(t);
    return loopback(`'${argv.join(' ')}' failed: ${output.trim()}`);
  };
  for (const argv of setupCommands(plan)) {
    const r = run(argv);
    if (!r.ok) return fail(argv, r.output);
  }
  let shaper: Shaper = 'netem';
  let shaping = `netem delay ${plan.delayMs} ms each way (RTT ${2 * plan.delayMs} ms), rate ${plan.rate} each way`;
  const probe = run(shapeCommand(plan, plan.hostIf, 'netem'));
  if (!probe.ok) {
    // Kernels built without CONFIG_NET_SCH_NETEM (some VM kernels): rate limit only, say so loudly.
    shaper = 'tbf';
    shaping = `tbf rate ${plan.rate} each way, NO added delay (netem unavailable: ${probe.output.trim()})`;
    process.stderr.write(`WARNING: ${shaping}\n`);
  }
  for (const argv of shapeCommands(plan, shaper).slice(shaper === 'netem' ? 1 : 0)) {
    const r = run(argv);
    if (!r.ok) return fail(argv, r.output);
  }
  let down = false;
  return {
    serverAddr: plan.nsAddr,
    wrap: (argv) => nsExec(plan, argv),
    shaped: true,
    delayed: shaper === 'netem',
    description: `netns ${plan.name}, veth ${plan.hostIf} ${plan.hostAddr}/30 <-> ${plan.nsIf} ${plan.nsAddr}/30, ${shaping}`,
    teardown() {
      if (down) return;
      down = true;
      for (const argv of teardownCommands(plan)) run(argv);
    },
  };
}
