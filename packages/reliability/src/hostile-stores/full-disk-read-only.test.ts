import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { runBackfill } from '@agent-state/rollout';
import {
  ErrorCode,
  ManualClock,
  openStateStore,
  readLogsHealth,
  stateDbPath,
} from '@agent-state/state';
import { generateCorpus, repoRoot, tempDirs } from '@agent-state/test-utils';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';

import { SOAK, recordMatrix, seed, seededRandom, trials } from '../harness/trials.js';
import {
  expectRolloutsUntouched,
  prepareHome,
  runCli,
  runWriter,
  snapshotRollouts,
} from './hostile-home.js';

// Soak mode multiplies the trials; the default per-test limit is for CI.
vi.setConfig({ testTimeout: SOAK ? 3_600_000 : 60_000 });

const temp = tempDirs();
afterEach(() => temp.cleanup());

const fullDisk = { trials: 0, checks: 0, failures: 0, seed: seed('hostile-stores/full-disk') };
const readOnly = { trials: 0, checks: 0, failures: 0, seed: seed('hostile-stores/read-only') };
afterAll(() => {
  if (fullDisk.trials > 0)
    recordMatrix({ matrix: 'hostile-stores/full-disk', kills: 0, ...fullDisk });
  if (readOnly.trials > 0)
    recordMatrix({ matrix: 'hostile-stores/read-only', kills: 0, ...readOnly });
});

const STORE_ERRORS: readonly string[] = [ErrorCode.StoreIo];

/** Far enough past a lease the writer took (the backfill's default lease is 120 s). */
const PAST_THE_LEASE_MS = 10 * 60 * 1000;

describe('a full disk (a file size limit on the writing process)', () => {
  it('fails the backfill with STORE_IO naming the file, leaves a sound store, and the sink only counts drops', async () => {
    const random = seededRandom(fullDisk.seed);
    for (let trial = 0; trial < trials({ ci: 1, soak: 40 }); trial += 1) {
      // 1 KiB blocks: from below the empty schema to a few hundred KiB.
      const blocks = 16 + Math.floor(random() * 400);
      const corpusSeed = Math.floor(random() * 1e9);
      const context = `seed ${fullDisk.seed} trial ${trial} ulimit -f ${blocks}`;
      try {
        const home = temp.make('hostile-full');
        const corpus = generateCorpus({ home, count: 400, seed: corpusSeed });
        const before = snapshotRollouts(home);
        const writer = runWriter({ mode: 'backfill', home }, { fileBlocks: blocks });
        expect(writer.signal, context).toBeNull(); // SIGXFSZ ignored: EFBIG, not a kill
        expect(writer.status, `${context}\n${writer.stderr}`).toBe(0);
        const failures = writer.results.filter((r) => r['failure'] !== undefined);
        expect(failures.length, `${context} ${JSON.stringify(writer.results)}`).toBeGreaterThan(0);
        for (const { failure } of failures as Array<{ failure: Record<string, unknown> }>) {
          expect(failure['typed'], JSON.stringify(failure)).toBe(true);
          expect(STORE_ERRORS).toContain(failure['code']);
          expect(failure['path']).toBe(stateDbPath(home));
          expect(String(failure['message'])).toContain(stateDbPath(home));
        }
        fullDisk.checks += 4 * failures.length + 3;
        // With the space back, the store is sound (integrity check on open) and the backfill
        // completes: nothing was corrupted, nothing lost. When the writer could not even release
        // its lease (releasing is a write too), the lease runs out and the next process takes
        // over: the clock is moved past it (the backfill's default lease is 120 s).
        const later = new ManualClock(Date.now() + PAST_THE_LEASE_MS);
        const store = await openStateStore({ home, clock: later });
        try {
          expect(await store.checkIntegrity()).toEqual([]);
          const result = await runBackfill({ store, workers: 0 });
          expect(['complete', 'already-complete'], context).toContain(result.outcome);
          expect(await store.threads.count(), context).toBe(corpus.files.length);
        } finally {
          await store.close();
        }
        fullDisk.checks += 3 + expectRolloutsUntouched(home, before);

        // The log sink under the same limit: drops counted, never thrown.
        const logsHome = temp.make('hostile-full-logs');
        const entries = 4000;
        const sink = runWriter({ mode: 'sink', home: logsHome, entries }, { fileBlocks: blocks });
        expect(sink.signal, context).toBeNull();
        expect(sink.status, `${context}\n${sink.stderr}`).toBe(0);
        const [outcome] = sink.results;
        expect(outcome, context).toBeDefined();
        if (outcome!['failure'] !== undefined) {
          // The limit was below even the empty logs schema: opening failed typed.
          const failure = outcome!['failure'] as Record<string, unknown>;
          expect(failure['typed']).toBe(true);
          expect(STORE_ERRORS).toContain(failure['code']);
        } else {
          expect(outcome!['threw'], context).toBeNull();
          const written = outcome!['written'] as number;
          const dropped = outcome!['dropped'] as number;
          expect(written + dropped, context).toBe(entries);
          expect(dropped, context).toBeGreaterThan(0); // 4000 × 300 B cannot fit
          // What was counted written is there, in a readable database.
          expect(readLogsHealth({ home: logsHome }).rows, context).toBe(written);
        }
        fullDisk.checks += 4;
        fullDisk.trials += 1;
      } catch (error) {
        fullDisk.failures += 1;
        throw new Error(`${context}: ${String(error)}`, { cause: error });
      }
    }
  });
});

