/**
 * `npm run bench`: tierfs against the tools users would pick instead (the AWS CLI, rclone, the AWS
 * JS SDK) on the same objects in one S3 store behind a shaped link, plus this machine's limits.
 * Prints the table and writes bench/results/report-<time>.{html,md,json}. See docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { findClient } from '../test/gateway/harness.js';
import { parseArgs, USAGE } from './harness/args.js';
import { type BenchCluster, startBenchCluster } from './harness/cluster.js';
import type { BenchContext, BenchOptions } from './harness/context.js';
import { prepareData } from './harness/data.js';
import { type RunningS3Server, type S3Target, startS3Server } from './harness/gateway.js';
import { choosePlan, createLink, type Link } from './harness/netns.js';
import { awsConfigFile } from './harness/peers.js';
import { type CpuProfile, formatSelfTimes, topSelfTime } from './harness/profile.js';
import { type RelayProcess, startRelayProcess } from './harness/relay-process.js';
import { markdownTable, renderHtml, targetsTable } from './harness/report.js';
import { type Result, rows, type ScenarioId, targets } from './harness/results.js';
import { fuseRead, fuseTree } from './harness/scenarios/fuse.js';
import { limits } from './harness/scenarios/limits.js';
import { list } from './harness/scenarios/list.js';
import { seqRead } from './harness/scenarios/seq-read.js';
import { smallRead } from './harness/scenarios/small-read.js';
import { write } from './harness/scenarios/write.js';

const SCENARIOS: Record<ScenarioId, (ctx: BenchContext) => Promise<void>> = {
  limits,
  'seq-read': seqRead,
  'small-read': smallRead,
  list,
  write,
  'fuse-read': fuseRead,
  'fuse-tree': fuseTree,
};

export const COLD_WARM_NOTES = `tierfs cold: before every timed run the bench frees every cached page under /s3 (tierfs fs free) and
  unmounts and mounts /s3 again, so neither data nor metadata (the listing, the file's status) is in tierfs:
  the run loads the metadata from the S3 store and reads every byte over the shaped link.
The link: tbf limits the rate on both ends of the veth pair. "no delay" runs talk to the S3 gateway
  straight; "N ms RTT" runs go through a relay process in the namespace that holds each direction's
  bytes for N/2 ms (stamped per chunk, so throughput is kept), the same endpoint for every tool.
tierfs warm: metadata loaded and every page in the worker's page cache (one untimed read first);
  tierfs.user.file.metadata.sync.interval is the default -1, so nothing is re-checked with the S3 store.
peers (aws cli, rclone, AWS SDK): they keep no cache between runs, so "no cache" is both their cold and
  their warm; every timed run fetches everything over the shaped link. Bulk downloads go to a local
  directory that is emptied (untimed) before each run.
The S3 store itself is the same for everyone: tierfs's S3 gateway over a local directory whose files are in
  the OS page cache of the gateway side, i.e. a fast server behind a slow link, like a regional S3 bucket.
FUSE mounts (fuse-read, fuse-tree): tierfs fuse mount of /s3, s3fs with its disk cache (use_cache) and rclone
  mount --vfs-cache-mode full, read with dd to /dev/null and find | xargs -P <concurrency> cat | wc -c (bytes
  discarded where read, no pipe into the bench; the same on the local copies is the floor). Cold: each mount made afresh
  with empty caches before every timed run (tierfs: its cache freed and /s3 mounted again, as above). Warm:
  the same mount after one untimed pass. Their ratios compare the same temperature.
Ratios: "vs best peer" = the best peer's median time / this tool's median time (above 1 = faster).`;

function tryRun(argv: string[]): string {
  try {
    return execFileSync(argv[0]!, argv.slice(1), {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch (error) {
    return `unavailable (${(error as Error).message.split('\n')[0]})`;
  }
}

const args = parseArgs(process.argv.slice(2));
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const started = new Date();
const log = (line: string) =>
  process.stdout.write(`[${((Date.now() - started.getTime()) / 1000).toFixed(0).padStart(5)} s] ${line}\n`);
const base = await mkdtemp(join(tmpdir(), 'tierfs-bench-'));
const results: Result[] = [];
let link: Link | undefined;
let server: RunningS3Server | undefined;
let cluster: BenchCluster | undefined;
let relay: RelayProcess | undefined;
/** Where the delay relay listens, next to the S3 gateway on the link's far end. */
const RELAY_PORT = 9810;

interface Phase {
  readonly label: string;
  readonly target: S3Target;
}

