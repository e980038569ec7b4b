// Test helpers: copies of the real Codex log databases, in-process runs of logs_client, and
// bounded waits. Not part of the public API.

import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { type Clock, systemClock } from '@agent-state/state';
import {
  type CodexFixtureVersion,
  type TempDirs,
  codexLogsFixtureDir,
} from '@agent-state/test-utils';

import type { JsonLogRow } from '../format.js';
import type { OutputStream } from '../io.js';
import { runLogsClient } from '../main.js';

/**
 * The log database file of each fixture version. The lived-in compressed home has no log fixture
 * of its own (`fixtures/codex-logs/` has none): it would be 0.169.0's file name.
 */
export const FIXTURE_DB: Readonly<Record<CodexFixtureVersion, string>> = {
  'v0.100.0': 'state_5.sqlite',
  'v0.169.0': 'logs_2.sqlite',
  'v0.169.0-compressed': 'logs_2.sqlite',
};

/** `expected.json` of a Codex log fixture (the fields the tests use). */
export interface ExpectedLogs {
  total: number;
  min_id: number;
  max_id: number;
  min_ts: number;
  max_ts: number;
  by_level: Record<string, number>;
  threaded: number;
  threadless: number;
  by_level_threaded: Record<string, { threaded: number; threadless: number }>;
  thread_ids: string[];
  processes: Array<{
    process_uuid: string;
    rows: number;
    threaded: number;
    min_id: number;
    max_id: number;
    min_ts: number;
    max_ts: number;
  }> | null;
  empty_message_rows?: number;
}

/** The original (read-only) fixture database of `version`. */
export function originalFixtureDb(version: CodexFixtureVersion): string {
  return join(codexLogsFixtureDir(version), FIXTURE_DB[version]);
}

/** What the fixture's `expected.json` says. */
export function expectedLogs(version: CodexFixtureVersion): ExpectedLogs {
  return JSON.parse(
    readFileSync(join(codexLogsFixtureDir(version), 'expected.json'), 'utf8'),
  ) as ExpectedLogs;
}

/** Copies the fixture database of `version` into a fresh directory (a fake Codex home). */
export function copyFixtureDb(
  temp: TempDirs,
  version: CodexFixtureVersion,
): { home: string; path: string } {
  const home = temp.make(`codex-logs-${version}`);
  const path = join(home, FIXTURE_DB[version]);
  copyFileSync(originalFixtureDb(version), path);
  return { home, path };
}

/** SHA-256 of a file's bytes. */
export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Every file of a directory with its hash, to show that nothing was written or created. */
export function snapshotDir(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((name) => [name, sha256(join(dir, name))]),
  );
}

/** A stream that keeps what it is given. */
export interface CapturedStream extends OutputStream {
  text(): string;
}

/** An in-memory stream, a terminal or not. */
export function capture(options: { tty?: boolean } = {}): CapturedStream {
  const chunks: string[] = [];
  return {
    isTTY: options.tty ?? false,
    write(chunk: string) {
      chunks.push(chunk);
      return true;
    },
    text: () => chunks.join(''),
  };
}

/** What one in-process run printed and returned. */
export interface ClientRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs `logs_client <args…>` in-process with captured streams and an empty environment. */
export async function runClient(
  args: readonly string[],
  options: {
    env?: Record<string, string | undefined>;
    tty?: boolean;
    clock?: Clock;
    signal?: AbortSignal;
    cwd?: string;
  } = {},
): Promise<ClientRun> {
  const stdout = capture({ tty: options.tty ?? false });
  const stderr = capture();
  const exitCode = await runLogsClient(args, {
    stdout,
    stderr,
    env: options.env ?? {},
    clock: options.clock ?? systemClock,
    signal: options.signal,
    cwd: options.cwd,
  });
  return { exitCode, stdout: stdout.text(), stderr: stderr.text() };
}

/** The rows of a `--json` run. */
export function jsonRows(stdout: string): JsonLogRow[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as JsonLogRow);
}

/** Runs `--json --no-follow --backfill all <args…>` on `db` and returns its rows (exit 0 asserted). */
export async function allRows(db: string, args: readonly string[] = []): Promise<JsonLogRow[]> {
  const run = await runClient(['--db', db, '--json', '--no-follow', '--backfill', 'all', ...args]);
  if (run.exitCode !== 0 || run.stderr !== '') {
    throw new Error(`logs_client ${args.join(' ')} exited ${run.exitCode}: ${run.stderr}`);
  }
  return jsonRows(run.stdout);
}

/**
 * Polls `condition` every 10 ms until it holds, failing after `timeoutMs` with `what` (no blind
 * sleeps: the wait ends as soon as the condition holds). The default leaves room for a child
 * process to start on a loaded machine (a CI runner running every package's tests at once).
 */
export async function waitFor(
  what: string,
  condition: () => boolean,
  timeoutMs = 40_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