// Root ignores permission bits, so as root the children run as `nobody` (65534) against a home
// owned by root; otherwise the chmod alone makes the home read-only for this user.
const AS_ROOT = process.getuid?.() === 0;
const OTHER_USER = AS_ROOT ? { uid: 65534, gid: 65534 } : {};
// `nobody` must be able to read the repository (its node_modules) to run the children: not so in a
// clone inside a private folder (`mktemp -d` makes 0700 ones). The test cannot run there as root.
const OTHER_USER_CAN_RUN =
  !AS_ROOT ||
  spawnSync(
    process.execPath,
    ['-e', `require('node:fs').accessSync(${JSON.stringify(join(repoRoot(), 'package.json'))})`],
    OTHER_USER,
  ).status === 0;

function chmodTree(path: string, dirMode: number, fileMode: number): void {
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) chmodTree(child, dirMode, fileMode);
    else chmodSync(child, fileMode);
  }
  chmodSync(path, dirMode);
}

describe('a read-only home', () => {
  it.skipIf(!OTHER_USER_CAN_RUN)(
    'refuses writes with STORE_IO naming the file; doctor says so; threads list still works',
    async () => {
      const context = `seed ${readOnly.seed} as ${AS_ROOT ? 'uid 65534' : 'the owner, chmod'}`;
      const home = temp.make('hostile-ro');
      try {
        const prepared = await prepareHome('v0.100.0', home);
        const before = snapshotRollouts(home);
        const listed = runCli(home, ['threads', 'list', '--json', '--limit', '100']);
        const expectedIds = (JSON.parse(listed.stdout) as { items: Array<{ id: string }> }).items
          .map((item) => item.id)
          .sort();
        expect(expectedIds.length).toBeGreaterThan(0);
        chmodTree(home, 0o555, 0o444);
        try {
          // Library level: the store cannot be opened for writing (or the first write fails).
          const writer = runWriter({ mode: 'backfill', home }, OTHER_USER);
          expect(writer.status, `${context}\n${writer.stderr}`).toBe(0);
          const [result] = writer.results;
          expect(result, `${context} ${writer.stderr}`).toBeDefined();
          if (result!['failure'] !== undefined) {
            const failure = result!['failure'] as Record<string, unknown>;
            expect(failure['typed'], JSON.stringify(failure)).toBe(true);
            expect(STORE_ERRORS).toContain(failure['code']);
            expect(String(failure['message'])).toContain(prepared.statePath);
          } else {
            // Only acceptable without a write: the backfill was already complete.
            expect(result!['outcome']).toBe('already-complete');
          }
          // A new store in a read-only home: STORE_IO naming the home or the file.
          const fresh = temp.make('hostile-ro-fresh');
          chmodSync(fresh, 0o555);
          const freshWriter = runWriter({ mode: 'backfill', home: fresh }, OTHER_USER);
          const freshFailure = freshWriter.results[0]?.['failure'] as Record<string, unknown>;
          expect(freshFailure, `${context} ${freshWriter.stderr}`).toBeDefined();
          expect(freshFailure['typed']).toBe(true);
          expect(freshFailure['code']).toBe(ErrorCode.StoreIo);
          expect(String(freshFailure['message'])).toContain(fresh);

          // CLI: doctor exits 1 with the store problem and its fix; listing falls back or works.
          const doctor = runCli(home, ['doctor'], OTHER_USER);
          expect(doctor.status, doctor.stdout + doctor.stderr).toBe(1);
          const lines = doctor.stdout.split('\n');
          const at = lines.findIndex((l) => /^\s+error:\s+cannot use /.test(l));
          expect(at, doctor.stdout).toBeGreaterThan(-1);
          expect(lines[at]).toContain(prepared.statePath);
          expect(lines[at + 1]).toMatch(
            /^\s+fix: check that the home exists and is writable by you/,
          );
          const list = runCli(home, ['threads', 'list', '--json', '--limit', '100'], OTHER_USER);
          expect(list.status, list.stderr).toBe(0);
          const page = JSON.parse(list.stdout) as { items: Array<{ id: string }>; source: string };
          const ids = page.items.map((item) => item.id).sort();
          // The file listing may show a thread more than the store (as Codex's own: see
          // `thread-list.files.json` of the v0.100.0 fixture), never one less.
          if (page.source === 'store') expect(ids).toEqual(expectedIds);
          else expect(ids).toEqual(expect.arrayContaining(expectedIds));
          if (page.source === 'files') expect(list.stderr).toMatch(/listing the rollouts directly/);
          readOnly.checks += 14;
        } finally {
          chmodTree(home, 0o755, 0o644);
        }
        readOnly.checks += expectRolloutsUntouched(home, before);
        readOnly.trials += 1;
      } catch (error) {
        readOnly.failures += 1;
        throw new Error(`${context}: ${String(error)}`, { cause: error });
      }
    },
  );
});
