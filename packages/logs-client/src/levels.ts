import { InvalidArgumentError, LOG_LEVEL_NAMES } from '@agent-state/state';

/** A level name as stored: `TRACE`, `DEBUG`, `INFO`, `WARN` or `ERROR`. */
type LevelName = (typeof LOG_LEVEL_NAMES)[number];

/**
 * Parses `--level` values into the levels to match, in severity order. Each value is a level name,
 * case-insensitive (`warn`), or a level followed by `+` for that level and the more severe ones
 * (`warn+` = WARN and ERROR); several may be given, repeated or comma-separated, and are OR-ed.
 * No values means no level filter (`[]`). An unknown name throws an `InvalidArgumentError` naming
 * `flag`.
 *
 * @example
 * ```ts
 * parseLevelFilter(['warn+']); // ['WARN', 'ERROR']
 * parseLevelFilter(['debug,error']); // ['DEBUG', 'ERROR']
 * parseLevelFilter(['fatal']); // throws: invalid --level: expected trace, debug, info, warn or error …
 * ```
 */
export function parseLevelFilter(values: readonly string[], flag = '--level'): string[] {
  const chosen = new Set<LevelName>();
  for (const value of values) {
    for (const part of value.split(',')) {
      const text = part.trim();
      const andAbove = text.endsWith('+');
      const name = (andAbove ? text.slice(0, -1) : text).trim().toUpperCase();
      const index = LOG_LEVEL_NAMES.indexOf(name as LevelName);
      if (index < 0) {
        throw new InvalidArgumentError(
          flag,
          `expected trace, debug, info, warn or error, optionally followed by + for that level and above (warn+), got ${JSON.stringify(part)}`,
        );
      }
      for (const level of andAbove
        ? LOG_LEVEL_NAMES.slice(index)
        : LOG_LEVEL_NAMES.slice(index, index + 1)) {
        chosen.add(level);
      }
    }
  }
  return LOG_LEVEL_NAMES.filter((level) => chosen.has(level));
}
