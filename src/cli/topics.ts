/**
 * `tierfs topics …` and `tierfs namespaces …`: Pulsar-admin-style commands for the tiered log
 * served by the master (`tierfs.master.hostname`:`tierfs.master.rpc.port`).
 *
 *   topics produce tenant/ns/topic -m msg [-m msg ...]
 *   topics consume tenant/ns/topic [--from L:E] [-n N] [--positions]
 *   topics list [tenant/ns] | topics ledgers <topic>
 *   topics offload --size-threshold 10M <topic>
 *   topics offload-status [-w] <topic>
 *   namespaces set-offload-threshold --size 10M tenant/ns | get-offload-threshold tenant/ns
 *   namespaces set-retention [--size 1G] [--time 7d] tenant/ns
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { credentialHeadersOf } from '../client/client.js';
import { Masters, masterAddressesOf, mastersOptionsOf } from '../cluster/masters.js';
import { parseDuration } from '../config/types.js';
import { TierfsError } from '../errors.js';
import {
  type ConsumeResponse,
  type OffloadResponse,
  type OffloadStatusResponse,
  offloadStatusLines,
  type ProduceResponse,
} from '../log/log-api.js';
import type { NamespacePolicies } from '../log/namespace-policies.js';
import type { LedgerInfo } from '../log/topic-metadata.js';
import type { CliContext } from './main.js';

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function countOf(raw: string): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new TierfsError('INVALID_ARGUMENT', `-n must be a positive integer, got '${raw}'`);
  return n;
}

export function registerTopicCommands(program: Command, context: CliContext): void {
  const masters = () =>
    new Masters(masterAddressesOf(context.configuration()), mastersOptionsOf(context.configuration()));
  const headers = () => credentialHeadersOf(context.configuration());
  const get = <T>(path: string, query: Record<string, string>) =>
    masters().call<T>('GET', `/api/v1${path}?${new URLSearchParams(query)}`, { headers: headers() });
  const post = <T>(path: string, body: unknown) =>
    masters().call<T>('POST', `/api/v1${path}`, { body, headers: headers() });

  const topics = program.command('topics').description('Produce, consume and offload tiered-log topics');

  topics
    .command('produce')
    .description('Append messages to a topic')
    .argument('<topic>', 'tenant/namespace/topic')
    .requiredOption('-m, --messages <message...>', 'messages to append, in order')
    .action(async (topic: string, options: { messages: string[] }) => {
      const response = await post<ProduceResponse>('/topics/messages', { topic, messages: options.messages });
      out(`${response.positions.length} messages successfully produced`);
    });

  topics
    .command('consume')
    .description('Print messages of a topic from a position (offloaded ledgers are read transparently)')
    .argument('<topic>', 'tenant/namespace/topic')
    .option('--from <position>', 'first position, ledgerId:entryId', '0:0')
    .option('-n, --num-messages <n>', 'number of messages to print', '100')
    .option('-p, --positions', 'prefix every message with its position')
    .action(async (topic: string, options: { from: string; numMessages: string; positions?: boolean }) => {
      let left = countOf(options.numMessages);
      let from = options.from;
      while (left > 0) {
        const page = await get<ConsumeResponse>('/topics/messages', {
          topic,
          from,
          max: String(Math.min(left, 1000)),
        });
        if (page.entries.length === 0) break;
        for (const entry of page.entries) {
          const text = Buffer.from(entry.data, 'base64').toString('utf8');
          out(options.positions ? `${entry.position} ${text}` : text);
        }
        left -= page.entries.length;
        from = page.next;
      }
    });

  topics
    .command('list')
    .description('List topics, of one namespace or all')
    .argument('[namespace]', 'tenant/namespace')
    .action(async (namespace: string | undefined) => {
      const response = await get<{ topics: string[] }>('/topics', namespace ? { namespace } : {});
      for (const topic of response.topics) out(topic);
    });

  topics
    .command('ledgers')
    .description('List the ledgers of a topic: id, entries, bytes, state')
    .argument('<topic>', 'tenant/namespace/topic')
    .action(async (topic: string) => {
      const { ledgers } = await get<{ ledgers: LedgerInfo[] }>('/topics/ledgers', { topic });
      for (const l of ledgers) {
        const state =
          l.closedMs === 0
            ? 'open'
            : l.offload?.complete
              ? `offloaded (${l.offload.driver.driver})${l.localDeleted ? '' : ' +local'}`
              : 'local';
        out(`${l.ledgerId}\t${l.entries}\t${l.size}\t${state}`);
      }
    });

  topics
    .command('offload')
    .description('Offload the oldest ledgers until at most the threshold stays local')
    .requiredOption('-s, --size-threshold <size>', 'bytes to keep in the local log, e.g. 10M')
    .argument('<topic>', 'tenant/namespace/topic or persistent://tenant/namespace/topic')
    .action(async (topic: string, options: { sizeThreshold: string }) => {
      const response = await post<OffloadResponse>('/topics/offload', {
        topic,
        sizeThreshold: options.sizeThreshold,
      });
      out(
        response.triggered
          ? `Offload triggered for ${response.topic} for messages before ${response.before}`
          : 'Nothing to offload',
      );
    });

  topics
    .command('offload-status')
    .description('Show the status of the last offload of a topic')
    .option('-w, --wait-complete', 'wait for a running offload to finish')
    .argument('<topic>', 'tenant/namespace/topic or persistent://tenant/namespace/topic')
    .action(async (topic: string, options: { waitComplete?: boolean }) => {
      let status = await get<OffloadStatusResponse>('/topics/offload-status', { topic });
      while (options.waitComplete && status.state === 'RUNNING') {
        await sleep(1000);
        status = await get<OffloadStatusResponse>('/topics/offload-status', { topic });
      }
      for (const line of offloadStatusLines(status)) out(line);
      if (status.state === 'ERROR') process.exitCode = 1;
    });

  const namespaces = program
    .command('namespaces')
    .description('Offload and retention policies of namespaces');

  namespaces
    .command('set-offload-threshold')
    .description('Offload automatically once a topic stores more than this (0: at once, -1: never)')
    .requiredOption('-s, --size <size>', 'threshold, e.g. 10M, 0 or -1')
    .argument('<namespace>', 'tenant/namespace')
    .action(async (namespace: string, options: { size: string }) => {
      await post<NamespacePolicies>('/namespaces/offload-threshold', { namespace, size: options.size });
    });

  namespaces
    .command('get-offload-threshold')
    .description('Print the offload threshold of a namespace in bytes (unset: the configured default)')
    .argument('<namespace>', 'tenant/namespace')
    .action(async (namespace: string) => {
      const policies = await get<NamespacePolicies>('/namespaces/policies', { namespace });
      out(policies.offloadThresholdBytes === undefined ? 'unset' : String(policies.offloadThresholdBytes));
    });

  namespaces
    .command('set-retention')
    .description('Delete closed ledgers beyond a size or age (local and offloaded copies); -1 for no limit')
    .option('--size <size>', 'retention size, e.g. 10G, or -1')
    .option('--time <duration>', 'retention time, e.g. 7day, or -1')
    .argument('<namespace>', 'tenant/namespace')
    .action(async (namespace: string, options: { size?: string; time?: string }) => {
      await post<NamespacePolicies>('/namespaces/retention', {
        namespace,
        ...(options.size === undefined ? {} : { size: options.size }),
        ...(options.time === undefined ? {} : { timeMs: parseDuration(options.time) }),
      });
    });
}
