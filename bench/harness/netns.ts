/**
 * A shaped "remote" link on this machine: a network namespace joined to the host by a veth pair,
 * with a tbf rate limit on both ends (the delay comes from relay.ts, in user space). The /30 exists
 * only between the two ends of the pair; the namespace has no route anywhere else, so nothing leaves the machine.
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
  /** tc rate, e.g. 1gbit. */
  readonly rate: string;
}

export const DEFAULT_PLAN: NetnsPlan = {
  name: 'tierfs-bench',
  hostIf: 'tfb-host',
  nsIf: 'tfb-ns',
  hostAddr: '10.203.0.1',
  nsAddr: '10.203.0.2',
  rate: '1gbit',
};

/**
 * The plan for one bench run. `TIERFS_BENCH_SLOT=<1..250>` gives concurrent runs on one machine their
 * own namespace, interfaces and /30 (10.203.<slot>.0/30); unset or 0 is DEFAULT_PLAN.
 */
export function planForSlot(slotText: string | undefined, rate: string): NetnsPlan {
  const slot = Number(slotText ?? '0');
  if (!Number.isInteger(slot) || slot < 0 || slot > 250) {
    throw new Error(`TIERFS_BENCH_SLOT must be an integer from 0 to 250, got '${slotText}'`);
  }
  if (slot === 0) return { ...DEFAULT_PLAN, rate };
  return {
    name: `tierfs-bench-${slot}`,
    hostIf: `tfb-host${slot}`,
    nsIf: `tfb-ns${slot}`,
    hostAddr: `10.203.${slot}.1`,
    nsAddr: `10.203.${slot}.2`,
    rate,
  };
}

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
  if (!/^\d+(\.\d+)?([kmg]?bit|[kmg]?bps)$/i.test(plan.rate)) throw new Error(`bad tc rate '${plan.rate}'`);
}

/** The prefix that runs a command inside the namespace. */
export function nsExec(plan: NetnsPlan, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', plan.name, ...argv];
}

/**
 * The rate limit on one end: tbf. The delay is not the kernel's (netem is missing from many VM
 * kernels, this one included) but the user-space relay's (relay.ts), the same for every tool.
 */
export function shapeCommand(plan: NetnsPlan, dev: string): string[] {
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

/** The same rate limit on both ends of the pair, so each direction is limited. */
export function shapeCommands(plan: NetnsPlan): string[][] {
  return [shapeCommand(plan, plan.hostIf), nsExec(plan, shapeCommand(plan, plan.nsIf))];
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
    `WARNING: no shaped link (${reason}); falling back to plain loopback, no rate limit\n`,
  );
  return {
    serverAddr: '127.0.0.1',
    wrap: (argv) => [...argv],
    shaped: false,
    description: `plain loopback (${reason})`,
    teardown() {},
  };
}

/**
 * Builds the rate-limited link, or falls back to loopback with a warning when namespaces, veth or
 * tbf are not available (not root, no iproute2, a container without NET_ADMIN).
 */
/** A namespace with processes in it belongs to a bench run still going (one without is left over). */
function namespaceBusy(name: string): boolean {
  const exists = run(['ip', 'netns', 'list'])
    .output.split('\n')
    .some((l) => l.split(' ')[0] === name);
  return exists && run(['ip', 'netns', 'pids', name]).output.trim() !== '';
}

/**
 * TIERFS_BENCH_SLOT's plan when it is set; otherwise the first slot whose namespace no running
 * bench uses, so two runs started side by side do not tear down each other's link.
 */
export function choosePlan(slotText: string | undefined, rate: string): NetnsPlan {
  if (slotText !== undefined && slotText !== '') return planForSlot(slotText, rate);
  for (let slot = 0; slot <= 250; slot++) {
    const plan = planForSlot(String(slot), rate);
    if (!namespaceBusy(plan.name)) return plan;
  }
  throw new Error('every bench slot is in use (TIERFS_BENCH_SLOT 0 to 250)');
}

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
  for (const argv of shapeCommands(plan)) {
    const r = run(argv);
    if (!r.ok) return fail(argv, r.output);
  }
  let down = false;
  return {
    serverAddr: plan.nsAddr,
    wrap: (argv) => nsExec(plan, argv),
    shaped: true,
    description: `netns ${plan.name}, veth ${plan.hostIf} ${plan.hostAddr}/30 <-> ${plan.nsIf} ${plan.nsAddr}/30, tbf rate ${plan.rate} each way`,
    teardown() {
      if (down) return;
      down = true;
      for (const argv of teardownCommands(plan)) run(argv);
    },
  };
}
