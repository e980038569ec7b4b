import { type DoctorReport, formatCount, inspectHome } from '@agent-state/rollout';
import type { BackfillState } from '@agent-state/state';
import type { FC } from 'hono/jsx';

import { renderDocument } from '../components/render-html.js';
import { formatUnixTime } from '../format/format-time.js';
import { plural } from '../format/plural.js';
import type { WebContext } from '../server/web-context.js';
import { Layout, NoStoreNotice } from './layout.js';

/**
 * `/health`: what `agent-state doctor` says (`inspectHome` of the store the server reads): the
 * store, the backfill, counts, the indexes, and each problem with what to do about it.
 */
export async function healthPage(context: WebContext): Promise<string> {
  const store = await context.store.get();
  // Without a store, inspectHome would create one: the server never writes.
  const report =
    store === null ? null : await inspectHome({ home: context.home, store, clock: context.clock });
  return renderDocument(
    <Layout title="Health" assets={context.assets} section="health">
      <h1>Health</h1>
      {report === null ? <NoStoreNotice /> : <HealthReport report={report} />}
    </Layout>,
  );
}

function bytes(value: number | null): string {
  if (value === null) return 'no file';
  if (value < 1024) return `${value} B`;
  if (value < 1024 ** 2) return `${(value / 1024).toFixed(1)} KiB`;
  if (value < 1024 ** 3) return `${(value / 1024 ** 2).toFixed(1)} MiB`;
  return `${(value / 1024 ** 3).toFixed(2)} GiB`;
}

function backfillText(state: BackfillState | null): string {
  if (state === null) return 'unknown';
  switch (state.status) {
    case 'complete':
      return state.lastSuccessAt === null
        ? 'complete'
        : `complete (last run ${formatUnixTime(state.lastSuccessAt)})`;
    case 'pending':
      return 'pending: run agent-state backfill';
    case 'running':
      return state.holderDead ? 'interrupted: its process died' : 'running';
  }
}

const HealthReport: FC<{ report: DoctorReport }> = ({ report }) => {
  const facts: Array<[string, string]> = [
    ['Home', report.home],
    ['Store', report.store.path],
    [
      'Schema version',
      report.store.schemaVersion === null ? 'unknown' : String(report.store.schemaVersion),
    ],
    ['Size', bytes(report.store.sizeBytes)],
    [
      'Integrity',
      report.store.integrity === null
        ? 'not checked'
        : report.store.integrity.ok
          ? 'ok'
          : `${plural(report.store.integrity.problems.length, 'problem')} found`,
    ],
    ['Backfill', backfillText(report.backfill)],
    [
      'Threads',
      report.threads === null
        ? 'unknown'
        : `${formatCount(report.threads.total)} (${formatCount(report.threads.archived)} archived)`,
    ],
    [
      'Rollouts',
      report.rollouts === null
        ? 'unknown'
        : `${formatCount(report.rollouts.total)} (${formatCount(report.rollouts.notIndexed)} not in the store)`,
    ],
    [
      'Search',
      report.search === null
        ? 'unknown'
        : `${formatCount(report.search.indexed)} of ${plural(report.search.threads, 'thread')} indexed`,
    ],
    [
      'Usage',
      report.usage === null
        ? 'unknown'
        : `${formatCount(report.usage.indexed)} of ${plural(report.usage.threads, 'thread')} indexed`,
    ],
    [
      'Discrepancies',
      report.discrepancies === null
        ? 'unknown'
        : formatCount(report.discrepancies.reduce((sum, counter) => sum + counter.count, 0)),
    ],
    ['Logs database', `${report.logs.path} (${bytes(report.logs.sizeBytes)})`],
  ];
  return (
    <>
      <table>
        <caption class="visually-hidden">The store and its indexes</caption>
        <tbody>
          {facts.map(([name, value]) => (
            <tr>
              <th scope="row">{name}</th>
              <td>{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Problems</h2>
      {report.problems.length === 0 ? (
        <p>No problems found.</p>
      ) : (
        <ul class="problems">
          {report.problems.map((problem) => (
            <li>
              <span class={`severity-${problem.severity}`}>{problem.severity}:</span>{' '}
              {problem.message}
              <br />
              <span class="muted">fix:</span> {problem.fix}
            </li>
          ))}
        </ul>
      )}
    </>
  );
};
