import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { runBackfill } from '@agent-state/rollout';
import {
  type LogEntry,
  type ThreadAnchor,
  isAgentStateError,
  logsDbPath,
  openLogsStore,
  openStateStore,
  stateDbPath,
} from '@agent-state/state';
import { type CodexFixtureVersion, copyCodexHome, repoRoot } from '@agent-state/test-utils';
import { expect } from 'vitest';

/** A fixture home after a backfill, with its pristine database bytes and thread ids. */
export interface PreparedHome {
  home: string;
  statePath: string;
  logsPath: string;
  stateBytes: Buffer;
  logsBytes: Buffer;
  threadIds: string[];
  /** `threads.count()` after the backfill (listing hides threads without a user message). */
  threadCount: number;
}

/** Fixed log rows, so the logs database spans several pages. */
export function logRows(count: number, start = 0): LogEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    ts: 1_795_241_524 + start + i,
    tsNanos: 0,
    level: 'INFO',
    target: 'reliability::hostile',
    message: `row ${start + i} ${'x'.repeat(120)}`,
    modulePath: null,
    file: null,
    line: null,
    threadId: null,
    processUuid: 'hostile-stores',
  }));
}

/** Copies a fixture home, backfills it and fills its logs database; both databases are closed. */
export async function prepareHome(
  version: CodexFixtureVersion,
  home: string,
): Promise<PreparedHome> {
  copyCodexHome(version, home);
  const store = await openStateStore({ home });
  let threadCount: number;
  try {
    const result = await runBackfill({ store, workers: 0 });
    expect(result.outcome).toBe('complete');
    threadCount = await store.threads.count();
  } finally {
    await store.close();
  }
  const logs = await openLogsStore({ home });
  logs.insert(logRows(400));
  logs.close();
  const statePath = stateDbPath(home);
  const logsPath = logsDbPath(home);
  return {
    home,
    statePath,
    logsPath,
    stateBytes: readFileSync(statePath),
    logsBytes: readFileSync(logsPath),
    threadIds: await storedThreadIds(home),
    threadCount,
  };
}

/** The ids of every thread in the store of `home`, sorted. */
export async function storedThreadIds(home: string): Promise<string[]> {
  const store = await openStateStore({ home });
  try {
    const ids: string[] = [];
    for (const archived of [false, true]) {
      let anchor: ThreadAnchor | null = null;
      for (;;) {
        const page = await store.threads.list({ pageSize: 100, archived, anchor });
        ids.push(...page.items.map((t) => t.id));
        if (!page.nextAnchor) break;
        anchor = page.nextAnchor;
      }
    }
    return ids.sort();
  } finally {
    await store.close();
  }
}

/** sha256 and mtime of every rollout file and of `session_index.jsonl`. */
export function snapshotRollouts(home: string): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (path: string): void => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const name of readdirSync(path)) visit(join(path, name));
      return;
    }
    const sha = createHash('sha256').update(readFileSync(path)).digest('hex');
    out.set(relative(home, path), `${sha} ${stat.mtimeMs} ${stat.size}`);
  };
  visit(join(home, 'sessions'));
  visit(join(home, 'archived_sessions'));
  visit(join(home, 'session_index.jsonl'));
  return out;
}

/** Asserts the rollouts are byte- and mtime-identical to `before`; returns the checks made. */
export function expectRolloutsUntouched(home: string, before: Map<string, string>): number {
  const after = snapshotRollouts(home);
  expect(after.size).toBeGreaterThan(0);
  expect(Object.fromEntries(after)).toEqual(Object.fromEntries(before));
  return after.size;
}

/**
 * The documented recovery: remove agent-state's own state database (and its companions), then
 * re-run the backfill; returns the thread ids the rebuilt store holds.
 */
export async function rebuildFromRollouts(home: string): Promise<string[]> {
  const path = stateDbPath(home);
  for (const suffix of ['', '-wal', '-shm', '-journal'])
    rmSync(`${path}${suffix}`, { force: true });
  const store = await openStateStore({ home });
  try {
    const result = await runBackfill({ store, workers: 0 });
    expect(result.outcome).toBe('complete');
  } finally {
    await store.close();
  }
  return storedThreadIds(home);
}

/** Asserts `error` is a typed agent-state error with one of `codes`, naming `path`. */
export function expectTypedStoreError(
  error: unknown,
  codes: readonly string[],
  path: string,
): void {
  expect(isAgentStateError(error), String(error)).toBe(true);
  const typed = error as { code: string; path?: string; message: string };
  expect(codes).toContain(typed.code);
  expect(typed.message).toContain(path);
  if (typed.path !== undefined) expect(typed.path).toBe(path);
}

/** Overwrites `length` bytes at `offset` of a copy of `bytes` with seeded garbage. */
export function withGarbage(
  bytes: Buffer,
  offset: number,
  length: number,
  random: () => number,
): Buffer {
  const copy = Buffer.from(bytes);
  for (let i = offset; i < Math.min(offset + length, copy.length); i += 1) {
    copy[i] = Math.floor(random() * 256);
  }
  return copy;
}

const require = createRequire(import.meta.url);

/** The tsx loader (resolved from test-utils, which depends on it) for TypeScript children. */
export const TSX_LOADER = pathToFileURL(
  createRequire(require.resolve('@agent-state/test-utils')).resolve('tsx'),
).href;

/** The built CLI. */
export const CLI_BIN = join(repoRoot(), 'apps', 'cli', 'dist', 'bin.js');

/** Absolute path of a file of this folder. */
export function here(name: string): string {
  return fileURLToPath(new URL(name, import.meta.url));
}

/** Runs the CLI on `home` and returns its exit code and output. */
export function runCli(
  home: string,
  args: readonly string[],
  options: { uid?: number; gid?: number } = {},
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI_BIN, '--home', home, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 30_000,
    ...options,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** What {@link runWriter} reports. */
export interface WriterResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  results: Array<Record<string, unknown>>;
}

/**
 * Runs `store-writer.worker.ts` in a child: under `ulimit -f <blocks>` (SIGXFSZ ignored, so
 * writes past the limit fail with EFBIG) and/or as another user.
 */
export function runWriter(
  args: { mode: 'backfill' | 'sink'; home: string; entries?: number },
  options: { fileBlocks?: number; uid?: number; gid?: number } = {},
): WriterResult {
  const node = [process.execPath, '--import', TSX_LOADER, here('store-writer.worker.ts')];
  const command =
    options.fileBlocks === undefined
      ? node
      : [
          'bash',
          '-c',
          `ulimit -f ${options.fileBlocks} && trap '' XFSZ && exec "$@"`,
          'bash',
          ...node,
        ];
  const result = spawnSync(command[0]!, [...command.slice(1), JSON.stringify(args)], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...(options.uid === undefined ? {} : { HOME: '/tmp' }) },
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid }),
  });
  const results = result.stdout
    .split('\n')
    .filter((line) => line.startsWith('RESULT '))
    .map((line) => JSON.parse(line.slice('RESULT '.length)) as Record<string, unknown>);
  return { status: result.status, signal: result.signal, stderr: result.stderr, results };
}
