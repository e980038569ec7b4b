// A new user's first commands on a lived-in Codex 0.169 home: 13 of its 17 rollouts are
// compressed (`.jsonl.zst`), one thread is a fork by reference, one a sub-agent.

import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { type DoctorReport, collectRollouts, extractRolloutMetadata } from '@agent-state/rollout';
import { openStateStore } from '@agent-state/state';
import {
  type MockResponsesServer,
  loadExpectedThreads,
  startMockResponsesServer,
  tempDirs,
} from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { captureIo } from './capture-io.js';
import {
  codexHome,
  codexThreadList,
  mockMemoriesRunFlags,
  runCli,
  runCliJson,
} from './cli-harness.js';
import type { BackfillReport } from './commands/backfill/backfill.js';
import type { ThreadsListReport } from './commands/threads/list/threads-list.js';
import { ExitCode } from './exit-codes.js';

const VERSION = 'v0.169.0-compressed';
const COMPRESSED = '01a1fca2-4d0c-7883-b67e-ad58b7675481';
const temp = tempDirs();
let server: MockResponsesServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  temp.cleanup();
});

const ids = (items: ReadonlyArray<{ id: string }>) => items.map((item) => item.id);

describe('a lived-in Codex home (compressed rollouts), as a new user tries it', () => {
  it('backfill, threads list and show, reconcile and doctor see all 17 threads', async () => {
    const home = codexHome(temp, VERSION);
    const all = loadExpectedThreads(VERSION, 'backfill').map((row) => row.id);
    expect(all).toHaveLength(17);

    const backfill = await runCliJson<BackfillReport>(['--home', home, 'backfill', '--json']);
    expect(backfill.exitCode).toBe(ExitCode.Ok);
    expect(backfill.json).toMatchObject({ status: 'complete', scanned: 17, failed: 0 });

    // The listing is Codex's own thread/list answer (threads without a user message are not listed).
    const codex = codexThreadList(VERSION);
    for (const archived of [false, true]) {
      const list = await runCliJson<ThreadsListReport>([
        '--home',
        home,
        'threads',
        'list',
        ...(archived ? ['--archived'] : []),
        '--json',
      ]);
      expect(list.json.source).toBe('store');
      expect(ids(list.json.items)).toEqual(ids(archived ? codex.archived : codex.active));
    }
    const subagents = await runCliJson<ThreadsListReport>([
      '--home',
      home,
      'threads',
      'list',
      '--source',
      'subagent',
      '--json',
    ]);
    expect(ids(subagents.json.items)).toEqual(['01a249b9-5f2b-71f1-a37d-01aa2bd12098']);

    for (const id of all) {
      const show = await runCliJson<{ id: string; rolloutPath: string }>([
        '--home',
        home,
        'threads',
        'show',
        id,
        '--json',
      ]);
      expect(show.exitCode, id).toBe(ExitCode.Ok);
      expect(show.json.id).toBe(id);
    }
    const text = await runCli(['--home', home, 'threads', 'show', COMPRESSED]);
    expect(text.stdout).toContain(`-${COMPRESSED}.jsonl.zst`);
    expect(text.stdout).toContain('RUN: echo hi');

    const reconcile = await runCliJson<{ findings: unknown[]; scannedRollouts: number }>([
      '--home',
      home,
      'reconcile',
      '--json',
    ]);
    expect(reconcile.exitCode).toBe(ExitCode.Ok);
    expect(reconcile.json).toMatchObject({ findings: [], scannedRollouts: 17 });

    const doctor = await runCliJson<DoctorReport>(['--home', home, 'doctor', '--json']);
    expect(doctor.json).toMatchObject({
      ok: true,
      threads: { total: 17, archived: 2 },
      rollouts: { total: 17, notIndexed: 0 },
      problems: [],
    });
  });

  it('a store an older release completed (plain rollouts only): doctor says what is missing, backfill reads only that', async () => {
    const home = codexHome(temp, VERSION);
    // What a release that did not read `.jsonl.zst` left: 4 threads and a completed backfill.
    const store = await openStateStore({ home });
    try {
      const plain = (await collectRollouts(home)).files.filter((f) => !f.path.endsWith('.zst'));
      const claim = await store.backfill.tryClaim({ leaseSeconds: 60, generation: 1 });
      if (claim.outcome !== 'claimed') throw new Error(claim.outcome);
      await store.threads.upsertMany(
        plain.map(
          (f) =>
            extractRolloutMetadata(f.path, { archived: f.archived, defaultProvider: 'openai' })
              .metadata,
        ),
      );
      await store.backfill.markComplete(claim.lease);
    } finally {
      await store.close();
    }

    const before = await runCliJson<DoctorReport>(['--home', home, 'doctor', '--json']);
    expect(before.exitCode).toBe(ExitCode.Ok);
    expect(before.json.rollouts).toEqual({ total: 17, notIndexed: 13 });
    expect(before.json.problems).toEqual([
      expect.objectContaining({
        severity: 'warning',
        code: 'rollouts-not-indexed',
        message: expect.stringMatching(/^13 rollouts not in the store: .*older release/) as unknown,
        fix: 'run `agent-state backfill` (it reads only the missing rollouts)',
      }),
      // That release had no search index, nor a usage index.
      expect.objectContaining({
        severity: 'warning',
        code: 'threads-not-searchable',
        fix: 'run `agent-state search --reindex` (it reads only their rollouts)',
      }),
      expect.objectContaining({
        severity: 'warning',
        code: 'threads-not-counted',
        fix: 'run `agent-state usage --reindex` (it reads only their rollouts)',
      }),
    ]);
    expect(before.json.search).toMatchObject({ threads: 4, indexed: 0 });
    expect(before.json.usage).toMatchObject({ threads: 4, indexed: 0 });
    const beforeText = await runCli(['--home', home, 'doctor']);
    expect(beforeText.stdout).toMatch(/\n {2}rollouts +17 \(13 not in the store\)\n/);

    const backfill = await runCli(['--home', home, 'backfill']);
    expect(backfill.exitCode).toBe(ExitCode.Ok);
    expect(backfill.stdout.split('\n').slice(0, 2)).toEqual([
      expect.stringMatching(/^backfill complete: 13 of 13 rollouts indexed in /) as unknown,
      'the store was indexed by an older release: only the rollouts it was missing were read',
    ]);
    // Reindexing reads those rollouts once, for every derived index: usage is filled too.
    const reindex = await runCli(['--home', home, 'search', '--reindex']);
    expect(reindex.stdout).toBe('search index: 4 threads indexed\n');
    const after = await runCliJson<DoctorReport>(['--home', home, 'doctor', '--json']);
    expect(after.json).toMatchObject({
      ok: true,
      rollouts: { total: 17, notIndexed: 0 },
      threads: { total: 17 },
      search: { threads: 17, indexed: 17 },
      usage: { threads: 17, indexed: 17 },
      problems: [],
    });
  });

  it('rollouts that appear after a current backfill are reported with reconcile as the fix', async () => {
    const home = codexHome(temp, VERSION);
    expect((await runCli(['--home', home, 'backfill'])).exitCode).toBe(ExitCode.Ok);
    // A rollout copied in from another machine, under a new id.
    const day = join(home, 'sessions', '2026', '11', '21');
    const source = readdirSync(day).find((name) => name.includes(COMPRESSED))!;
    copyFileSync(join(day, source), join(day, source.replace('4d0c', '4d0d')));
    const doctor = await runCliJson<DoctorReport>(['--home', home, 'doctor', '--json']);
    expect(doctor.json.problems).toEqual([
      expect.objectContaining({
        code: 'rollouts-not-indexed',
        fix: expect.stringMatching(/^run `agent-state reconcile --repair` \(it indexes/) as unknown,
      }),
    ]);
  });

  it('memories run reads the compressed threads (against a mock model server)', async () => {
    server = await startMockResponsesServer({
      handler: (request) =>
        request.textFormat
          ? {
              kind: 'json',
              value: { rollout_summary: 'A session.', raw_memory: '- a memory', rollout_slug: 's' },
            }
          : { kind: 'text', text: 'done' },
    });
    const home = codexHome(temp, VERSION);
    const env = { OPENAI_API_KEY: 'test' };
    expect((await runCli(['--home', home, 'backfill'], captureIo({ env }))).exitCode).toBe(0);
    const run = await runCli(
      [
        '--home',
        home,
        'memories',
        'run',
        '--phase',
        '1',
        ...mockMemoriesRunFlags(server.url),
        '--json',
      ],
      captureIo({ env }),
    );
    expect(run.exitCode, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { phase1: { claimed: number; failed: number } };
    expect(result.phase1.failed).toBe(0);
    // Every thread with a user message and an exec or vscode source, compressed or not.
    expect(result.phase1.claimed).toBeGreaterThan(4);
    const inputs = server.requests.map((request) => JSON.stringify(request.input));
    expect(inputs.some((input) => input.includes('RUN: echo hi'))).toBe(true);
    expect(inputs.some((input) => input.includes('Übersetze'))).toBe(true);
  });
});
