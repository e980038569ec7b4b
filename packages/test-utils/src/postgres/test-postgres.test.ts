import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { postgresAvailable } from './postgres-binaries.js';
import { type TestPostgres, startTestPostgres } from './test-postgres.js';

const external = Boolean(process.env.AGENT_STATE_TEST_PG_URL);
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Connects to `url`, runs `sql`, and returns the rows. */
async function query(url: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The SQLSTATE code of what `promise` rejects with. */
async function errorCode(promise: Promise<unknown>): Promise<unknown> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error, 'expected a rejection').toBeInstanceOf(Error);
  return (error as { code?: unknown }).code;
}

describe.skipIf(!postgresAvailable())('startTestPostgres', () => {
  let server: TestPostgres;
  const startedAt = Date.now();

  beforeAll(async () => {
    server = await startTestPostgres({
      logger: (line) => console.error(`[test-postgres] ${line}`),
      settings: { work_mem: '5MB' },
    });
    console.error(`[test-postgres] startTestPostgres took ${Date.now() - startedAt} ms`);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('serves its URL, whose parts are given apart too', async () => {
    expect(await query(server.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    const { url, user, password, host, port, database } = server;
    expect(url).toBe(`postgres://${user}:${password}@${host}:${port}/${database}`);
    if (!external) {
      expect(server).toMatchObject({ external: false, host: '127.0.0.1', user: 'agent_state' });
      expect(password).toMatch(/^[0-9a-f]{32}$/);
      expect(server.socketDir && existsSync(server.socketDir)).toBe(true);
    }
  });

  it('takes server settings, and only plain ones', async () => {
    if (!external) expect(await query(server.url, 'SHOW work_mem')).toEqual([{ work_mem: '5MB' }]);
    await expect(startTestPostgres({ settings: { work_mem: "1MB' -c x='y" } })).rejects.toThrow(
      /not a plain name=value/,
    );
  });

  it('creates fresh empty databases, named or not', async () => {
    const randomUrl = await server.createDatabase();
    const [random] = await query(randomUrl, 'SELECT current_database() AS name');
    expect(random?.name).toMatch(/^agent_state_test_[0-9a-f]{12}$/);

    const name = `named_${process.pid}`; // unique on a shared external server too
    const namedUrl = await server.createDatabase(name);
    expect(new URL(namedUrl).pathname).toBe(`/${name}`);
    await query(namedUrl, 'CREATE TABLE t (x int)');
    const tables = await query(
      namedUrl,
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    expect(tables).toEqual([{ table_name: 't' }]);
    // A name that would need quoting is refused.
    await expect(server.createDatabase('no; DROP')).rejects.toThrow(/database name/);
  });

  it.skipIf(external)('refuses a wrong password (28P01)', async () => {
    const wrong = new URL(server.url);
    wrong.password = 'not-the-password';
    expect(await errorCode(query(wrong.toString(), 'SELECT 1'))).toBe('28P01');
  });

  it.skipIf(external)('pauses and resumes on the same port and data', async () => {
    const url = await server.createDatabase('survives_restart');
    await query(url, 'CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)');

    await server.pause();
    expect(await errorCode(query(url, 'SELECT 1'))).toBe('ECONNREFUSED');
    await server.pause(); // already paused: nothing to do

    await server.resume();
    expect(await query(url, 'SELECT x FROM kept')).toEqual([{ x: 42 }]);
    expect(await query(server.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it.skipIf(!external)('refuses to pause an external server', async () => {
    await expect(server.pause()).rejects.toThrow(/needs a throwaway cluster/);
    await expect(server.resume()).rejects.toThrow(/needs a throwaway cluster/);
  });

  it('stops for good, removing its folder, and may be stopped again', async () => {
    const dir = server.socketDir;
    await server.stop();
    await server.stop();
    if (dir !== undefined) expect(existsSync(dir)).toBe(false);
    if (!external) expect(await errorCode(query(server.url, 'SELECT 1'))).toBe('ECONNREFUSED');
    await expect(server.createDatabase()).rejects.toThrow(/stopped/);
  });
});

/**
 * Starts a child process that starts a cluster, prints its folder and URL, then exits without
 * `stop()` (`'exit'`) or waits to be sent SIGTERM (`'SIGTERM'`). Resolves once it has ended.
 */
async function abandonCluster(
  how: 'exit' | 'SIGTERM',
): Promise<{ dir: string; url: string; signal: NodeJS.Signals | null }> {
  const module = new URL('./test-postgres.ts', import.meta.url).href;
  const code = [
    `const { startTestPostgres } = await import(${JSON.stringify(module)});`,
    'const server = await startTestPostgres();',
    'console.log(JSON.stringify({ dir: server.socketDir, url: server.url }));',
    how === 'exit' ? 'process.exit(0);' : 'setInterval(() => {}, 1000);',
  ].join('\n');
  const child = spawn(
    process.execPath,
    ['--import', TSX_LOADER, '--input-type=module', '-e', code],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const printed = new Promise<{ dir: string; url: string }>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('\n')) resolve(JSON.parse(stdout) as { dir: string; url: string });
    });
  });
  const ended = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('close', (_code, signal) => resolve(signal)),
  );
  const started = await Promise.race([printed, ended.then(() => undefined)]);
  if (!started) throw new Error(`the child ended before starting its cluster:\n${stderr}`);
  expect(existsSync(started.dir)).toBe(true);
  if (how === 'SIGTERM') child.kill('SIGTERM');
  return { ...started, signal: await ended };
}

describe.skipIf(external || !postgresAvailable())(
  'a cluster whose process ends without stop()',
  () => {
    it('is stopped and removed on exit, and on SIGTERM', async () => {
      const [exited, terminated] = await Promise.all([
        abandonCluster('exit'),
        abandonCluster('SIGTERM'),
      ]);
      expect(terminated.signal).toBe('SIGTERM');
      for (const { dir, url } of [exited, terminated]) {
        expect(existsSync(dir), dir).toBe(false);
        expect(await errorCode(query(url, 'SELECT 1'))).toBe('ECONNREFUSED');
      }
    });
  },
);
