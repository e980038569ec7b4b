import { formatCount } from '@agent-state/rollout';
import type { AgentStateStore, StoreInfo } from '@agent-state/state';
import type { FC } from 'hono/jsx';

import { formatUnixTime } from '../format/format-time.js';
import { plural } from '../format/plural.js';
import type { SharedStoreDescription, SharedStoreHome } from '../server/shared-store.js';
import { FactsTable, Notice, ProblemList } from './notices.js';

/** What the health page shows of a shared store: read at each request (a few small queries). */
export interface SharedStoreReport {
  server: string;
  info: StoreInfo;
  homes: readonly SharedStoreHome[];
  threads: { total: number; archived: number };
  search: { threads: number; indexed: number };
  usage: { threads: number; indexed: number };
  problems: Array<{ severity: 'warning'; message: string; fix: string }>;
}

/**
 * The shared store's state: its server (never with the password), schema version and size
 * (`store.info()`), its homes (`shared.homes()`), its threads and how many each index covers, and
 * what is missing (a home never synced, threads not indexed). Nothing here is about the home the
 * server was started in: `agent-state doctor` checks a home, on its machine.
 */
export async function inspectSharedStore(
  store: AgentStateStore,
  shared: SharedStoreDescription,
): Promise<SharedStoreReport> {
  const [info, homes, total, archived, search, usage] = await Promise.all([
    store.info(),
    shared.homes(),
    store.threads.count(),
    store.threads.count({ archived: true }),
    store.search.coverage(),
    store.usage.coverage(),
  ]);
  const problems: SharedStoreReport['problems'] = [];
  for (const home of homes) {
    if (home.lastSyncAt === null) {
      problems.push({
        severity: 'warning',
        message: `the home ${home.homePath} on ${home.host} has never completed a sync: the store may hold part of it`,
        fix: `run \`agent-state sync\` on ${home.host}`,
      });
    }
  }
  for (const [name, coverage, flag] of [
    ['search', search, 'search'],
    ['usage', usage, 'usage'],
  ] as const) {
    const missing = coverage.threads - coverage.indexed;
    if (missing > 0) {
      problems.push({
        severity: 'warning',
        message: `${plural(missing, 'thread is', 'threads are')} not indexed for ${name}`,
        fix: `run \`agent-state ${flag} --reindex\` in their homes, then \`agent-state sync\``,
      });
    }
  }
  return {
    server: shared.server,
    info,
    homes,
    threads: { total, archived },
    search: { threads: search.threads, indexed: search.indexed },
    usage: { threads: usage.threads, indexed: usage.indexed },
    problems,
  };
}

function bytes(value: number): string {
  if (value < 1024) return `${value} B`;
  if (value < 1024 ** 2) return `${(value / 1024).toFixed(1)} KiB`;
  if (value < 1024 ** 3) return `${(value / 1024 ** 2).toFixed(1)} MiB`;
  return `${(value / 1024 ** 3).toFixed(2)} GiB`;
}

/** The health of a shared store: what it is, its homes, and its problems. */
export const SharedStoreHealth: FC<{ report: SharedStoreReport }> = ({ report }) => {
  const facts: Array<[string, string]> = [
    ['Server', report.server],
    ['Access', 'read-only, across homes'],
    ['Schema version', String(report.info.schemaVersion)],
    ['Size', bytes(report.info.sizeBytes)],
    ['Homes', formatCount(report.homes.length)],
    [
      'Threads',
      `${formatCount(report.threads.total)} (${formatCount(report.threads.archived)} archived)`,
    ],
    [
      'Search',
      `${formatCount(report.search.indexed)} of ${plural(report.search.threads, 'thread')} indexed`,
    ],
    [
      'Usage',
      `${formatCount(report.usage.indexed)} of ${plural(report.usage.threads, 'thread')} indexed`,
    ],
  ];
  return (
    <>
      <Notice>
        This page describes the <strong>shared store</strong> at <code>{report.server}</code>, which
        this server reads across homes and never writes, not a home on this machine. Each home is
        checked on its own machine by <code>agent-state doctor</code>, and pushed here by{' '}
        <code>agent-state sync</code>.
      </Notice>
      <FactsTable caption="The shared store" facts={facts} />
      <h2>Homes</h2>
      {report.homes.length === 0 ? (
        <p class="muted">
          No home has been pushed to this store yet: run <code>agent-state sync --to …</code> on a
          machine.
        </p>
      ) : (
        <table id="homes-table">
          <caption class="visually-hidden">The homes of the shared store</caption>
          <thead>
            <tr>
              <th scope="col">Host</th>
              <th scope="col">Home</th>
              <th scope="col" class="num">
                Threads
              </th>
              <th scope="col">Last sync</th>
              <th scope="col">Id</th>
            </tr>
          </thead>
          <tbody>
            {report.homes.map((home) => (
              <tr>
                <th scope="row">{home.host}</th>
                <td class="cwd">{home.homePath}</td>
                <td class="num">{formatCount(home.threads)}</td>
                <td>{home.lastSyncAt === null ? 'never' : formatUnixTime(home.lastSyncAt)}</td>
                <td class="id">{home.homeId}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Problems</h2>
      <ProblemList problems={report.problems} />
    </>
  );
};
