// Child process of the follow tests: inserts log rows into a database while a tail reads it, as
// Codex (or an agent-state process) would. Arguments (JSON): the database or home, and batches of
// rows; after each batch it reports `{ inserted: n }` and waits for `next` before the following one.

import { openLogsStore } from '@agent-state/state';
import Database from 'better-sqlite3';

/** One row to insert. */
export interface InsertedRow {
  level: string;
  message: string;
  threadId: string | null;
}

/** Arguments of the script. */
export type InsertLogsArgs =
  | { kind: 'codex'; path: string; batches: InsertedRow[][]; wal?: boolean }
  | { kind: 'store'; home: string; batches: InsertedRow[][] };

/** Messages of the script to its parent. */
export type InsertLogsMessage = { inserted: number };

const args = JSON.parse(process.argv[2] ?? 'null') as InsertLogsArgs;

function nextSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('message', () => resolve());
  });
}

function send(message: InsertLogsMessage): Promise<void> {
  return new Promise((resolve) => process.send?.(message, undefined, undefined, () => resolve()));
}

const now = (): { ts: number; tsNanos: number } => {
  const ms = Date.now();
  return { ts: Math.floor(ms / 1000), tsNanos: (ms % 1000) * 1e6 };
};

let insert: (rows: InsertedRow[]) => void;
let close: () => void;
if (args.kind === 'codex') {
  const db = new Database(args.path, { timeout: 5000 });
  if (args.wal === true) db.pragma('journal_mode = WAL');
  const columns = new Set(
    (db.prepare("SELECT name FROM pragma_table_info('logs')").pluck().all() as string[]).map(
      String,
    ),
  );
  const messageColumn = columns.has('message') ? 'message' : 'feedback_log_body';
  const processColumn = columns.has('process_uuid') ? ', process_uuid' : '';
  const statement = db.prepare(
    `INSERT INTO logs (ts, ts_nanos, level, target, ${messageColumn}, module_path, file, line, thread_id${processColumn})
     VALUES (?, ?, ?, 'logs_client_test', ?, 'logs_client_test::child', 'test/child.rs', 1, ?${processColumn ? ', ?' : ''})`,
  );
  const processUuid = `pid:${process.pid}:00000000-0000-4000-8000-000000000000`;
  insert = db.transaction((rows: InsertedRow[]) => {
    for (const row of rows) {
      const { ts, tsNanos } = now();
      const values: unknown[] = [ts, tsNanos, row.level, row.message, row.threadId];
      if (processColumn) values.push(processUuid);
      statement.run(...values);
    }
  });
  close = () => db.close();
} else {
  const store = await openLogsStore({ home: args.home });
  insert = (rows) =>
    store.insert(
      rows.map((row) => ({
        ...now(),
        level: row.level,
        target: 'logs_client_test',
        message: row.message,
        modulePath: 'logs_client_test::child',
        file: 'test/child.ts',
        line: 1,
        threadId: row.threadId,
        processUuid: `pid:${process.pid}:00000000-0000-4000-8000-000000000000`,
      })),
    );
  close = () => store.close();
}

for (const [index, batch] of args.batches.entries()) {
  if (index > 0) await nextSignal();
  insert(batch);
  await send({ inserted: batch.length });
}
close();
process.disconnect?.();
