// The usage page's charts (bundled with uPlot into assets/usage-charts-<hash>.js): tokens per day
// stacked by model, and cost per day, drawn as bars from the JSON the page embeds in
// <script id="usage-data">. The tables below the charts hold the same figures for those who do
// not see them.
import uPlot from 'uplot';

import type { UsageChartData } from '../pages/usage-chart-data.js';

const DAY = 86_400;
/** A color per named model (at most CHART_MODELS + 1), then the grey of "other models". */
const COLORS = ['#0969da', '#8250df', '#1a7f37', '#bf8700', '#cf222e', '#1b7c83', '#bc4c00'];
const OTHER_COLOR = '#8c959f';

/** The x axis's tick spacings: a day, a week, four weeks, a quarter, a year (about). */
const DAY_STEPS = [1, 2, 7, 14, 28, 91, 182, 364].map((days) => days * DAY);

/** The label of a day on the x axis: `Nov 21`, with the year when the chart spans two. */
function dayLabel(data: UsageChartData): (seconds: number) => string {
  const first = new Date(data.days[0]! * 1000).getUTCFullYear();
  const last = new Date(data.days.at(-1)! * 1000).getUTCFullYear();
  const format = new Intl.DateTimeFormat('en-US', {
    month: 'short',
    day: 'numeric',
    ...(first === last ? {} : { year: 'numeric' }),
    timeZone: 'UTC',
  });
  return (seconds) => format.format(new Date(seconds * 1000));
}

function readData(): UsageChartData | undefined {
  const element = document.getElementById('usage-data');
  if (element === null || element.textContent === null) return undefined;
  return JSON.parse(element.textContent) as UsageChartData;
}

function widthOf(container: HTMLElement): number {
  return Math.max(320, container.clientWidth);
}

/** One series of a chart: its label, the values drawn, and the value its legend shows. */
interface ChartSeries {
  label: string;
  color: string;
  /** What the bar reaches: for a stacked chart, the sum of this series and those below it. */
  drawn: number[];
  /** The legend's text for the day under the cursor (this series' own value). */
  legend: (index: number) => string;
}

function draw(
  container: HTMLElement,
  data: UsageChartData,
  series: ChartSeries[],
  format: (value: number) => string,
): uPlot {
  const bars = uPlot.paths.bars!({ size: [0.7, 48], gap: 1 });
  const options: uPlot.Options = {
    width: widthOf(container),
    height: 300,
    tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'),
    scales: {
      // A single day would otherwise stretch the axis over years: show the week around it.
      x:
        data.days.length === 1
          ? { time: true, auto: false, range: [data.days[0]! - 3 * DAY, data.days[0]! + 3 * DAY] }
          : { time: true, range: (_, min, max) => [min - DAY / 2, max + DAY / 2] },
      y: { range: (_, __, max) => [0, max > 0 ? max * 1.05 : 1] },
    },
    axes: [
      {
        stroke: getComputedStyle(document.body).color,
        // Whole days only: a bar is a day, an hour tick would mean nothing.
        incrs: DAY_STEPS,
        values: (_, ticks) => ticks.map(dayLabel(data)),
      },
      {
        stroke: getComputedStyle(document.body).color,
        size: 70,
        values: (_, ticks) => ticks.map(format),
      },
    ],
    series: [
      {},
      ...series.map((entry) => ({
        label: entry.label,
        stroke: entry.color,
        fill: entry.color,
        width: 0,
        paths: bars,
        points: { show: false },
        value: (_: uPlot, value: number | null, __: number, day: number | null) =>
          value === null || day === null ? '' : entry.legend(day),
      })),
    ],
  };
  return new uPlot(options, [data.days, ...series.map((entry) => entry.drawn)], container);
}

/**
 * The tokens chart's series: each model's bar stacked on those of the models with more tokens.
 * Bars all start at 0, so the series are drawn tallest first and each lower one over it; the
 * legend lists them top of the stack first, as the eye reads the bars.
 */
function stackedModels(data: UsageChartData): ChartSeries[] {
  const stacked: ChartSeries[] = [];
  let below = data.days.map(() => 0);
  for (const [rank, model] of data.models.entries()) {
    const drawn = below.map((sum, day) => sum + model.tokens[day]!);
    stacked.push({
      label: model.name,
      color: model.other ? OTHER_COLOR : COLORS[rank % COLORS.length]!,
      drawn,
      legend: (day) => compact(model.tokens[day]!),
    });
    below = drawn;
  }
  return stacked.reverse();
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
  const costSeries: ChartSeries = {
    label: 'cost (USD)',
    color: COLORS[0]!,
    drawn: data.cost,
    // A day that used a model without a price cost at least its known part.
    legend: (day) => `${data.costUnknown[day] ? '>= ' : ''}${dollars(data.cost[day]!)}`,
  };
  const charts: Array<[uPlot, HTMLElement]> = [
    [draw(tokens, data, stackedModels(data), compact), tokens],
    [draw(cost, data, [costSeries], dollars), cost],
  ];
  window.addEventListener('resize', () => {
    for (const [chart, container] of charts) {
      chart.setSize({ width: widthOf(container), height: 300 });
    }
  });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', drawCharts);
else drawCharts();
