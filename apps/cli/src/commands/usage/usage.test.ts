import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import {
  RolloutRecorder,
  USAGE_REPORT_KINDS,
  type UsageExplanation,
  type UsageSummary,
  explainUsage,
} from '@agent-state/rollout';
import { ManualClock, type UsageRecord, openStateStore } from '@agent-state/state';
import { generateCorpus, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { captureIo } from '../../capture-io.js';
import { codexHome, runCli, runCliJson } from '../../cli-harness.js';
import { ExitCode } from '../../exit-codes.js';
import { REPORTS } from './index.js';
import { runUsage } from './usage.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

/** The `ccusage-codex` executable of `@ccusage/codex` 18 (a dev dependency). */
const CCUSAGE = join(
  dirname(createRequire(import.meta.url).resolve('@ccusage/codex/package.json')),
  'dist',
  'index.js',
);

interface CcusageTokens {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningOutputTokens: number;
  totalTokens: number;
}
interface CcusageSessions {
  sessions: Array<CcusageTokens & { sessionId: string }>;
}

/** `ccusage-codex <command> --json --offline --timezone UTC` over `home`. */
function ccusage<T>(home: string, command: string): T {
  const run = spawnSync(
    process.execPath,
    [CCUSAGE, command, '--json', '--offline', '--timezone', 'UTC'],
    { env: { ...process.env, CODEX_HOME: home }, encoding: 'utf8', timeout: 60_000 },
  );
  if (run.status !== 0) throw new Error(`ccusage-codex failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

const TOKEN_FIELDS = [
  'inputTokens',
  'cachedInputTokens',
  'outputTokens',
  'reasoningOutputTokens',
  'totalTokens',
] as const;
const tokensOf = (row: CcusageTokens) => TOKEN_FIELDS.map((field) => row[field]);
const idOf = (sessionId: string) => /([0-9a-f-]{36})$/.exec(sessionId)![1]!;

async function sessions(home: string): Promise<UsageSummary> {
  const { exitCode, json } = await runCliJson<UsageSummary>([
    '--home',
    home,
    'usage',
    'session',
    '--timezone',
    'UTC',
    '--json',
  ]);
  expect(exitCode).toBe(ExitCode.Ok);
  return json;
}

describe('agent-state usage against @ccusage/codex 18', () => {
  it("gives ccusage's figures on a Codex 0.169 home, session by session", async () => {
    const home = codexHome(temp, 'v0.169.0');
    const theirs = ccusage<CcusageSessions>(home, 'session');
    const ours = await sessions(home);
    expect(theirs.sessions).toHaveLength(10);
    for (const session of theirs.sessions) {
      const row = ours.rows.find((candidate) => candidate.key === idOf(session.sessionId));
      expect(row && tokensOf(row), session.sessionId).toEqual(tokensOf(session));
    }
    // ccusage does not read archived_sessions/: the two other rows are the archived threads.
    const extra = ours.rows.filter(
      (row) => !theirs.sessions.some((s) => idOf(s.sessionId) === row.key),
    );
    expect(extra.map((row) => row.thread?.archivedAt !== null)).toEqual([true, true]);
  });

  it('differs from ccusage on a Codex 0.100 home by exactly the repeated token_count lines it counts again', async () => {
    const home = codexHome(temp, 'v0.100.0');
    const theirs = ccusage<CcusageSessions>(home, 'session');
    const ours = await sessions(home);
    let repeated = 0;
    for (const session of theirs.sessions) {
      const id = idOf(session.sessionId);
      const { json: explained } = await runCliJson<UsageExplanation>([
        '--home',
        home,
        'usage',
        '--explain',
        id,
        '--json',
      ]);
      const repeats = explained.records.filter((r) => r.excluded === 'repeat');
      const row = ours.rows.find((candidate) => candidate.key === id)!;
      const withRepeats = TOKEN_FIELDS.map(
        (field) => row[field] + repeats.reduce((sum, r) => sum + r[field], 0),
      );
      expect(withRepeats, session.sessionId).toEqual(tokensOf(session));
      repeated += repeats.reduce((sum, r) => sum + r.totalTokens, 0);
    }
    // The rollouts' own running totals agree with ours: 3,387 tokens, not ccusage's 4,940.
    const theirTotal = theirs.sessions.reduce((sum, s) => sum + s.totalTokens, 0);
    const ourTotal = ours.rows
      .filter((row) => row.thread?.archivedAt === null)
      .reduce((sum, row) => sum + row.totalTokens, 0);
    expect([ourTotal, theirTotal]).toEqual([3_387, 4_940]);
    expect(theirTotal - ourTotal).toBe(repeated);
  });

  it("counts a legacy fork's own calls only, where ccusage bills its parent again", async () => {
    const home = codexHome(temp, 'v0.100.0');
    const parentPath = join(
      home,
      'sessions/2026/11/21/rollout-2026-11-21T05-44-05-01a1fca2-1d67-7971-8727-3cd36fd8d76f.jsonl',
    );
    // Forked with agent-state's recorder (a copy of the parent's lines, as Codex 0.100 forks),
    // then one call of its own on top of the parent's 460 + 60 tokens.
    const fork = await RolloutRecorder.fork({
      home,
      parentPath,
      clock: new ManualClock(Date.parse('2026-12-01T00:00:00Z')),
    });
    await fork.record([
      {
        type: 'turn_context',
        payload: {
          turn_id: 'turn-fork',
          cwd: '/home/user/projects/repo-a',
          model: 'gpt-5.3-codex',
          approval_policy: 'never',
          sandbox_policy: { type: 'read-only' },
          summary: 'auto',
        },
      },
      {
        type: 'event_msg',
        payload: {
          type: 'token_count',
          info: {
            total_token_usage: {
              input_tokens: 560,
              cached_input_tokens: 0,
              output_tokens: 70,
              reasoning_output_tokens: 9,
              total_tokens: 630,
            },
            last_token_usage: {
              input_tokens: 100,
              cached_input_tokens: 0,
              output_tokens: 10,
              reasoning_output_tokens: 0,
              total_tokens: 110,
            },
            model_context_window: 258400,
          },
          rate_limits: null,
        },
      },
    ]);
    await fork.close();

    const ours = await sessions(home);
    const row = (id: string) => ours.rows.find((candidate) => candidate.key === id);
    expect(row(fork.threadId)?.totalTokens).toBe(110);
    expect(row('01a1fca2-1d67-7971-8727-3cd36fd8d76f')?.totalTokens).toBe(520);

    const theirs = ccusage<CcusageSessions>(home, 'session');
    const theirFork = theirs.sessions.find((s) => idOf(s.sessionId) === fork.threadId)!;
    const { json: explained } = await runCliJson<UsageExplanation>([
      '--home',
      home,
      'usage',
      '--explain',
      fork.threadId,
      '--json',
    ]);
    expect(explained.excluded).toEqual({ inherited: 3, repeat: 2, duplicate: 0 });
    const leftOut = explained.records
      .filter((r) => r.excluded !== null)
      .reduce((sum, r) => sum + r.totalTokens, 0);
    // ccusage: the parent's 520, its 330 of repeats, and the fork's 110.
    expect(theirFork.totalTokens).toBe(110 + leftOut);
    expect(theirFork.totalTokens).toBe(960);
  });
});

describe('agent-state usage against @ccusage/codex 18 on a generated corpus', () => {
  it('gives the same tokens by day and by session, but for the repeated lines ccusage counts again', async () => {
    const home = temp.make('corpus');
    // No archived rollouts (ccusage does not read them) and no forks; tool-call turns repeat the
    // rollout's last token_count line, which ccusage counts each time.
    generateCorpus({ home, count: 60, seed: 3, archivedShare: 0, days: 5, growth: 'tool-calls' });
    const ours = await sessions(home);
    const { json: daily } = await runCliJson<UsageSummary>([
      '--home',
      home,
      'usage',
      'daily',
      '--timezone',
      'UTC',
      '--json',
    ]);
    const store = await openStateStore({ home });
    const repeats = new Map<string, UsageRecord[]>();
    try {
      for (const row of ours.rows) {
        const { records } = await explainUsage({ store, threadId: row.key });
        repeats.set(
          row.key,
          records.filter((r) => r.excluded === 'repeat'),
        );
      }
    } finally {
      await store.close();
    }
    const plus = (base: CcusageTokens, extra: readonly UsageRecord[]) =>
      TOKEN_FIELDS.map((field) => base[field] + extra.reduce((sum, r) => sum + r[field], 0));

    const theirSessions = ccusage<CcusageSessions>(home, 'session').sessions;
    expect(theirSessions.length).toBe(ours.rows.length);
    for (const session of theirSessions) {
      const id = idOf(session.sessionId);
      const row = ours.rows.find((candidate) => candidate.key === id)!;
      expect(plus(row, repeats.get(id) ?? []), id).toEqual(tokensOf(session));
    }

    const theirDays = ccusage<{ daily: Array<CcusageTokens & { date: string }> }>(
      home,
      'daily',
    ).daily;
    const allRepeats = [...repeats.values()].flat();
    expect(theirDays.map((day) => isoDay(day.date))).toEqual(daily.rows.map((row) => row.key));
    for (const day of theirDays) {
      const row = daily.rows.find((candidate) => candidate.key === isoDay(day.date))!;
      const sameDay = allRepeats.filter(
        (r) => new Date(r.timeMs).toISOString().slice(0, 10) === row.key,
      );
      expect(plus(row, sameDay), day.date).toEqual(tokensOf(day));
    }
    expect(allRepeats.length).toBeGreaterThan(0);
  });
});

/** ccusage's display date (`Nov 21, 2026`) as `2026-11-21`. */
function isoDay(date: string): string {
  const [, month, day, year] = /^(\w{3}) (\d{1,2}), (\d{4})$/.exec(date)!;
  const index = 'JanFebMarAprMayJunJulAugSepOctNovDec'.indexOf(month!) / 3 + 1;
  return `${year}-${String(index).padStart(2, '0')}-${day!.padStart(2, '0')}`;
}

describe('agent-state usage', () => {
  it('prints a daily table with a totals row, in the time zone asked for', async () => {
    const home = codexHome(temp, 'v0.169.0');
    const { exitCode, stdout, stderr } = await runCli([
      '--home',
      home,
      'usage',
      '--timezone',
      'UTC',
    ]);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(stdout).toBe(
      [
        'day         models   input  cached  output  reasoning  total  cost',
        '2026-11-21  gpt-5.5  3,293       0     420         63  3,713     ?',
        'total                3,293       0     420         63  3,713     ?',
        '',
      ].join('\n'),
    );
    expect(stderr).toBe(
      'agent-state: no price for gpt-5.5: their cost is unknown (--pricing FILE gives one)\n',
    );
  });

  it('prices with --pricing, groups by model and month, and prints one JSON document', async () => {
    const home = codexHome(temp, 'v0.169.0');
    const pricing = join(temp.make('pricing'), 'prices.json');
    writeFileSync(
      pricing,
      JSON.stringify({
        asOf: '2026-12-01',
        source: 'test',
        models: { 'gpt-5.5': { input: 2, cachedInput: 0.2, output: 16 } },
      }),
    );
    const model = await runCli(['--home', home, 'usage', 'model', '--pricing', pricing]);
    expect(model.stdout.split('\n')[1]).toBe(
      'gpt-5.5  3,293       0     420         63  3,713  $0.0133',
    );
    expect(model.stderr).toBe('');
    const { json } = await runCliJson<UsageSummary>([
      '--home',
      home,
      'usage',
      'monthly',
      '--timezone',
      'Asia/Tokyo',
      '--json',
    ]);
    expect(json).toMatchObject({
      groupBy: 'monthly',
      timeZone: 'Asia/Tokyo',
      rows: [{ key: '2026-11', totalTokens: 3_713, costUsd: null, models: ['gpt-5.5'] }],
      totals: { calls: 21, totalTokens: 3_713, costUsd: null, knownCostUsd: 0 },
      unpricedModels: ['gpt-5.5'],
      coverage: { threads: 14, indexed: 14 },
    });
    expect(json.pricing.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('filters by day, cwd and model', async () => {
    const home = codexHome(temp, 'v0.169.0');
    const total = async (...args: string[]) =>
      (
        await runCliJson<UsageSummary>([
          '--home',
          home,
          'usage',
          '--json',
          '--timezone',
          'UTC',
          ...args,
        ])
      ).json.totals.totalTokens;
    expect(await total('--since', '2026-11-21', '--until', '20261121')).toBe(3_713);
    expect(await total('--since', '2026-11-22')).toBe(0);
    expect(await total('--model', 'gpt-5.5')).toBe(3_713);
    expect(await total('--model', 'gpt-4o')).toBe(0);
    expect(await total('--cwd', '/home/user/projects/repo-a')).toBeGreaterThan(0);
    expect(await total('--cwd', '/nowhere')).toBe(0);
  });

  it('explains a thread record by record', async () => {
    const home = codexHome(temp, 'v0.100.0');
    const { exitCode, stdout } = await runCli([
      '--home',
      home,
      'usage',
      '--explain',
      '01a1fca2-1d67-7971-8727-3cd36fd8d76f',
    ]);
    expect(exitCode).toBe(ExitCode.Ok);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[2]).toMatch(/^line +time +source +model +input +output +total +counted\?$/);
    expect(lines.filter((line) => / counted$/.test(line))).toHaveLength(3);
    expect(
      lines.filter((line) => /no new usage \(the running total of line \d+ again\)$/.test(line)),
    ).toHaveLength(2);
    expect(lines.at(-1)).toBe(
      'counted: 3 calls, 520 tokens; left out: 2 repeats, 0 duplicates, 0 inherited',
    );
  });

  it('offers the reports the library makes', () => {
    expect([...REPORTS]).toEqual([...USAGE_REPORT_KINDS]);
  });

  it('refuses bad arguments with the one exit-code table', async () => {
    const home = codexHome(temp, 'v0.169.0');
    const run = (...args: string[]) => runCli(['--home', home, 'usage', ...args]);
    const unknownReport = await run('hourly');
    expect(unknownReport.exitCode).toBe(ExitCode.Usage);
    expect(unknownReport.stderr).toContain(
      'expected one of daily, weekly, monthly, session, model, project',
    );
    expect((await run('--timezone', 'Mars/Olympus')).exitCode).toBe(ExitCode.Usage);
    expect((await run('--since', 'yesterday-ish')).exitCode).toBe(ExitCode.Usage);
    // Refused as they are parsed, before anything is indexed, naming the flag.
    const noSuchDay = await run('--since', '2026-02-30');
    expect(noSuchDay.exitCode).toBe(ExitCode.Usage);
    expect(noSuchDay.stderr).toContain(
      "option '--since <day|time>' argument '2026-02-30' is invalid",
    );
    const badZone = await run('--timezone', 'Mars/Olympus');
    expect(badZone.stderr).toContain(
      "option '--timezone <zone>' argument 'Mars/Olympus' is invalid",
    );
    const badId = await run('--explain', 'not-a-thread');
    expect(badId.exitCode).toBe(ExitCode.Usage);
    expect(badId.stderr).toContain(
      "option '--explain <thread>' argument 'not-a-thread' is invalid",
    );
    expect(existsSync(join(home, 'agent_state_1.sqlite'))).toBe(false);
    const missing = await run('--pricing', join(home, 'none.json'));
    expect(missing.exitCode).toBe(ExitCode.NotFound);
    expect(missing.stderr).toContain('none.json');
    expect((await run('--explain', '01a1fca2-0000-7000-8000-000000000000')).exitCode).toBe(
      ExitCode.NotFound,
    );
  });

  it('indexes a home never indexed before answering, saying nothing on stdout but the report', async () => {
    const home = codexHome(temp, 'v0.169.0');
    const io = captureIo();
    expect(
      await runUsage({
        home,
        io,
        json: true,
        report: 'session',
        cwds: [],
        models: [],
        breakdown: true,
        reindex: false,
      }),
    ).toBe(ExitCode.Ok);
    const summary = JSON.parse(io.stdout.text()) as UsageSummary;
    expect(summary.rows).toHaveLength(12);
    expect(summary.rows.every((row) => row.breakdown?.length === 1)).toBe(true);
    expect(io.stderr.text()).toBe('');
  });
});
