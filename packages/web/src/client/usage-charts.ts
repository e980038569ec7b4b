// The usage page's charts (bundled with uPlot into assets/usage-charts-<hash>.js): tokens and
// cost per day, drawn from the JSON the page embeds in <script id="usage-data">. The tables below
// the charts hold the same figures for those who do not see them.
import uPlot from 'uplot';

import type { UsageChartData } from '../pages/usage-chart-data.js';

const DAY = 86_400;
const COLORS = ['#0969da', '#8250df', '#1a7f37', '#bf8700', '#cf222e'];

function readData(): UsageChartData | undefined {
  const element = document.getElementById('usage-data');
  if (element === null || element.textContent === null) return undefined;
  return JSON.parse(element.textContent) as UsageChartData;
}

function widthOf(container: HTMLElement): number {
  return Math.max(320, container.clientWidth);
}

function draw(
  container: HTMLElement,
  data: UsageChartData,
  series: Array<{ label: string; values: number[] }>,
  format: (value: number) => string,
): uPlot {
  const options: uPlot.Options = {
    width: widthOf(container),
    height: 300,
    tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'),
    scales: {
      // A single day would otherwise stretch the axis over years: show the week around it.
      x:
        data.days.length === 1
          ? { time: true, auto: false, range: [data.days[0]! - 3 * DAY, data.days[0]! + 3 * DAY] }
          : { time: true },
    },
    axes: [
      { stroke: getComputedStyle(document.body).color },
      {
        stroke: getComputedStyle(document.body).color,
        size: 70,
        values: (_, ticks) => ticks.map(format),
      },
    ],
    series: [
      {},
      ...series.map((entry, index) => ({
        label: entry.label,
        stroke: COLORS[index % COLORS.length]!,
        width: 2,
        value: (_: uPlot, value: number | null) => (value === null ? '' : format(value)),
        points: { show: data.days.length < 60 },
      })),
    ],
  };
  return new uPlot(options, [data.days, ...series.map((entry) => entry.values)], container);
}

function compact(value: number): string {
  return new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 }).format(
    value,
  );
}

function dollars(value: number): string {
  return `$${value < 1 && value > 0 ? value.toFixed(2) : compact(value)}`;
}

function drawCharts(): void {
  const data = readData();
  const tokens = document.getElementById('tokens-chart');
  const cost = document.getElementById('cost-chart');
  if (data === undefined || tokens === null || cost === null || data.days.length === 0) return;
  const charts: Array<[uPlot, HTMLElement]> = [
    [
      draw(
        tokens,
        data,
        [
          { label: 'input', values: data.input },
          { label: 'cached input', values: data.cachedInput },
          { label: 'output', values: data.output },
          { label: 'reasoning', values: data.reasoning },
          { label: 'total', values: data.total },
        ],
        compact,
      ),
      tokens,
    ],
    [draw(cost, data, [{ label: 'cost (USD)', values: data.cost }], dollars), cost],
  ];
  window.addEventListener('resize', () => {
    for (const [chart, container] of charts) {
      chart.setSize({ width: widthOf(container), height: 300 });
    }
  });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', drawCharts);
else drawCharts();
