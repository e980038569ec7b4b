import type Database from 'better-sqlite3';

// The work of pruning the logs table, as steps: each step is one short `BEGIN IMMEDIATE`
// transaction that deletes at most a chunk of rows, so the write lock is never held for long and
// other processes' writers get it between two steps. Everything that reads much (which partitions
// are over their limit, where each one's oldest kept row is) runs outside any write transaction:
// in WAL mode a read neither waits for nor blocks a writer.

/** Rows a prune step deletes at most, in one transaction. */
export const PRUNE_CHUNK_ROWS = 1000;

/** The threads over a size limit (`?`), from the covering index `idx_logs_thread_bytes`. */
export const OVER_LIMIT_THREADS_SQL = `SELECT thread_id FROM logs INDEXED BY idx_logs_thread_bytes
  WHERE thread_id IS NOT NULL GROUP BY thread_id HAVING SUM(estimated_bytes) > ?`;

/** The processes whose threadless rows are over a size limit, from `idx_logs_threadless_bytes`. */
export const OVER_LIMIT_PROCESSES_SQL = `SELECT process_uuid
  FROM logs INDEXED BY idx_logs_threadless_bytes
  WHERE thread_id IS NULL GROUP BY process_uuid HAVING SUM(estimated_bytes) > ?`;

/** One partition of the size limit: a thread; or the threadless rows of a process (or of none). */
export type Partition =
  { kind: 'thread'; threadId: string } | { kind: 'process'; processUuid: string | null };

/**
 * Deletes the rows stamped before `cutoff` (unix seconds), oldest index order first, a chunk per
 * step (via `idx_logs_ts`), then the drop records last seen before it. Yields the rows each step
 * deleted.
 */
export function* pruneByAgeSteps(
  db: Database.Database,
  cutoff: number,
  chunkRows: number = PRUNE_CHUNK_ROWS,
): Generator<number, void, void> {
  const chunk = db.prepare(
    'DELETE FROM logs WHERE id IN (SELECT id FROM logs WHERE ts < ? ORDER BY ts LIMIT ?)',
  );
  const deleteChunk = db.transaction(() => chunk.run(cutoff, chunkRows).changes);
  for (;;) {
    const deleted = deleteChunk.immediate();
    yield deleted;
    if (deleted < chunkRows) break;
  }
  db.prepare('DELETE FROM log_sink_drops WHERE last_dropped_at < ?').run(cutoff);
}

/**
 * Keeps each partition within `maxBytes` of `estimated_bytes`, newest rows first, as the
 * reference does: each thread is a partition; threadless rows form one partition per
 * `process_uuid`, plus one for those without a process; a single row larger than the limit goes
 * too. Partitions over the limit are found with one pass over the covering indexes
 * `idx_logs_thread_bytes` and `idx_logs_threadless_bytes` (never the table), outside the write
 * lock; each one's rows from its newest over-limit row down are then deleted a chunk per step.
 * Yields the rows each step deleted.
 */
export function* prunePartitionSteps(
  db: Database.Database,
  maxBytes: number,
  chunkRows: number = PRUNE_CHUNK_ROWS,
): Generator<number, void, void> {
  for (const partition of overLimitPartitions(db, maxBytes)) {
    const boundary = newestRowOverLimit(db, partition, maxBytes);
    if (boundary === undefined) continue; // pruned meanwhile by another process
    const sql = partitionSql(partition);
    const chunk = db.prepare(sql.deleteUpTo);
    const deleteChunk = db.transaction(() => chunk.run(...sql.params, boundary, chunkRows).changes);
    for (;;) {
      const deleted = deleteChunk.immediate();
      yield deleted;
      if (deleted < chunkRows) break;
    }
  }
}

/**
 * Records `now` (unix seconds) as the time of the last prune unless one was recorded less than
 * `minIntervalSeconds` before it, in one `BEGIN IMMEDIATE` transaction, so that of several
 * processes starting together only one prunes. Returns whether the caller should prune and the
 * time it replaced (for {@link releasePrune}). A recorded time in the future (a clock that moved
 * back) does not hold pruning off.
 */
