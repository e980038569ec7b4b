import {
  StoreCorruptError,
  StoreForeignError,
  StoreIoError,
  StoreTooNewError,
} from '@agent-state/state';
import type { Pool, PoolClient } from 'pg';

import { POSTGRES_MIGRATIONS, type PostgresMigration } from './postgres-migrations.js';

/** The key of the advisory lock every migrating process takes: `hashtext('agent-state schema')`. */
const MIGRATION_LOCK = "hashtext('agent-state schema')";

/** What {@link migratePostgres} found and did. */
export interface PostgresMigrateResult {
  /** Schema version before (0 for a database without our tables). */
  from: number;
  to: number;
  applied: string[];
}

/**
 * Brings the database to the newest schema, or checks that it is there (`migrate: false`). Every
 * step runs in one transaction under an advisory lock, so processes on many machines opening a
 * new server at once apply it once. A schema newer than this build is refused
 * (`StoreTooNewError`), never downgraded; a database that has a `threads` table but not our schema
 * table is someone else's (`StoreForeignError`).
 */
export async function migratePostgres(
  pool: Pool,
  options: {
    server: string;
    now: number;
    migrate: boolean;
    migrations?: readonly PostgresMigration[] | undefined;
  },
): Promise<PostgresMigrateResult> {
  const migrations = [...(options.migrations ?? POSTGRES_MIGRATIONS)].sort(
    (a, b) => a.version - b.version,
  );
  const latest = migrations.at(-1)?.version ?? 0;
  const client = await pool.connect();
  // A connection dropped while migrating fails the query under way (a typed error, above); the
  // client's own 'error' event must not end the process.
  const ignore = (): void => undefined;
  client.on('error', ignore);
  try {
    const from = await readVersion(client, options.server);
    if (from > latest) throw new StoreTooNewError(options.server, from, latest);
    if (from === latest || !options.migrate) {
      if (from < latest) throw outdated(options.server, from, latest);
      return { from, to: from, applied: [] };
    }
    const applied: string[] = [];
    for (const migration of migrations) {
      if (migration.version <= from) continue;
      await client.query('BEGIN');
      try {
        await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
        const current = await readVersion(client, options.server);
        if (current > latest) throw new StoreTooNewError(options.server, current, latest);
        if (current >= migration.version) {
          await client.query('COMMIT');
          continue;
        }
        if (current !== migration.version - 1) {
          throw new StoreCorruptError(
            options.server,
            `migration ${migration.version} (${migration.name}) needs schema version ${migration.version - 1}, found ${current}`,
          );
        }
        if (current === 0) {
          await client.query(
            'CREATE TABLE agent_state_schema (singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton), version integer NOT NULL, migrated_at bigint NOT NULL)',
          );
          await client.query(
            'INSERT INTO agent_state_schema (version, migrated_at) VALUES (0, $1)',
            [options.now],
          );
        }
        await client.query(migration.sql);
        await client.query('UPDATE agent_state_schema SET version = $1, migrated_at = $2', [
          migration.version,
          options.now,
        ]);
        await client.query('COMMIT');
        applied.push(migration.name);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    }
    const to = await readVersion(client, options.server);
    return { from, to, applied };
  } finally {
    client.off('error', ignore);
    client.release();
  }
}

/** The schema version, 0 without our schema table; refuses a foreign `threads` table. */
async function readVersion(client: PoolClient, server: string): Promise<number> {
  const { rows } = await client.query<{ ours: string | null; threads: string | null }>(
    "SELECT to_regclass('agent_state_schema')::text AS ours, to_regclass('threads')::text AS threads",
  );
  const found = rows[0];
  if (!found?.ours) {
    if (found?.threads) throw new StoreForeignError(server, 0);
    return 0;
  }
  const version = await client.query<{ version: number }>('SELECT version FROM agent_state_schema');
  return version.rows[0]?.version ?? 0;
}

function outdated(server: string, from: number, latest: number): Error {
  return new StoreIoError(
    server,
    from === 0
      ? 'it holds no agent-state store yet: push a home to it first (agent-state sync --to URL)'
      : `its schema is at version ${from} and this agent-state reads ${latest}: push to it once (agent-state sync) to migrate it`,
  );
}
