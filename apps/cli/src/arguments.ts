// Argument parsers shared by the commands' registrations: commander calls them with each option's
// value, and a value they refuse is a usage error (exit 2) naming the flag, in one line.

import { parseDurationArgument, parseTimeArgument } from '@agent-state/logs-client';
import { InvalidArgumentError, parseSourceKind, systemClock } from '@agent-state/state';
import { InvalidArgumentError as CommanderInvalidArgumentError } from 'commander';

import { collect } from './registration.js';

/**
 * `parse` as a commander argument parser: the `InvalidArgumentError` of a library (`invalid
 * <argument>: <problem>`) becomes commander's, so that commander names the flag and its value
 * (`option '--since <time>' argument 'x' is invalid. <problem>.`) and the CLI exits 2.
 */
export function optionArgument<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (error) {
      if (error instanceof InvalidArgumentError) {
        const problem = error.message.replace(/^invalid [^:]+:\s*/, '').replace(/\.$/, '');
        throw new CommanderInvalidArgumentError(`${problem}.`);
      }
      throw error;
    }
  };
}

/**
 * A parser of integer options from `min` to `max` (no upper bound without one): `--limit`,
 * `--at`, `--context`. Anything else (`2.5`, `ten`, `-1`) throws commander's
 * `InvalidArgumentError` (exit 2, naming the flag).
 *
 * @example
 * ```ts
 * command.option('--limit <n>', 'threads, 1 to 200', integerArgument({ min: 1, max: 200 }), 20);
 * ```
 */
export function integerArgument(range: {
  min: number;
  max?: number | undefined;
}): (value: string) => number {
  const { min, max } = range;
  const expected =
    max !== undefined
      ? `expected an integer from ${min} to ${max}.`
      : min === 1
        ? 'expected a positive integer.'
        : `expected an integer of ${min} or more.`;
  return (value) => {
    const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || (max !== undefined && parsed > max)) {
      throw new CommanderInvalidArgumentError(expected);
    }
    return parsed;
  };
}

/**
 * Collects a repeatable `--source`: each value is one of Codex's source kinds (`exec`,
 * `subagent` for every sub-agent, `subAgentReview`, `sub-agent-thread-spawn`, …), kept in
 * Codex's spelling. Throws commander's `InvalidArgumentError` (exit 2, naming the flag and the
 * kinds) otherwise.
 */
export function collectSourceKind(value: string, previous: string[] | undefined): string[] {
  return collect(optionArgument(parseSourceKind)(value), previous);
}

/**
 * A parser of time options (`--since`, `--until`) to unix milliseconds, with the syntax of
 * `agent-state logs`: a relative time counted back from now (`30s`, `10m`, `2h`, `1d`, `1w`),
 * `now`, RFC 3339 (`2026-11-21T06:12:04Z`) or unix seconds. Anything else throws commander's
 * `InvalidArgumentError` (exit 2, naming the flag).
 *
 * @example
 * ```ts
 * command.option('--since <time>', 'only what was written since <time>', timeArgument('--since'));
 * ```
 */
export function timeArgument(flag: string): (value: string) => number {
  return optionArgument((value) => parseTimeArgument(value, { flag, clock: systemClock }) * 1000);
}

/**
 * A parser of duration options (`--compress-after 7d`) to milliseconds, with the units of
 * `agent-state logs --since` (`30s`, `10m`, `2h`, `1d`, `1w`, `1h30m`). Anything else throws
 * commander's `InvalidArgumentError` (exit 2, naming the flag).
 *
 * @example
 * ```ts
 * command.option('--compress-after <age>', 'idle time before compressing', durationArgument('--compress-after'));
 * ```
 */
export function durationArgument(flag: string): (value: string) => number {
  return optionArgument((value) => parseDurationArgument(value, { flag }) * 1000);
}
