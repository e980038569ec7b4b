import type { ThreadMetadata } from '@agent-state/state';
import { threadFromRow } from '@agent-state/state/backend';
import { type SqlBool, sql } from 'kysely';

import type { PostgresContext } from '../store/postgres-context.js';

type ThreadRow = Parameters<typeof threadFromRow>[0];

/**
 * Rows of `threads` as metadata. A store opened across homes also says where each thread lives
 * (`origin`: its home's id, host and path), read from `homes` in one query; a home's own store
 * never does, so its threads are what a SQLite store gives.
 */
export async function threadsWithOrigin(
  context: PostgresContext,
  rows: ReadonlyArray<ThreadRow & { home_id: string }>,
): Promise<ThreadMetadata[]> {
  if (context.homeId !== undefined || rows.length === 0) return rows.map(threadFromRow);
  const homeIds = [...new Set(rows.map((row) => row.home_id))];
  const homes = await context.db
    .selectFrom('homes')
    .select(['home_id', 'host', 'home_path'])
    .where(sql<SqlBool>`home_id = ANY(${homeIds}::text[])`)
    .execute();
  const origins = new Map(
    homes.map((home) => [
      home.home_id,
      { homeId: home.home_id, host: home.host, homePath: home.home_path },
    ]),
  );
  return rows.map((row) => {
    const origin = origins.get(row.home_id);
    // `Object.assign`, not a literal: `origin` is an optional field of the metadata.
    return origin ? Object.assign(threadFromRow(row), { origin }) : threadFromRow(row);
  });
}
