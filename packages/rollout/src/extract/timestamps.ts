const FILE_NAME_TS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})$/;

/**
 * Parses a rollout timestamp to whole unix seconds: RFC 3339 (`2026-11-21T05:44:05.123Z`) or the
 * file-name form `2026-11-21T05-44-05` (taken as UTC, as Codex does). `undefined` when neither.
 *
 * @example
 * ```ts
 * parseRolloutTimestamp('2026-11-21T05-44-05'); // 1795239845
 * ```
 */
export function parseRolloutTimestamp(value: string): number | undefined {
  const fileForm = FILE_NAME_TS.exec(value);
  if (fileForm) {
    const [, y, mo, d, h, mi, s] = fileForm.map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const ms = Date.UTC(y, mo - 1, d, h, mi, s);
    const check = new Date(ms);
    if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
      return undefined;
    }
    return Math.floor(ms / 1000);
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(value))
    return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/**
 * Formats unix seconds as RFC 3339 with whole seconds (`2026-11-21T05:44:05Z`), the form of
 * listing cursors and DB timestamps.
 *
 * @example
 * ```ts
 * formatRfc3339Seconds(1795239845); // '2026-11-21T05:44:05Z'
 * ```
 */
export function formatRfc3339Seconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Formats a time as a rollout line timestamp: UTC with exactly three fraction digits and `Z`.
 *
 * @example
 * ```ts
 * formatLineTimestamp(new Date(0)); // '1970-01-01T00:00:00.000Z'
 * ```
 */
export function formatLineTimestamp(date: Date): string {
  return date.toISOString();
}
