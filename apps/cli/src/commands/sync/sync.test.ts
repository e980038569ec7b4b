import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { SearchReport } from '../search/search.js';
import type { UsageSummary } from '@agent-state/rollout';
import type { SyncResult } from '@agent-state/postgres';
import { readHomeIdentity } from '@agent-state/state';
import { postgresAvailable, tempDirs } from '@agent-state/test-utils';
import { useTestPostgres } from '@agent-state/test-utils/vitest';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';

import { backfilledHome, runCli, runCliJson } from '../../cli-harness.js';
import { ExitCode } from '../../exit-codes.js';
import type { ThreadsListReport } from '../threads/list/threads-list.js';

// Built by the `build` task, which turbo runs before `test`.
const BIN = fileURLToPath(new URL('../../../dist/bin.js', import.meta.url));

const temp = tempDirs();
afterEach(() => temp.cleanup());

/** Every row the server holds for a home, in a stable order, without surrogate ids. */
async function rowsOf(url: string, homeId: string): Promise<unknown> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const read = async (query: string) => (await client.query(query, [homeId])).rows as unknown[];
    return {
      threads: await read('SELECT * FROM threads WHERE home_id = $1 ORDER BY id'),
      tools: await read(
        'SELECT * FROM thread_dynamic_tools WHERE home_id = $1 ORDER BY thread_id, position',
      ),
      documents: await read(
        'SELECT thread_id, kind, role, turn_id, time_ms, line, ordinal, text, parts FROM search_documents WHERE home_id = $1 ORDER BY thread_id, line, ordinal NULLS FIRST, kind, text',
      ),
      searchThreads: await read(
        'SELECT thread_id, documents FROM search_threads WHERE home_id = $1 ORDER BY thread_id',
      ),
      usage: await read('SELECT * FROM usage_records WHERE home_id = $1 ORDER BY thread_id, line'),
      usageThreads: await read(
        'SELECT thread_id, records FROM usage_threads WHERE home_id = $1 ORDER BY thread_id',
      ),
    };
  } finally {
    await client.end();
  }
}

