import { storableText } from '../connection/storable-text.js';
import { createHash } from 'node:crypto';

import { SEARCH_INDEX_NAME, type SearchDocument, roleOfKind } from '@agent-state/state';
import { checkedSearchDocument, identifierParts } from '@agent-state/state/backend';
import { type Transaction, sql } from 'kysely';

import { binaryArray } from '../indexing/postgres-binary-arrays.js';
import type { PostgresDerivedIndex } from '../indexing/postgres-derived-index.js';
import type { PostgresDatabase } from '../schema/postgres-schema.js';
import { INDEXED_CHARS, TsvectorArrayBuilder } from './postgres-full-text.js';

/**
 * Characters of text one INSERT carries (with its tsvectors, about twice as many bytes). The
 * next statement's tsvectors are built here while the server writes the last one, so statements
 * are kept small enough for the two to overlap most of the time (a batch is many statements),
 * and large enough that a round trip is nothing next to a statement's work (some 50 ms).
 */
const CHARS_PER_STATEMENT = 500_000;
/** Most documents one INSERT carries. */
const ROWS_PER_STATEMENT = 2_000;
/** Most threads whose stored documents one statement reads back. */
const THREADS_PER_READ = 5_000;

/** A document as stored: its text without NUL, its role. */
interface StoredDocument extends SearchDocument {
  role: string;
}

/** What the store holds of a thread's documents, in order, to compare with the new ones. */
interface ExistingRow {
  thread_id: string;
  id: number;
  kind: string;
  turn_id: string | null;
  time_ms: number;
  line: number;
  ordinal: number | null;
  digest: Buffer;
}

/**
 * The PostgreSQL store's writer of search documents, for a whole batch of threads at once. Each
 * thread's new documents replace its old ones; those it already holds unchanged at the start (a
 * rollout that only grew, as the recorder and `watch` write it after every turn) are kept, as the
 * SQLite writer keeps them: a turn appended to a long thread then costs the words of the new
 * documents only, and the kept documents keep their ids, which order "the newest matches" that
 * a search ranks first. Comparing costs one read of the batch's stored documents (their fields and
 * a SHA-256 of their text, computed by the server), nothing for threads the store does not hold
 * yet. New documents go in, in order (their ids grow in the order given), with `INSERT … SELECT
 * FROM unnest(…)` statements of binary arrays, each with its documents' tsvectors built here (see
 * `postgres-full-text.ts`), pipelined: the server writes one while the next is built.
 *
 * @example
 * ```ts
 * await POSTGRES_SEARCH_INDEX.replace(trx, homeId, [{ threadId, records: documents }], Date.now());
 * ```
 */
export const POSTGRES_SEARCH_INDEX: PostgresDerivedIndex = {
  name: SEARCH_INDEX_NAME,
  async replace(trx, homeId, threads, nowMs) {
    if (threads.length === 0) return;
    // Every record is checked before anything is written.
    const batch = new Map<string, StoredDocument[]>();
    for (const { threadId, records } of threads) {
      batch.set(
        threadId,
        records.map((record, index) => stored(checkedSearchDocument(record, threadId, index))),
      );
    }
    const { stale, kept } = await compareWithStored(trx, homeId, batch);
    if (stale.length > 0) {
      await sql`DELETE FROM search_documents
        WHERE home_id = ${homeId} AND id = ANY(${stale}::bigint[])`.execute(trx);
    }
    // The server writes one statement while the next one's tsvectors are built.
    let pending: Promise<void> | undefined;
    const send = async (chunk: Array<{ threadId: string; doc: StoredDocument }>) => {
      const rows = insertion(chunk);
      if (pending) await pending;
      pending = insertDocuments(trx, homeId, rows);
      // Awaited before the next statement or after the last: never left unhandled.
      pending.catch(() => undefined);
    };
    let chunk: Array<{ threadId: string; doc: StoredDocument }> = [];
    let chars = 0;
    for (const [threadId, docs] of batch) {
      for (const doc of docs.slice(kept.get(threadId) ?? 0)) {
        chunk.push({ threadId, doc });
        chars += Math.min(doc.text.length, INDEXED_CHARS);
        if (chunk.length >= ROWS_PER_STATEMENT || chars >= CHARS_PER_STATEMENT) {
          await send(chunk);
          chunk = [];
          chars = 0;
        }
      }
    }
    if (chunk.length > 0) await send(chunk);
    if (pending) await pending;
    const ids = [...batch.keys()];
    await sql`
      INSERT INTO search_threads (home_id, thread_id, documents, indexed_at)
      SELECT ${homeId}::text, c.thread_id, c.documents, ${Math.floor(nowMs / 1000)}::bigint
      FROM unnest(${ids}::text[], ${ids.map((id) => batch.get(id)!.length)}::integer[])
        AS c(thread_id, documents)
      ON CONFLICT (home_id, thread_id)
        DO UPDATE SET documents = excluded.documents, indexed_at = excluded.indexed_at`.execute(
      trx,
    );
  },
};

