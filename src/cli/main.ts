/**
 * The `tierfs` command. Java-style `-Dkey=value` system properties may appear anywhere before `--`;
 * every failure is printed as one line and exits non-zero.
 */
import { runBeforeEarlyExit } from '../cluster/early-exit.js';
import { Configuration } from '../config/configuration.js';
import { toTierfsError } from '../errors.js';
import { VERSION } from '../version.js';
import { commandGroupsFor, loadCommandGroup } from './command-groups.js';
import { startEarlyFs } from './early-fs.js';
import { failureMessage } from './failure-report.js';
import { takeHandedOverSystemProperties } from './handover.js';

export interface CliContext {
  /** The configuration of this invocation: defaults, site file, environment and -D flags. */
  configuration(): Configuration;
  /**
   * The `-Dkey=value` properties of this invocation, to hand on to daemons it starts (through a
   * private file, never their command line: see daemon.ts).
   */
  systemProperties(): Readonly<Record<string, string>>;
}

/** Splits `-Dkey=value` arguments (anywhere before `--`) from the rest. */
export function extractSystemProperties(argv: readonly string[]): {
  properties: Record<string, string>;
  rest: string[];
} {
  const properties: Record<string, string> = {};
  const rest: string[] = [];
  let passthrough = false;
  for (const arg of argv) {
    const match = passthrough ? null : /^-D([^=]+)=(.*)$/s.exec(arg);
    if (arg === '--') passthrough = true;
    if (match) properties[match[1]!] = match[2]!;
    else rest.push(arg);
  }
  return { properties, rest };
}

/** How long an early exit waits for the releases of leases (a call on loopback: milliseconds). */
const EARLY_EXIT_WAIT_MS = 500;
let brokenPipe = false;

/**
 * A reader that went away (`tierfs fs ls | head`, `tierfs fs cat big | head -c 10`) ends the command
 * quietly with the status a shell shows for a command killed by SIGPIPE (128 + 13), as `cat`
 * does. Node ignores SIGPIPE, so without this the write fails with EPIPE and a stack trace. The
 * short-circuit leases of its reads are released before it exits (early-exit.ts).
 */
function exitQuietlyOnBrokenPipe(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') {
      if (brokenPipe) return;
      brokenPipe = true;
      // Quiet from now on, as a process killed by SIGPIPE; the short-circuit leases its reads
      // hold are released first (their pages stay pinned at the worker otherwise).
      process.stderr.write = () => true;
      void runBeforeEarlyExit(EARLY_EXIT_WAIT_MS).finally(() => process.exit(141));
      return;
    }
    process.stderr.write(`tierfs: cannot write to stdout: ${error.message}\n`);
    process.exit(1);
  });
}

export async function main(argv: readonly string[]): Promise<number> {
  exitQuietlyOnBrokenPipe();
  const extracted = extractSystemProperties(argv);
  const rest = extracted.rest;
  let properties: Record<string, string>;
  try {
    // A daemon started by `tierfs -Dk=v start` gets its -D properties in a file, not in argv.
    properties = { ...takeHandedOverSystemProperties(process.env), ...extracted.properties };
  } catch (error) {
    process.stderr.write(`tierfs: ${toTierfsError(error).message}\n`);
    return 1;
  }
  let loaded: Configuration | undefined;
  const configuration = (): Configuration => {
    if (!loaded) {
      loaded = Configuration.load({ systemProperties: properties });
      for (const warning of loaded.warnings) process.stderr.write(`warning: ${warning.message}\n`);
    }
    return loaded;
  };
  // A plain `fs ls` asks for its first page, a plain `fs cat` opens its first file, now, and they
  // run without commander (early-fs.ts).
  const early = await startEarlyFs(rest, configuration);
  if (early) {
    try {
      const { targetsOf } = await import('./fs-targets.js');
      const targets = targetsOf(configuration, early);
      if (early.kind === 'ls') {
        const { listPaths } = await import('./fs-ls.js');
        await listPaths(early.command.paths, early.command, targets, early);
      } else {
        const { catPaths } = await import('./fs-cat.js');
        await catPaths(early.command.paths, undefined, targets, early);
      }
      return process.exitCode === undefined ? 0 : Number(process.exitCode);
    } catch (error) {
      process.stderr.write(`tierfs: ${failureMessage(error)}\n`);
      return 1;
    }
  }
  const context: CliContext = { configuration, systemProperties: () => properties };
  const { Command, CommanderError } = await import('commander');
  const program = new Command('tierfs')
    .description(
      'Data orchestration for Node.js: one cached namespace over S3, OSS, Kodo and local directories.',
    )
    .version(VERSION, '-v, --version')
    .usage('[-Dkey=value ...] <command> [options]')
    .addHelpText('after', '\nAny command accepts -Dkey=value to set a configuration property for that run.')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  // Options after a subcommand belong to it: `fs stat -v` is verbose, not the program's --version.
  program.enablePositionalOptions();
  // Only the modules of the command run are loaded (all of them for help or an unknown command).
  const registers = await Promise.all(commandGroupsFor(rest).map(loadCommandGroup));
  for (const register of registers) register(program, context);
  try {
    await program.parseAsync(rest, { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    process.stderr.write(`tierfs: ${failureMessage(error)}\n`);
    return 1;
  }
}
