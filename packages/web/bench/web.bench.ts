// Benchmark of the web UI and transcript exports (`pnpm bench`). Targets come from the issue "See
// your sessions", on the 10,000-rollout bench corpus (~1.4 GB, the rollout benchmarks' corpus):
// - the first page of the UI (`/`, the thread list) served in <= 300 ms;
// - the transcript of a 4.5 MB rollout rendered in the browser (headless Chromium, navigation to
//   the load event) in <= 1 s;
// - `agent-state threads export --format html` of that rollout, as a whole process, <= 500 ms.
// The issue names no anchor; beside each figure the run measures what bounds it: the page
// served without the browser, the Markdown and JSON exports and `agent-state --version`, all in
// the same run.
//
// WEB_BENCH_ROLLOUTS=300 shrinks the corpus while developing (targets are for 10,000).
import { performance } from 'node:perf_hooks';

import { loadTranscript, runBackfill } from '@agent-state/rollout';
import { openStateStore } from '@agent-state/state';
import {
  BENCH_CORPUS,
  benchLogger,
  type BenchRow,
  fixed,
  generateCorpus,
  median,
  medianCli,
  percentile,
  reportBench,
  tempDirs,
} from '@agent-state/test-utils';

import { startWebServer } from '../src/index.js';
import { RUN_BROWSER_TESTS, launchChromium } from '../src/testing/chromium.js';

const ROLLOUTS = Number(process.env.WEB_BENCH_ROLLOUTS ?? 10_000);
/** The size of the rollout whose transcript is timed (the one of the corpus closest to it). */
const TRANSCRIPT_BYTES = 4_500_000;
const PAGE_RUNS = 20;
const BROWSER_RUNS = 5;
const CLI_RUNS = 10;
const MB = 1_000_000;
const log = benchLogger('web');

/** Milliseconds to fetch `url` whole (status 200 required). */
async function timedGet(url: string): Promise<number> {
  const t0 = performance.now();
  const response = await fetch(url);
  const body = await response.text();
  const ms = performance.now() - t0;
  if (response.status !== 200)
    throw new Error(`GET ${url}: ${response.status} ${body.slice(0, 200)}`);
  return ms;
}

async function main(): Promise<boolean> {
  const temp = tempDirs();
  const rows: BenchRow[] = [];
  try {
    const home = temp.make('web-corpus');
    log(`generating ${ROLLOUTS} rollouts in ${home} …`);
    const corpus = generateCorpus({ home, count: ROLLOUTS, ...BENCH_CORPUS, text: 'varied' });
    rows.push({
      name: `corpus of ${ROLLOUTS} rollouts`,
      value: corpus.totalBytes / MB,
      unit: 'MB',
      details: `${corpus.files.filter((file) => file.archived).length} archived`,
    });

    log('backfilling it (threads, search, usage) …');
    const store = await openStateStore({ home });
    const t0 = performance.now();
    const backfill = await runBackfill({ store, home });
    rows.push({
      name: 'backfill of the corpus (setup)',
      value: (performance.now() - t0) / 1000,
      unit: 's',
      details: `${backfill.upserted} threads indexed`,
    });
    await store.close();

    const target = corpus.files
      .filter((file) => !file.archived)
      .reduce((best, file) =>
        Math.abs(file.bytes - TRANSCRIPT_BYTES) < Math.abs(best.bytes - TRANSCRIPT_BYTES)
          ? file
          : best,
      );
    const transcript = await loadTranscript({ home, id: target.id, repair: false });
    const items = transcript.turns.reduce((sum, turn) => sum + turn.items.length, 0);
    const about = `${fixed(target.bytes / MB, 2)} MB rollout, ${transcript.turns.length} turns, ${items} items`;

    // 1. The server, in this process, as `agent-state serve` runs it (its store opened read-only
    //    by the first request).
    const server = await startWebServer({ home, port: 0 });
    try {
      const first = await timedGet(server.url);
      const warm: number[] = [];
      for (let i = 0; i < PAGE_RUNS; i += 1) warm.push(await timedGet(server.url));
      rows.push({
        name: 'first page (/) served, first request',
        value: first,
        unit: 'ms',
        target: { max: 300 },
        details: 'opens the store read-only, lists 50 threads',
      });
      rows.push({
        name: 'first page (/) served, median',
        value: median(warm),
        unit: 'ms',
        target: { max: 300 },
        details: `p95 ${fixed(percentile(warm, 95), 1)} ms over ${PAGE_RUNS} requests`,
      });
      const word =
        corpus.vocabulary?.words[Math.floor(corpus.vocabulary.words.length / 2)] ?? 'error';
      for (const [name, path] of [
        [`search page (${word})`, `search?q=${encodeURIComponent(word)}`],
        ['usage page', 'usage'],
        ['health page', 'health'],
        ['transcript page, server side', `threads/${target.id}`],
      ] as const) {
        const url = new URL(path, server.url).href;
        const cold = await timedGet(url);
        const runs: number[] = [];
        for (let i = 0; i < 5; i += 1) runs.push(await timedGet(url));
        rows.push({
          name,
          value: median(runs),
          unit: 'ms',
          details: `median of 5 after a first request of ${fixed(cold, 1)} ms (health and transcripts are cached)`,
        });
      }

      // 2. The transcript page drawn by a real browser.
      if (RUN_BROWSER_TESTS) {
        const browser = await launchChromium();
        try {
          const page = await browser.newPage();
          const url = new URL(`threads/${target.id}`, server.url).href;
          const loads: number[] = [];
          for (let i = 0; i <= BROWSER_RUNS; i += 1) {
            await page.goto('about:blank');
            await page.goto(url, { waitUntil: 'load' });
            const ms = await page.evaluate(() => {
              // The page's own clock (this file's `performance` is Node's).
              const [entry] = window.performance.getEntriesByType(
                'navigation',
              ) as PerformanceNavigationTiming[];
              return entry ? entry.loadEventEnd - entry.startTime : Number.NaN;
            });
            if (i > 0) loads.push(ms); // the first run warms the browser
          }
          rows.push({
            name: 'transcript rendered in Chromium (to load)',
            value: median(loads),
            unit: 'ms',
            target: { max: 1_000 },
            details: `${about}; median of ${BROWSER_RUNS}`,
          });
        } finally {
          await browser.close();
        }
      } else {
        log('Chromium is missing: the browser row is skipped (set CHROMIUM_PATH)');
      }
    } finally {
      await server.close();
    }

    // 3. Exports as whole processes, beside the floor of any command.
    const exportArgs = ['--home', home, 'threads', 'export', target.id, '--format'];
    rows.push({
      name: 'threads export --format html (process)',
      value: medianCli([...exportArgs, 'html'], CLI_RUNS).ms,
      unit: 'ms',
      target: { max: 500 },
      details: `${about}; median of ${CLI_RUNS}`,
    });
    for (const format of ['md', 'json']) {
      rows.push({
        name: `threads export --format ${format} (process)`,
        value: medianCli([...exportArgs, format], CLI_RUNS).ms,
        unit: 'ms',
        details: `median of ${CLI_RUNS}`,
      });
    }
    rows.push({
      name: 'agent-state --version (process)',
      value: medianCli(['--version'], CLI_RUNS).ms,
      unit: 'ms',
      details: `the start-up floor; median of ${CLI_RUNS}`,
    });
  } finally {
    temp.cleanup();
  }
  return reportBench('web', rows);
}

main().then(
  (ok) => {
    process.exitCode = ok ? 0 : 1;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
