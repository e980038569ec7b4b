// Test helpers: run `agent-state` in-process on real Codex homes. Not part of the public API.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  type CodexFixtureVersion,
  type TempDirs,
  codexFixtureDir,
  copyCodexHome,
} from '@agent-state/test-utils';

import { type CapturedIo, captureIo } from './capture-io.js';
import { main } from './program.js';

/** What one in-process run printed and returned. */
export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs `agent-state <args…>` in-process with captured streams. */
export async function runCli(
  args: readonly string[],
  io: CapturedIo = captureIo(),
): Promise<CliRun> {
  const exitCode = await main(['node', 'agent-state', ...args], io);
  return { exitCode, stdout: io.stdout.text(), stderr: io.stderr.text() };
}

/** Runs `agent-state <args…>` and parses its stdout as the one JSON document it must be. */
export async function runCliJson<T>(
  args: readonly string[],
  io: CapturedIo = captureIo(),
): Promise<CliRun & { json: T }> {
  const result = await runCli(args, io);
  return { ...result, json: JSON.parse(result.stdout) as T };
}

/** A fresh copy of a real Codex home (mtimes restored). */
export function codexHome(temp: TempDirs, version: CodexFixtureVersion = 'v0.100.0'): string {
  return copyCodexHome(version, temp.make(`codex-${version}`));
}

/** A fresh copy of a real Codex home, backfilled by `agent-state backfill`. */
export async function backfilledHome(
  temp: TempDirs,
  version: CodexFixtureVersion = 'v0.100.0',
): Promise<string> {
  const home = codexHome(temp, version);
  const { exitCode, stderr } = await runCli(['--home', home, 'backfill', '--json']);
  if (exitCode !== 0) throw new Error(`backfill of ${home} exited ${exitCode}: ${stderr}`);
  return home;
}

/**
 * The flags of `memories run` against the mock model server at `baseUrl` with every fixture
 * thread eligible: no idle time, any age (the fixtures' threads are from 2026-11 and 2026-12,
 * eligible whatever today's date), and the sources they came from (`exec`, `vscode`).
 */
export function mockMemoriesRunFlags(baseUrl: string): string[] {
  return [
    '--base-url',
    baseUrl,
    '--model',
    'mock',
    '--min-idle-hours',
    '0',
    '--max-age-days',
    '36500',
    '--source',
    'exec',
    '--source',
    'vscode',
  ];
}

/** One thread of Codex's own `thread/list` answer for a fixture home. */
export interface CodexListedThread {
  id: string;
  source: string;
  cwd: string;
  path: string;
  preview: string;
}

/**
 * Codex's own `thread/list` answers for a fixture home: from its database (`db`) or, 0.100.0
 * only, by file traversal before it had one (`files`).
 */
export function codexThreadList(
  version: CodexFixtureVersion,
  kind: 'db' | 'files' = 'db',
): { active: CodexListedThread[]; archived: CodexListedThread[] } {
  const file = kind === 'db' ? 'thread-list.json' : 'thread-list.files.json';
  return JSON.parse(readFileSync(join(codexFixtureDir(version), file), 'utf8')) as {
    active: CodexListedThread[];
    archived: CodexListedThread[];
  };
}
