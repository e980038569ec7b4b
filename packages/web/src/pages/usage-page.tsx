import {
  type PricedUsage,
  type UsageRow,
  type UsageSummary,
  formatCost,
  formatCount,
  summarizeUsage,
} from '@agent-state/rollout';
import { raw } from 'hono/html';
import type { FC } from 'hono/jsx';

import { renderDocument } from '../components/render-html.js';
import { plural } from '../format/plural.js';
import type { WebContext } from '../server/web-context.js';
import { scriptJson } from '../format/script-json.js';
import { Layout } from './layout.js';
import { Notice, StoreAccessNotice } from './notices.js';
import { UNNAMED_MODEL, usageChartData } from './usage-chart-data.js';

/** The periods the usage page offers, in days (`all`: everything the index holds). */
const PERIODS = ['30', '90', '365', 'all'] as const;
type Period = (typeof PERIODS)[number];
const DEFAULT_PERIOD: Period = '90';
const DAY_MS = 86_400_000;

/**
 * `/usage`: tokens per day stacked by model and cost per day, drawn with uPlot (by the bundled `usage-charts.js`, from the
 * data in a JSON `<script>`), the same figures as a table, and tables by model and by project
 * (`summarizeUsage`), for the last 30, 90 or 365 days or everything; over a shared store, the sums
 * of every home it holds.
 */
export async function usagePage(context: WebContext, params: URLSearchParams): Promise<string> {
  const asked = params.get('days');
  const period: Period = PERIODS.find((candidate) => candidate === asked) ?? DEFAULT_PERIOD;
  const access = await context.store.access();
  const { store } = access;
  let summaries: { daily: UsageSummary; model: UsageSummary; project: UsageSummary } | undefined;
  if (store !== null) {
    const sinceMs = period === 'all' ? undefined : context.clock.now() - Number(period) * DAY_MS;
    const [daily, model, project] = await Promise.all(
      (['daily', 'model', 'project'] as const).map((groupBy) =>
        // The daily rows' breakdown by model is what the tokens chart stacks.
        summarizeUsage({ store, groupBy, sinceMs, breakdown: groupBy === 'daily' }),
      ),
    );
    summaries = { daily: daily!, model: model!, project: project! };
  }
  return renderDocument(
    <Layout
      title="Usage"
      assets={context.assets}
      section="usage"
      scripts={['usage-charts.js']}
      sharedServer={context.shared?.server}
    >
      <h1>Usage</h1>
      {context.shared !== undefined && (
        <p class="muted">
          The usage of every home pushed to the shared store <code>{context.shared.server}</code>,
          summed.
        </p>
      )}
      <form class="filters" method="get" action="/usage" aria-label="Period">
        <div>
          <label for="usage-days">Period</label>
          <select id="usage-days" name="days">
            {PERIODS.map((value) => (
              <option value={value} selected={value === period}>
                {value === 'all' ? 'everything' : `last ${value} days`}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Show</button>
      </form>
      <StoreAccessNotice access={access} />
      {summaries !== undefined && (
        <UsageReport {...summaries} shared={context.shared !== undefined} />
      )}
    </Layout>,
  );
}

const UsageReport: FC<{
  daily: UsageSummary;
  model: UsageSummary;
  project: UsageSummary;
  shared: boolean;
}> = ({ daily, model, project, shared }) => {
  const unindexed = daily.coverage.threads - daily.coverage.indexed;
  return (
    <>
      {unindexed > 0 && (
        <Notice>
          {plural(unindexed, 'thread is', 'threads are')} not indexed for usage yet: run{' '}
          <code>agent-state usage --reindex</code>
          {shared && (
            <>
              {' '}
              in their homes, then <code>agent-state sync</code>
            </>
          )}
          .
        </Notice>
      )}
      <p>
        {formatCount(daily.totals.totalTokens)} tokens, {formatCost(daily.totals)} (prices of{' '}
        {daily.pricing.asOf}; days of {daily.timeZone}).
        {daily.unpricedModels.length > 0 &&
          ` No price for ${daily.unpricedModels.map((name) => name ?? UNNAMED_MODEL).join(', ')}: their cost is unknown.`}
      </p>
      <script type="application/json" id="usage-data">
        {raw(scriptJson(usageChartData(daily.rows)))}
      </script>
      <h2 id="tokens-chart-title">Tokens per day, by model</h2>
      <div
        class="chart"
        id="tokens-chart"
        role="img"
        aria-labelledby="tokens-chart-title"
        aria-describedby="daily-table-title"
      ></div>
      <h2 id="cost-chart-title">Cost per day</h2>
      <div
        class="chart"
        id="cost-chart"
        role="img"
        aria-labelledby="cost-chart-title"
        aria-describedby="daily-table-title"
      ></div>
      {daily.unpricedModels.length > 0 && (
        <p class="muted">
          The known part only: a day that used a model without a price cost more, and its value
          under the cursor reads &ge;.
        </p>
      )}
      <UsageTable
        id="daily-table"
        title="Per day"
        first="Day"
        summary={daily}
        label={(row) => row.key}
      />
      <UsageTable
        id="model-table"
        title="By model"
        first="Model"
        summary={model}
        label={(row) => (row.key === '' ? UNNAMED_MODEL : row.key)}
      />
      <UsageTable
        id="project-table"
        title="By project"
        first="Project"
        summary={project}
        label={(row) => row.key}
      />
    </>
  );
};

/** The figures of each usage table, after its first column. */
const COLUMNS: ReadonlyArray<{ title: string; value: (row: PricedUsage) => string }> = [
  { title: 'Input', value: (row) => formatCount(row.inputTokens) },
  { title: 'Cached', value: (row) => formatCount(row.cachedInputTokens) },
  { title: 'Output', value: (row) => formatCount(row.outputTokens) },
  { title: 'Reasoning', value: (row) => formatCount(row.reasoningOutputTokens) },
  { title: 'Total', value: (row) => formatCount(row.totalTokens) },
  { title: 'Cost', value: (row) => formatCost(row) },
];

const UsageTable: FC<{
  id: string;
  title: string;
  first: string;
  summary: UsageSummary;
  label: (row: UsageRow) => string;
}> = ({ id, title, first, summary, label }) => (
  <section aria-labelledby={`${id}-title`}>
    <h2 id={`${id}-title`}>{title}</h2>
    {summary.rows.length === 0 ? (
      <p class="muted">No usage recorded in this period.</p>
    ) : (
      <table id={id}>
        <thead>
          <tr>
            <th scope="col">{first}</th>
            {COLUMNS.map((column) => (
              <th scope="col" class="num">
                {column.title}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {summary.rows.map((row) => (
            <tr>
              <th scope="row">{label(row)}</th>
              {COLUMNS.map((column) => (
                <td class="num">{column.value(row)}</td>
              ))}
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total</th>
            {COLUMNS.map((column) => (
              <td class="num">{column.value(summary.totals)}</td>
            ))}
          </tr>
        </tfoot>
      </table>
    )}
  </section>
);
