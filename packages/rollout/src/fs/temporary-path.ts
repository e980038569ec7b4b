import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/**
 * A fresh temporary path beside `finalPath`, for a file written in full before it is published
 * under `finalPath`: `.<final name>.<12 hex>.tmp`, the name every writer of this project gives its
 * temporary files (hidden, and never named like a rollout, so no listing picks it up).
 *
 * @example
 * ```ts
 * temporaryPathFor('/h/sessions/2026/11/21/rollout-….jsonl');
 * // '/h/sessions/2026/11/21/.rollout-….jsonl.3f9c0a51d2e7.tmp'
 * ```
 */
export function temporaryPathFor(finalPath: string): string {
  return join(dirname(finalPath), `.${basename(finalPath)}.${randomBytes(6).toString('hex')}.tmp`);
}