export function claimPrune(
  db: Database.Database,
  now: number,
  minIntervalSeconds: number,
): { claimed: boolean; previous: number | null } {
  return db
    .transaction(() => {
      const last = db
        .prepare('SELECT last_pruned_at FROM log_prune_state WHERE id = 1')
        .pluck()
        .get() as number | undefined;
      if (last !== undefined && last <= now && now - last < minIntervalSeconds) {
        return { claimed: false, previous: last };
      }
      db.prepare(
        `INSERT INTO log_prune_state (id, last_pruned_at) VALUES (1, ?)
         ON CONFLICT(id) DO UPDATE SET last_pruned_at = excluded.last_pruned_at`,
      ).run(now);
      return { claimed: true, previous: last ?? null };
    })
    .immediate();
}

/**
 * Gives back a prune that stopped before it was done: the time it recorded (`claimedAt`) is
 * replaced by the one before (`previous`, or none), so the next process or interval goes on with
 * the rest instead of waiting a whole interval. Nothing changes when another prune has been
 * recorded since.
 */
export function releasePrune(
  db: Database.Database,
  claimedAt: number,
  previous: number | null,
): void {
  if (previous === null) {
    db.prepare('DELETE FROM log_prune_state WHERE id = 1 AND last_pruned_at = ?').run(claimedAt);
  } else {
    db.prepare(
      'UPDATE log_prune_state SET last_pruned_at = ? WHERE id = 1 AND last_pruned_at = ?',
    ).run(previous, claimedAt);
  }
}

function overLimitPartitions(db: Database.Database, maxBytes: number): Partition[] {
  const threads = db.prepare(OVER_LIMIT_THREADS_SQL).pluck().all(maxBytes) as string[];
  const processes = db.prepare(OVER_LIMIT_PROCESSES_SQL).pluck().all(maxBytes) as Array<
    string | null
  >;
  return [
    ...threads.map((threadId): Partition => ({ kind: 'thread', threadId })),
    ...processes.map((processUuid): Partition => ({ kind: 'process', processUuid })),
  ];
}

/** The id of the newest row whose newest-first running size exceeds `maxBytes`, if any. */
function newestRowOverLimit(
  db: Database.Database,
  partition: Partition,
  maxBytes: number,
): number | undefined {
  const sql = partitionSql(partition);
  const rows = db.prepare(sql.newestFirst).iterate(...sql.params) as IterableIterator<{
    id: number;
    bytes: number;
  }>;
  let running = 0;
  for (const row of rows) {
    running += row.bytes;
    if (running > maxBytes) return row.id; // leaving the loop closes the statement
  }
  return undefined;
}

/**
 * The statements of one partition, each served by its index: its rows newest first with their
 * size (`newestFirst`), and the deletion of a chunk of its oldest rows up to an id
 * (`deleteUpTo`, whose last two parameters are that id and the chunk size).
 */
export function partitionSql(partition: Partition): {
  newestFirst: string;
  deleteUpTo: string;
  params: unknown[];
} {
  // Without statistics the planner may prefer the thread index for `thread_id IS NULL`, which
  // reads every threadless row: name the index each partition's statements must use.
  const { from, where, params } = partitionFilter(partition);
  return {
    newestFirst: `SELECT id, estimated_bytes AS bytes FROM ${from} WHERE ${where} ORDER BY id DESC`,
    deleteUpTo: `DELETE FROM logs WHERE id IN (
      SELECT id FROM ${from} WHERE ${where} AND id <= ? ORDER BY id LIMIT ?)`,
    params,
  };
}

function partitionFilter(partition: Partition): {
  from: string;
  where: string;
  params: unknown[];
} {
  switch (partition.kind) {
    case 'thread':
      return {
        from: 'logs INDEXED BY idx_logs_thread_bytes',
        where: 'thread_id = ?',
        params: [partition.threadId],
      };
    case 'process':
      return {
        from: 'logs INDEXED BY idx_logs_threadless_bytes',
        where:
          partition.processUuid === null
            ? 'thread_id IS NULL AND process_uuid IS NULL'
            : 'thread_id IS NULL AND process_uuid = ?',
        params: partition.processUuid === null ? [] : [partition.processUuid],
      };
  }
}
