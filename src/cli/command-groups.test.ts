import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMAND_GROUPS, commandGroupsFor, loadCommandGroup } from './command-groups.js';
import type { CliContext } from './main.js';

const context: CliContext = {
  configuration: () => {
    throw new Error('not needed to register commands');
  },
  systemProperties: () => ({}),
};

describe('command groups', () => {
  it('each group registers exactly the top-level commands it is looked up by', async () => {
    for (const group of COMMAND_GROUPS) {
      const program = new Command('tierfs');
      (await loadCommandGroup(group))(program, context);
      expect(program.commands.map((c) => c.name()).sort()).toEqual([...group.names].sort());
    }
  }, 60_000);

  it('a command loads its own group only; --version none; help and unknown commands all', () => {
    const names = (argv: string[]) => commandGroupsFor(argv).map((g) => g.names[0]);
    expect(names(['fs', 'cat', '/a'])).toEqual(['fs']);
    expect(names(['start', 'local'])).toEqual(['format']);
    expect(names(['namespaces', 'list'])).toEqual(['topics']);
    expect(names(['--version'])).toEqual([]);
    expect(names(['-v'])).toEqual([]);
    for (const argv of [[], ['--help'], ['help', 'fs'], ['nosuch'], ['-x', 'fs']]) {
      expect(names(argv)).toEqual(COMMAND_GROUPS.map((g) => g.names[0]));
    }
  });
});
