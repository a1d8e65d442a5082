/** `tierfs conf get KEY` and `tierfs conf list [--source] [--all]`; secrets are always masked. */
import type { Command } from 'commander';
import { describeOrigin, PROPERTIES } from '../config/configuration.js';
import { propertiesReference } from '../config/reference.js';
import { TierfsError } from '../errors.js';
import type { CliContext } from './main.js';

export function registerConfCommands(program: Command, context: CliContext): void {
  const conf = program
    .command('conf')
    .description('Show the configuration in effect and where each value comes from');

  conf
    .command('get')
    .description('Print the value of one property (secrets masked)')
    .argument('<key>', 'property key, e.g. tierfs.underfs.s3.endpoint or its alluxio.* spelling')
    .option('--source', 'also print where the value comes from')
    .action((key: string, options: { source?: boolean }) => {
      const configuration = context.configuration();
      const resolved = PROPERTIES.resolve(key);
      if (!resolved && configuration.origin(key) === undefined) {
        const suggestion = PROPERTIES.suggest(key);
        throw new TierfsError(
          'INVALID_ARGUMENT',
          `Unknown property '${key}'${suggestion ? `; did you mean '${suggestion}'?` : ''}`,
        );
      }
      const name = resolved?.key ?? key;
      const value = configuration.display(name) ?? '';
      const origin = configuration.origin(name);
      process.stdout.write(
        options.source && origin ? `${value} (${describeOrigin(origin)})\n` : `${value}\n`,
      );
    });

  conf
    .command('list')
    .description('Print every property that has a value (secrets masked)')
    .option('--source', 'print where each value comes from')
    .option('--all', 'include properties that have no value')
    .action((options: { source?: boolean; all?: boolean }) => {
      const lines = context
        .configuration()
        .list({ includeUnset: options.all })
        .map(({ key, value, origin }) => {
          const text = `${key}=${value ?? ''}`;
          return options.source && origin ? `${text} (${describeOrigin(origin)})` : text;
        });
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  conf
    .command('doc')
    .description('Print the reference of every property as Markdown (docs/reference/properties.md)')
    .action(() => {
      process.stdout.write(propertiesReference());
    });
}
