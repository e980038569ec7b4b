import { closeSync, openSync, readSync } from 'node:fs';

const MAGIC = 'SQLite format 3\0';
const HEADER_SIZE = 100;

/** What the first 100 bytes of a file say about it, read without SQLite and without writing. */
export type SqliteHeader =
  | { kind: 'missing' }
  | { kind: 'empty' }
  | { kind: 'not-sqlite'; size: number }
  | { kind: 'sqlite'; applicationId: number; userVersion: number; pageSize: number };

/**
 * Reads a SQLite file's header: whether it is a database, its `application_id` and
 * `user_version`. Only reads; never creates `-wal`/`-shm` files, so it is safe on files of other
 * programs (e.g. Codex's `state_5.sqlite`).
 */
export function readSqliteHeader(path: string): SqliteHeader {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw error;
  }
  try {
    const buffer = Buffer.alloc(HEADER_SIZE);
    const size = readSync(fd, buffer, 0, HEADER_SIZE, 0);
    if (size === 0) return { kind: 'empty' };
    if (size < HEADER_SIZE || buffer.toString('latin1', 0, MAGIC.length) !== MAGIC) {
      return { kind: 'not-sqlite', size };
    }
    const rawPageSize = buffer.readUInt16BE(16);
    return {
      kind: 'sqlite',
      pageSize: rawPageSize === 1 ? 65536 : rawPageSize,
      userVersion: buffer.readInt32BE(60),
      applicationId: buffer.readInt32BE(68),
    };
  } finally {
    closeSync(fd);
  }
}
