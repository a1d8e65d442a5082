/**
 * The top-level commands of `tierfs`, by the module that registers them. A command's module (and
 * everything it imports: the under-store drivers, the daemons, FUSE, the gateways) is loaded only
 * when that command runs, so `tierfs fs cat` starts without what `tierfs start` needs. Help and
 * unknown commands load every group, in this order (the order of `tierfs --help`).
 */
import type { Command } from 'commander';
import type { CliContext } from './main.js';

export type RegisterCommands = (program: Command, context: CliContext) => void;

export interface CommandGroup {
  /** The top-level command names the group registers. */
  readonly names: readonly string[];
  /** Whether its commands open under stores themselves (FileSystem.get): see registerUnderStores. */
  readonly underStores?: boolean;
  load(): Promise<RegisterCommands>;
}

/**
 * The under-store drivers (`s3://`, `oss://`, `kodo://`, local) and `tierfs://` registered for
 * FileSystem.get: needed by the commands that open under stores themselves, not by `fs`, which
 * only talks to the cluster.
 */
async function registerUnderStores(): Promise<void> {
  await import('../ufs/drivers.js');
  await import('../client/tierfs-store.js');
}

export const COMMAND_GROUPS: readonly CommandGroup[] = [
  {
    names: ['auth'],
    underStores: true,
    load: async () => (await import('./auth.js')).registerAuthCommands,
  },
  {
    names: ['conf'],
    underStores: true,
    load: async () => (await import('./conf.js')).registerConfCommands,
  },
  {
    names: ['format', 'start', 'stop', 'process'],
    underStores: true,
    load: async () => (await import('./daemon.js')).registerDaemonCommands,
  },
  { names: ['fs'], load: async () => (await import('./fs.js')).registerFsCommands },
  {
    names: ['fuse'],
    underStores: true,
    load: async () => (await import('./fuse.js')).registerFuseCommands,
  },
  {
    names: ['runTests'],
    underStores: true,
    load: async () => (await import('./run-tests.js')).registerRunTestsCommand,
  },
  {
    names: ['gateway'],
    underStores: true,
    load: async () => (await import('./gateway.js')).registerGatewayCommand,
  },
  {
    names: ['selfcheck'],
    underStores: true,
    load: async () => (await import('./selfcheck.js')).registerSelfCheckCommand,
  },
  {
    names: ['topics', 'namespaces'],
    underStores: true,
    load: async () => (await import('./topics.js')).registerTopicCommands,
  },
];

/**
 * The groups to load for `argv` (after the -D properties): none for `--version`, the one its
 * command names, or all of them (help, an unknown command, no command).
 */
export function commandGroupsFor(argv: readonly string[]): readonly CommandGroup[] {
  const name = argv[0];
  if (name === '-v' || name === '--version') return [];
  const group = name?.startsWith('-') ? undefined : COMMAND_GROUPS.find((g) => g.names.includes(name ?? ''));
  return group ? [group] : COMMAND_GROUPS;
}

/** Loads a group's module (and the under-store drivers first, when it needs them). */
export async function loadCommandGroup(group: CommandGroup): Promise<RegisterCommands> {
  if (group.underStores) await registerUnderStores();
  return group.load();
}