/** A checked document as stored. PostgreSQL's text holds no NUL: one becomes U+FFFD. */
function stored(doc: SearchDocument): StoredDocument {
  return {
    ...doc,
    text: storableText(doc.text),
    turnId: storableText(doc.turnId),
    timeMs: Math.round(doc.timeMs),
    role: roleOfKind(doc.kind),
  };
}

/**
 * For each thread of the batch, how many of its new documents the store already holds unchanged
 * at the start (`kept`), and the ids of the stored documents after those (`stale`).
 */
async function compareWithStored(
  trx: Transaction<PostgresDatabase>,
  homeId: string,
  batch: ReadonlyMap<string, readonly StoredDocument[]>,
): Promise<{ stale: number[]; kept: Map<string, number> }> {
  const stale: number[] = [];
  const kept = new Map<string, number>();
  const ids = [...batch.keys()];
  for (let start = 0; start < ids.length; start += THREADS_PER_READ) {
    const { rows } = await sql<ExistingRow>`
      SELECT thread_id, id, kind, turn_id, time_ms, line, ordinal,
        sha256(convert_to(text, 'UTF8')) AS digest
      FROM search_documents
      WHERE home_id = ${homeId} AND thread_id = ANY(${ids.slice(start, start + THREADS_PER_READ)}::text[])
      ORDER BY thread_id, id`.execute(trx);
    let at = 0;
    while (at < rows.length) {
      const threadId = rows[at]!.thread_id;
      let end = at;
      while (end < rows.length && rows[end]!.thread_id === threadId) end += 1;
      const existing = rows.slice(at, end);
      const docs = batch.get(threadId) ?? [];
      let same = 0;
      while (
        same < existing.length &&
        same < docs.length &&
        unchanged(existing[same]!, docs[same]!)
      ) {
        same += 1;
      }
      kept.set(threadId, same);
      for (const row of existing.slice(same)) stale.push(Number(row.id));
      at = end;
    }
  }
  return { stale, kept };
}

function unchanged(row: ExistingRow, doc: StoredDocument): boolean {
  return (
    row.line === doc.line &&
    row.kind === doc.kind &&
    Number(row.time_ms) === doc.timeMs &&
    row.ordinal === doc.ordinal &&
    row.turn_id === doc.turnId &&
    row.digest.equals(createHash('sha256').update(doc.text, 'utf8').digest())
  );
}

/** The columns of an INSERT of documents, one array each. */
interface Insertion {
  threadIds: string[];
  kinds: string[];
  roles: string[];
  turnIds: Array<string | null>;
  timesMs: number[];
  lines: number[];
  ordinals: Array<number | null>;
  texts: string[];
  parts: string[];
  /** The documents' tsvectors, as a binary `tsvector[]`. */
  vectors: Buffer;
}

/** The arrays of an INSERT of `chunk`, with each document's tsvector. */
function insertion(chunk: ReadonlyArray<{ threadId: string; doc: StoredDocument }>): Insertion {
  const rows: Omit<Insertion, 'vectors'> = {
    threadIds: [],
    kinds: [],
    roles: [],
    turnIds: [],
    timesMs: [],
    lines: [],
    ordinals: [],
    texts: [],
    parts: [],
  };
  let chars = 0;
  for (const { doc } of chunk) chars += Math.min(doc.text.length, INDEXED_CHARS);
  const vectors = new TsvectorArrayBuilder(chunk.length, chars);
  for (const { threadId, doc } of chunk) {
    rows.threadIds.push(threadId);
    rows.kinds.push(doc.kind);
    rows.roles.push(doc.role);
    rows.turnIds.push(doc.turnId);
    rows.timesMs.push(doc.timeMs);
    rows.lines.push(doc.line);
    rows.ordinals.push(doc.ordinal);
    // Computed only for the documents written: those kept have theirs.
    const parts = identifierParts(doc.text);
    rows.texts.push(doc.text);
    rows.parts.push(parts);
    vectors.add(doc.text, parts);
  }
  return { ...rows, vectors: vectors.finish() };
}

/**
 * Inserts documents in one statement: one binary array per column (see
 * `postgres-binary-arrays.ts`), `unnest`ed into rows.
 */
async function insertDocuments(
  trx: Transaction<PostgresDatabase>,
  homeId: string,
  rows: Insertion,
): Promise<void> {
  await sql`
    INSERT INTO search_documents
      (home_id, thread_id, kind, role, turn_id, time_ms, line, ordinal, text, parts, words)
    SELECT ${homeId}::text, d.*
    FROM unnest(
      ${binaryArray('text', rows.threadIds)}::text[], ${binaryArray('text', rows.kinds)}::text[],
      ${binaryArray('text', rows.roles)}::text[], ${binaryArray('text', rows.turnIds)}::text[],
      ${binaryArray('int8', rows.timesMs)}::bigint[], ${binaryArray('int4', rows.lines)}::integer[],
      ${binaryArray('int4', rows.ordinals)}::integer[], ${binaryArray('text', rows.texts)}::text[],
      ${binaryArray('text', rows.parts)}::text[], ${rows.vectors}::tsvector[]
    ) AS d`.execute(trx);
}
