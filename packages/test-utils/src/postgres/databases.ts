import { randomBytes } from 'node:crypto';

import pg from 'pg';

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * A database name for {@link createDatabase}: `name` checked (letters, digits and `_`, not
 * starting with a digit, at most 63 characters, so that it needs no quoting in a URL), or a
 * random `agent_state_test_<hex>`.
 *
 * @example
 * ```ts
 * databaseName(); // 'agent_state_test_3f9a0c1d2b4e'
 * databaseName('threads'); // 'threads'
 * ```
 */
export function databaseName(name?: string): string {
  if (name === undefined) return `agent_state_test_${randomBytes(6).toString('hex')}`;
  if (!NAME.test(name)) {
    throw new Error(
      `database name ${JSON.stringify(name)}: use letters, digits and _ (not first), at most 63`,
    );
  }
  return name;
}

/**
 * `url` with its database replaced by `database`.
 *
 * @example
 * ```ts
 * withDatabase('postgres://u:p@127.0.0.1:5432/postgres', 'threads');
 * // 'postgres://u:p@127.0.0.1:5432/threads'
 * ```
 */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/**
 * Runs one statement on a fresh connection to `url`, then closes it.
 *
 * @example
 * ```ts
 * await runStatement(server.url, 'CREATE DATABASE "threads"');
 * ```
 */
export async function runStatement(url: string, sql: string): Promise<void> {
  await queryRows(url, sql);
}

/**
 * The rows of one query (with its `$1`… `values`) on a fresh connection to `url`, which is then
 * closed: for a test to look at what a server holds with SQL of its own.
 *
 * @example
 * ```ts
 * const [{ n }] = await queryRows<{ n: number }>(url, 'SELECT count(*)::int AS n FROM threads');
 * ```
 */
export async function queryRows<Row extends object>(
  url: string,
  text: string,
  values: readonly unknown[] = [],
): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return (await client.query<Row>(text, [...values])).rows;
  } finally {
    await client.end();
  }
}

/**
 * Creates the empty database `database` on the server of `url` (connected to as a role that may
 * create databases) and returns its URL.
 *
 * @example
 * ```ts
 * const threadsUrl = await createDatabase(server.url, 'threads');
 * ```
 */
export async function createDatabase(url: string, database: string): Promise<string> {
  await runStatement(url, `CREATE DATABASE "${database}"`);
  return withDatabase(url, database);
}

/**
 * Drops `database` if it exists, ending the sessions still connected to it (`WITH (FORCE)`, on
 * PostgreSQL 13 and later; a plain `DROP DATABASE` before).
 *
 * @example
 * ```ts
 * await dropDatabase(server.url, 'threads');
 * ```
 */
export async function dropDatabase(url: string, database: string): Promise<void> {
  try {
    await runStatement(url, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  } catch (error) {
    // 42601: syntax error, a server older than 13 that knows no WITH (FORCE).
    if ((error as { code?: unknown }).code !== '42601') throw error;
    await runStatement(url, `DROP DATABASE IF EXISTS "${database}"`);
  }
}
