import { type SharedStoreReport, formatCount } from '@agent-state/rollout';
import type { FC } from 'hono/jsx';

import { formatUnixTime } from '../format/format-time.js';
import { plural } from '../format/plural.js';
import { FactsTable, Notice, ProblemList } from './notices.js';

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
