import type Database from 'better-sqlite3';

import type { SqliteDerivedIndex } from '../indexing/sqlite-derived-index.js';
import { identifierParts } from './identifier-parts.js';
import { type SearchDocument, checkedSearchDocument, roleOfKind } from './search-document.js';

/**
 * The name of the search index: the key of its records in `IndexedThread.derived`.
 *
 * @example
 * ```ts
 * await store.index.write([{ metadata, derived: { [SEARCH_INDEX_NAME]: documents } }]);
 * ```
 */
export const SEARCH_INDEX_NAME = 'search';

interface Statements {
  existing: Database.Statement<[string], StoredRow>;
  deleteFrom: Database.Statement<[string, number]>;
  insert: Database.Statement<unknown[]>;
  index: Database.Statement<[number | bigint, string, string]>;
  cover: Database.Statement<[string, number, number]>;
}

interface StoredRow {
  id: number;
  kind: string;
  turn_id: string | null;
  time_ms: number;
  line: number;
  ordinal: number | null;
  text: string;
}

const statementsByConnection = new WeakMap<Database.Database, Statements>();

function statementsOf(connection: Database.Database): Statements {
  let statements = statementsByConnection.get(connection);
  if (!statements) {
    statements = {
      existing: connection.prepare(
        'SELECT id, kind, turn_id, time_ms, line, ordinal, text FROM search_documents WHERE thread_id = ? ORDER BY id',
      ),
      deleteFrom: connection.prepare(
        'DELETE FROM search_documents WHERE thread_id = ? AND id >= ?',
      ),
      insert: connection.prepare(
        `INSERT INTO search_documents (thread_id, kind, role, turn_id, time_ms, line, ordinal, text, parts)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      index: connection.prepare('INSERT INTO search_fts (rowid, text, parts) VALUES (?, ?, ?)'),
      cover: connection.prepare(
        `INSERT INTO search_threads (thread_id, documents, indexed_at) VALUES (?, ?, ?)
         ON CONFLICT (thread_id) DO UPDATE SET documents = excluded.documents, indexed_at = excluded.indexed_at`,
      ),
    };
    statementsByConnection.set(connection, statements);
  }
  return statements;
}

function sameDocument(row: StoredRow, doc: SearchDocument): boolean {
  return (
    row.line === doc.line &&
    row.kind === doc.kind &&
    row.time_ms === doc.timeMs &&
    row.ordinal === doc.ordinal &&
    row.turn_id === doc.turnId &&
    row.text === doc.text
  );
}

/**
 * The SQLite store's writer of search documents. A thread's new documents replace its old ones;
 * those it already holds unchanged at the start (a rollout that only grew) are kept, so that
 * appending a turn re-indexes only the new documents' words.
 */
export const SQLITE_SEARCH_INDEX: SqliteDerivedIndex = {
  name: SEARCH_INDEX_NAME,
  replace(connection, threadId, records, nowMs) {
    const docs = records.map((record, index) => checkedSearchDocument(record, threadId, index));
    const statements = statementsOf(connection);
    const existing = statements.existing.all(threadId);
    let kept = 0;
    while (
      kept < existing.length &&
      kept < docs.length &&
      sameDocument(existing[kept]!, docs[kept]!)
    ) {
      kept += 1;
    }
    if (kept < existing.length) statements.deleteFrom.run(threadId, existing[kept]!.id);
    for (const doc of docs.slice(kept)) {
      const parts = identifierParts(doc.text);
      const { lastInsertRowid } = statements.insert.run(
        threadId,
        doc.kind,
        roleOfKind(doc.kind),
        doc.turnId,
        Math.round(doc.timeMs),
        doc.line,
        doc.ordinal,
        doc.text,
        parts,
      );
      statements.index.run(lastInsertRowid, doc.text, parts);
    }
    statements.cover.run(threadId, docs.length, Math.floor(nowMs / 1000));
  },
};
