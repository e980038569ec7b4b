import { formatCount, inspectHome, inspectSharedStore } from '@agent-state/rollout';
import { type AgentStateError, type BackfillState, stateDbPath } from '@agent-state/state';
import type { FC } from 'hono/jsx';

import { renderDocument } from '../components/render-html.js';
import { formatIsoTime, formatUnixTime } from '../format/format-time.js';
import { plural } from '../format/plural.js';
import { HEALTH_REPORT_TTL_MS, type HealthReading } from '../server/health-cache.js';
import type { SharedStoreDescription } from '../server/shared-store.js';
import type { WebContext } from '../server/web-context.js';
import { Layout } from './layout.js';
import {
  FactsTable,
  NoStoreNotice,
  ProblemList,
  StoreProblemNotice,
  storeProblemFix,
} from './notices.js';
import { SharedStoreHealth } from './shared-health.js';

/**
 * `/health`: what `agent-state doctor` says (`inspectHome` of the store the server reads): the
 * store, the backfill, counts, the indexes, and each problem with what to do about it. The
 * report is taken at most every {@link HEALTH_REPORT_TTL_MS} (it checks the store and walks the
 * rollouts), and the page says when it was. A store that cannot be opened is the problem shown.
 * Over a shared store, the page describes that store (its server, schema, homes), not a home.
 */
export async function healthPage(context: WebContext): Promise<string> {
  if (context.shared !== undefined) return sharedHealthPage(context, context.shared);
  const access = await context.store.access();
  const { store } = access;
  // Without a store, inspectHome would create one: the server never writes.
  const reading =
    store === null
      ? null
      : await context.health.get(() =>
          inspectHome({ home: context.home, store, clock: context.clock }),
        );
  return renderDocument(
    <Layout title="Health" assets={context.assets} section="health">
      <h1>Health</h1>
      {access.problem !== null ? (
        <StoreProblem home={context.home} problem={access.problem} />
      ) : reading === null ? (
        <NoStoreNotice />
      ) : (
        <HealthReport reading={reading} />
      )}
    </Layout>,
  );
}

/** `/health` over a shared store: the store and its homes, read at each request. */
async function sharedHealthPage(
  context: WebContext,
  shared: SharedStoreDescription,
): Promise<string> {
  // The shared store is given to the server, never opened by it: `get()` returns it.
  const store = await context.store.get();
  if (store === null) throw new Error('a shared store is always given to the server');
  const report = await inspectSharedStore(store, {
    server: shared.server,
    homes: await shared.homes(),
  });
  return renderDocument(
    <Layout title="Health" assets={context.assets} section="health" sharedServer={shared.server}>
      <h1>Health of the shared store</h1>
      <SharedStoreHealth report={report} />
    </Layout>,
  );
}

/** A store that cannot be opened: where it is, the problem and what to do. */
const StoreProblem: FC<{ home: string; problem: AgentStateError }> = ({ home, problem }) => (
  <>
    <StoreProblemNotice problem={problem} />
    <table>
      <caption class="visually-hidden">The store</caption>
      <tbody>
        <tr>
          <th scope="row">Home</th>
          <td>{home}</td>
        </tr>
        <tr>
          <th scope="row">Store</th>
          <td>{stateDbPath(home)}</td>
        </tr>
        <tr>
          <th scope="row">Status</th>
          <td>cannot be opened ({problem.code})</td>
        </tr>
      </tbody>
    </table>
    <h2>Problems</h2>
    <ul class="problems">
      <li>
        <span class="severity-error">error:</span> {problem.message}
        <br />
        <span class="muted">fix:</span> {storeProblemFix(problem)}
      </li>
    </ul>
  </>
);

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

const HealthReport: FC<{ reading: HealthReading }> = ({ reading }) => {
  const { report, takenAtMs } = reading;
  const takenAt = new Date(takenAtMs).toISOString();
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
      <p class="muted" id="health-taken">
        Report taken at <time datetime={takenAt}>{formatIsoTime(takenAt)}</time>; it is taken again
        when this page is loaded more than {HEALTH_REPORT_TTL_MS / 1000} seconds later.
      </p>
      <FactsTable caption="The store and its indexes" facts={facts} />
      <h2>Problems</h2>
      <ProblemList problems={report.problems} />
    </>
  );
};