/** `agent-state sync` in a child process, one thread per transaction. */
function startSync(home: string, url: string) {
  const child = spawn(
    process.execPath,
    [BIN, '--home', home, 'sync', '--to', url, '--batch-size', '1'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null }>((resolve) =>
    child.once('exit', (code) => resolve({ code })),
  );
  return { child, exited, stderr: () => stderr };
}

/** Waits until the server holds at least one thread of the home. */
async function waitForThreads(url: string, homeId: string): Promise<void> {
  const probe = new pg.Client({ connectionString: url });
  await probe.connect();
  try {
    for (let tries = 0; ; tries += 1) {
      const { rows } = await probe
        .query<{ n: number }>('SELECT count(*)::int AS n FROM threads WHERE home_id = $1', [homeId])
        .catch(() => ({ rows: [{ n: 0 }] }));
      if ((rows[0]?.n ?? 0) > 0) return;
      if (tries > 3000) throw new Error('the sync never pushed a thread');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    await probe.end();
  }
}

/** This process's environment without a PostgreSQL password in it. */
function withoutPgPassword(): NodeJS.ProcessEnv {
  const { PGPASSWORD: _password, ...env } = process.env;
  return env;
}

const ids = (items: ReadonlyArray<{ id: string }>) => items.map((item) => item.id).sort();

describe.skipIf(!postgresAvailable())('agent-state sync and --store', () => {
  const server = useTestPostgres();

  it('pushes two homes into one server, whose listing, search and usage are the union of theirs; a second sync sends nothing', async () => {
    const url = await server().createDatabase();
    const homes = [await backfilledHome(temp, 'v0.100.0'), await backfilledHome(temp, 'v0.169.0')];
    for (const home of homes) {
      const { exitCode, json, stderr } = await runCliJson<SyncResult>([
        '--home',
        home,
        'sync',
        '--to',
        url,
        '--json',
      ]);
      expect(stderr).toBe('');
      expect(exitCode).toBe(ExitCode.Ok);
      expect(json.pushed).toBe(json.threads);
      expect(json.threads).toBeGreaterThan(0);
      expect(json.documents).toBeGreaterThan(0);
      expect(json.usageRecords).toBeGreaterThan(0);
      expect(json.server).not.toContain(server().password);
    }
    const [a, b] = homes as [string, string];
    const idA = readHomeIdentity(a).homeId;
    const idB = readHomeIdentity(b).homeId;
    expect(idA).not.toBe(idB);

    // Listing: every home's threads, each saying where it lives.
    const local = await Promise.all(
      homes.map((home) =>
        runCliJson<ThreadsListReport>([
          '--home',
          home,
          'threads',
          'list',
          '--json',
          '--limit',
          '1000',
        ]),
      ),
    );
    const shared = await runCliJson<ThreadsListReport>([
      '--home',
      a,
      'threads',
      'list',
      '--json',
      '--limit',
      '1000',
      '--store',
      url,
    ]);
    expect(shared.exitCode).toBe(ExitCode.Ok);
    expect(ids(shared.json.items)).toEqual(ids([...local[0]!.json.items, ...local[1]!.json.items]));
    const origins = new Set(shared.json.items.map((item) => item.origin?.homeId));
    expect(origins).toEqual(new Set([idA, idB]));
    const onlyB = await runCliJson<ThreadsListReport>([
      '--home',
      a,
      'threads',
      'list',
      '--json',
      '--limit',
      '1000',
      '--store',
      url,
      '--home-id',
      idB,
    ]);
    expect(ids(onlyB.json.items)).toEqual(ids(local[1]!.json.items));

    // Search: the threads that match, over both homes.
    const query = 'file';
    const localHits = await Promise.all(
      homes.map((home) =>
        runCliJson<SearchReport>(['--home', home, 'search', query, '--json', '--limit', '100']),
      ),
    );
    const sharedHits = await runCliJson<SearchReport>([
      '--home',
      a,
      'search',
      query,
      '--json',
      '--limit',
      '100',
      '--store',
      url,
    ]);
    expect(sharedHits.exitCode).toBe(ExitCode.Ok);
    const hitIds = (report: SearchReport) => report.hits.map((hit) => hit.thread.id).sort();
    expect(hitIds(sharedHits.json)).toEqual(
      [...hitIds(localHits[0]!.json), ...hitIds(localHits[1]!.json)].sort(),
    );
    expect(hitIds(sharedHits.json).length).toBeGreaterThan(0);
    // Each hit says which home it lives in.
    expect(new Set(sharedHits.json.hits.map((hit) => hit.thread.origin?.homeId))).toEqual(
      new Set([idA, idB]),
    );

    // Usage: the sums of both homes.
    const localUsage = await Promise.all(
      homes.map((home) => runCliJson<UsageSummary>(['--home', home, 'usage', '--json'])),
    );
    const sharedUsage = await runCliJson<UsageSummary>([
      '--home',
      a,
      'usage',
      '--json',
      '--store',
      url,
    ]);
    expect(sharedUsage.exitCode).toBe(ExitCode.Ok);
    for (const key of ['calls', 'inputTokens', 'outputTokens', 'totalTokens'] as const) {
      expect(sharedUsage.json.totals[key]).toBe(
        localUsage[0]!.json.totals[key] + localUsage[1]!.json.totals[key],
      );
    }

    // A second sync finds nothing to send.
    for (const home of homes) {
      const again = await runCliJson<SyncResult>(['--home', home, 'sync', '--to', url, '--json']);
      expect(again.json).toMatchObject({ pushed: 0, deleted: 0, documents: 0, usageRecords: 0 });
      expect(again.json.unchanged).toBe(again.json.threads);
    }
  });

  it('ends with the rows of a clean sync after a sync killed mid-way and one cut by a server restart', async () => {
    const home = await backfilledHome(temp, 'v0.169.0');
    const homeId = readHomeIdentity(home).homeId;
    const clean = await server().createDatabase();
    expect((await runCli(['--home', home, 'sync', '--to', clean])).exitCode).toBe(ExitCode.Ok);
    const expected = await rowsOf(clean, homeId);

    // Killed once its first batch (one thread) is in.
    const url = await server().createDatabase();
    const killed = startSync(home, url);
    await waitForThreads(url, homeId);
    killed.child.kill('SIGKILL');
    await killed.exited;
    // It was cut short: some threads are there, not all of them.
    const all = (expected as { threads: unknown[] }).threads.length;
    const partial = ((await rowsOf(url, homeId)) as { threads: unknown[] }).threads.length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(all);
    const resumed = await runCliJson<SyncResult>(['--home', home, 'sync', '--to', url, '--json']);
    expect(resumed.exitCode).toBe(ExitCode.Ok);
    expect(resumed.json.pushed).toBe(all - partial);
    expect(await rowsOf(url, homeId)).toEqual(expected);

    // The server stops under a sync: it fails with a typed error; the next sync completes it.
    const restarted = await server().createDatabase();
    const cut = startSync(home, restarted);
    await waitForThreads(restarted, homeId);
    await server().pause();
    const { code } = await cut.exited;
    expect(code).toBe(ExitCode.Failure);
    expect(cut.stderr()).toMatch(/store server postgres:\/\/agent_state@127\.0\.0\.1:\d+\//);
    expect(cut.stderr()).not.toContain(server().password);
    await server().resume();
    expect((await runCli(['--home', home, 'sync', '--to', restarted])).exitCode).toBe(ExitCode.Ok);
    expect(await rowsOf(restarted, homeId)).toEqual(expected);
  });

  it('says a wrong password, an unreachable server and a newer schema in typed errors, never the password', async () => {
    const home = await backfilledHome(temp, 'v0.100.0');
    const url = await server().createDatabase();
    const wrong = url.replace(`:${server().password}@`, ':not-the-password@');
    const refused = await runCli(['--home', home, 'sync', '--to', wrong, '--json']);
    expect(refused.exitCode).toBe(ExitCode.Failure);
    expect(refused.stderr).toMatch(
      /the store server postgres:\/\/agent_state@127\.0\.0\.1:\d+\/\w+ refused to let in/,
    );
    expect(refused.stderr + refused.stdout).not.toContain('not-the-password');

    const nowhere = `postgres://agent_state:${server().password}@127.0.0.1:1/agent_state`;
    const unreachable = await runCli([
      '--home',
      home,
      'threads',
      'list',
      '--store',
      nowhere,
      '--json',
    ]);
    expect(unreachable.exitCode).toBe(ExitCode.Failure);
    expect(unreachable.stderr).toMatch(
      /cannot reach the store server postgres:\/\/agent_state@127\.0\.0\.1:1\/agent_state/,
    );
    expect(unreachable.stderr + unreachable.stdout).not.toContain(server().password);

    // The password from a pgpass file, as libpq reads it: not in the URL, nor printed.
    const passfile = join(temp.make('pgpass'), 'pgpass');
    writeFileSync(
      passfile,
      `127.0.0.1:${server().port}:*:${server().user}:${server().password}\n`,
      {
        mode: 0o600,
      },
    );
    const withoutPassword = url.replace(`:${server().password}@`, '@');
    const fromPassfile = spawnSync(
      process.execPath,
      [BIN, '--home', home, 'sync', '--to', withoutPassword, '--json'],
      { encoding: 'utf8', env: { ...withoutPgPassword(), PGPASSFILE: passfile } },
    );
    expect(fromPassfile.stderr).toBe('');
    expect(fromPassfile.status).toBe(ExitCode.Ok);
    expect(fromPassfile.stdout).not.toContain(server().password);
    const noPassword = spawnSync(
      process.execPath,
      [BIN, '--home', home, 'usage', '--store', withoutPassword],
      { encoding: 'utf8', env: { ...withoutPgPassword(), PGPASSFILE: join(passfile, 'none') } },
    );
    expect(noPassword.status).toBe(ExitCode.Failure);
    expect(noPassword.stderr).toMatch(
      /refused to let in: the server asks for a password and none was given/,
    );

    expect((await runCli(['--home', home, 'sync', '--to', url])).exitCode).toBe(ExitCode.Ok);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ version: number }>(
      'UPDATE agent_state_schema SET version = version + 1 RETURNING version',
    );
    await client.end();
    const version = rows[0]!.version;
    const newer = await runCli(['--home', home, 'usage', '--store', url, '--json']);
    expect(newer.exitCode).toBe(ExitCode.Failure);
    expect(newer.stderr).toContain(
      `schema version ${version}, newer than the ${version - 1} this agent-state supports`,
    );
    expect(newer.stderr + newer.stdout).not.toContain(server().password);

    const noUrl = await runCli(['--home', home, 'sync']);
    expect(noUrl.exitCode).toBe(ExitCode.Usage);
    expect(noUrl.stderr).toContain('AGENT_STATE_STORE_URL');
  });
});