let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await cluster?.stop().catch((e: Error) => log(`stopping tierfs: ${e.message}`));
    await relay?.stop().catch((e: Error) => log(`stopping the delay relay: ${e.message}`));
    await server?.stop().catch((e: Error) => log(`stopping the S3 gateway: ${e.message}`));
    link?.teardown();
    await rm(base, { recursive: true, force: true });
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: tearing down`);
    void cleanup().finally(() => process.exit(130));
  });
}

try {
  const loadBefore = loadavg();
  link = createLink(choosePlan(process.env.TIERFS_BENCH_SLOT, args.rate), { disabled: !args.netns });
  log(`link: ${link.description}`);
  const s3Root = join(base, 's3');
  await mkdir(join(s3Root, 'bench'), { recursive: true });
  server = await startS3Server(link, s3Root, join(base, 'gateway-state'));
  log(`S3 gateway (pid ${server.pid}) at ${server.target.endpoint}`);
  const toolHome = join(base, 'home');
  await mkdir(toolHome, { recursive: true });
  await writeFile(join(toolHome, 'aws-config'), awsConfigFile(args.concurrency));
  const sizeBytes = Math.round(args.sizeMiB * 2 ** 20);
  const cacheBytes =
    2.5 * sizeBytes +
    2 * (args.count + args.listCount) * Math.max(args.smallBytes, 64 * 1024) +
    256 * 2 ** 20;
  const options: BenchOptions = {
    runs: args.runs,
    sizeBytes,
    smallCount: args.count,
    listCount: args.listCount,
    smallBytes: args.smallBytes,
    concurrency: args.concurrency,
    peers: true,
  };
  const failures: string[] = [];
  const aws = findClient('aws');
  const rclone = findClient('rclone');
  const contextFor = (phase: Phase, c: BenchCluster, peers: boolean): BenchContext => ({
    ...options,
    peers,
    target: phase.target,
    cluster: c,
    link: link!,
    linkLabel: phase.label,
    s3Root,
    work: join(base, 'work'),
    localBig: join(base, 'work', 'big.bin'),
    aws,
    rclone,
    toolHome,
    log,
    fail: (scenario, tool, error) => {
      const message = (error as Error).message;
      failures.push(
        `${scenario} (${phase.label}) / ${tool}: ${message.split('\n').find((l) => /error/i.test(l)) ?? message.split('\n')[0]}`,
      );
      log(`${scenario}: ${tool} FAILED: ${message}`);
    },
    record: (r) => {
      // The machine's limits do not depend on the relay's delay.
      results.push(r.role === 'limit' ? r : { ...r, link: phase.label });
      const median = [...r.samples].sort((a, b) => a - b)[Math.floor(r.samples.length / 2)]!;
      log(
        `  ${r.tool} (${r.temperature}, ${phase.label}): ${r.samples.map((s) => s.toFixed(3)).join(' ')} s; median ${median.toFixed(3)} s`,
      );
    },
  });
  /** Each RTT: the S3 gateway straight (0) or through a relay adding half of it each way. */
  const enterPhase = async (rtt: number): Promise<Phase> => {
    if (rtt === 0) return { label: 'no delay', target: server!.target };
    relay = await startRelayProcess(link!, RELAY_PORT, server!.target.endpoint, rtt / 2);
    log(`delay relay: ${relay.endpoint} -> ${server!.target.endpoint}, ${rtt / 2} ms each way`);
    return { label: `${rtt} ms RTT`, target: { ...server!.target, endpoint: relay.endpoint } };
  };
  const leavePhase = async () => {
    await relay?.stop();
    relay = undefined;
  };
  log(
    `writing the data: one ${args.sizeMiB} MiB object, ${args.count} objects of ${args.smallBytes} B, ${args.listCount} to list`,
  );
  const plan = { ...options, s3Root, target: server.target, localBig: join(base, 'work', 'big.bin') };
  await prepareData(plan, {
    big: args.scenarios.includes('seq-read') || args.scenarios.includes('fuse-read'),
    small: ['small-read', 'fuse-tree'].some((s) => args.scenarios.includes(s as ScenarioId)),
    list: args.scenarios.includes('list'),
  });
  for (const [i, rtt] of args.rttMs.entries()) {
    const phase = await enterPhase(rtt);
    cluster = await startBenchCluster(phase.target, { cacheBytes });
    log(`${phase.label}: tierfs cluster in ${cluster.daemons.home}, s3://bench/data mounted at /s3`);
    const ctx = contextFor(phase, cluster, true);
    for (const id of args.scenarios) {
      if (id === 'limits' && i > 0) continue; // once is enough
      try {
        await SCENARIOS[id](ctx);
      } catch (error) {
        // One broken scenario should not cost the others' numbers: report it and go on.
        failures.push(`${id} (${phase.label}): ${(error as Error).message.split('\n')[0]}`);
        log(`scenario ${id} (${phase.label}) FAILED: ${(error as Error).stack ?? error}`);
      }
    }
    await cluster.stop();
    cluster = undefined;
    await leavePhase();
  }
  const loadAfter = loadavg();

  const table = rows(results);
  const checked = targets(table);
  const missed = [
    ...new Map(checked.filter((t) => !t.met).map((t) => [`${t.scenario} ${t.link}`, t] as const)).values(),
  ];
  const profiles: string[] = [];
  if (args.profile) {
    for (const { scenario: id, link: label } of missed) {
      const rtt = args.rttMs.find((r) => (r === 0 ? 'no delay' : `${r} ms RTT`) === label) ?? 0;
      const dir = join(base, 'profiles', `${id}-${rtt}`);
      await mkdir(dir, { recursive: true });
      log(`profiling the tierfs daemons through '${id}' (${label}; one run, CPU profiler preloaded)`);
      const phase = await enterPhase(rtt);
      const profiled = await startBenchCluster(phase.target, {
        cacheBytes,
        env: {
          NODE_OPTIONS: `--require ${join(import.meta.dirname, 'harness', 'cpu-profiler.cjs')}`,
          TIERFS_BENCH_PROFILE_DIR: dir,
        },
      });
      cluster = profiled;
      const pids = { master: profiled.daemons.pid('master'), worker: profiled.daemons.pid('worker') };
      const before = results.length;
      await SCENARIOS[id]({ ...contextFor(phase, profiled, false), runs: 1 });
      results.splice(before); // profiled runs are slower; they are not results
      await profiled.stop();
      cluster = undefined;
      await leavePhase();
      for (const [daemon, pid] of Object.entries(pids)) {
        const file = (await readdir(dir)).find((f) => f.includes(`.${pid}.`) && f.endsWith('.cpuprofile'));
        if (!file) {
          profiles.push(`${id} (${label}) ${daemon}: no profile written`);
          continue;
        }
        const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
        profiles.push(
          `${id} (${label}), ${daemon} (pid ${pid}), top self time:\n${formatSelfTimes(topSelfTime(profile, 12))}`,
        );
      }
    }
  }

  const meta = {
    title: 'tierfs benchmark: tierfs against the tools users would pick instead',
    started: `started ${started.toISOString()}, took ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s`,
    lines: [
      `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, node ${process.version}`,
      `load average (1/5/15 min) before: ${loadBefore.map((l) => l.toFixed(2)).join(' ')}; after: ${loadAfter.map((l) => l.toFixed(2)).join(' ')}`,
      `link: ${link.description}; every scenario run at ${args.rttMs.map((r) => (r === 0 ? 'no delay' : `${r} ms RTT (user-space relay, ${r / 2} ms each way)`)).join(' and at ')}`,
      `data: one object of ${args.sizeMiB} MiB; ${args.count} objects of ${args.smallBytes} B read; ${args.listCount} objects listed; ${args.runs} runs each; bulk concurrency ${args.concurrency}`,
      ...failures.map((f) => `FAILED ${f}`),
      `peers: ${aws ? tryRun([aws, '--version']) : 'aws cli missing'}; ${rclone ? tryRun([rclone, 'version']).split('\n')[0] : 'rclone missing'}; AWS SDK for JS v3`,
    ],
  };
  const md = [
    `# ${meta.title}`,
    '',
    meta.started,
    '',
    ...meta.lines.map((l) => `- ${l}`),
    '',
    markdownTable(table),
    '',
    '## Targets',
    '',
    checked.length ? targetsTable(checked) : 'no targets apply to the scenarios run',
    '',
    ...(profiles.length
      ? ['## Profiles of missed targets', '', '```', profiles.join('\n\n'), '```', '']
      : []),
    '## What cold and warm mean',
    '',
    '```',
    COLD_WARM_NOTES,
    '```',
    '',
  ].join('\n');
  const out = resolve(args.out);
  await mkdir(out, { recursive: true });
  const stamp = started
    .toISOString()
    .replaceAll(':', '-')
    .replace(/\.\d+Z$/, 'Z');
  const notes = `${COLD_WARM_NOTES}${profiles.length ? `\n\nProfiles of missed targets:\n\n${profiles.join('\n\n')}` : ''}`;
  await writeFile(join(out, `report-${stamp}.html`), renderHtml(meta, table, checked, notes));
  await writeFile(join(out, `report-${stamp}.md`), md);
  await writeFile(
    join(out, `report-${stamp}.json`),
    `${JSON.stringify({ meta, args, results, targets: checked }, null, 2)}\n`,
  );
  for (const ext of ['html', 'md', 'json'])
    await copyFile(join(out, `report-${stamp}.${ext}`), join(out, `latest.${ext}`));
  process.stdout.write(`\n${md}\n`);
  log(`report: ${join(out, `report-${stamp}.html`)} (also latest.html)`);
} catch (error) {
  process.exitCode = 1;
  process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`);
} finally {
  await cleanup();
}
