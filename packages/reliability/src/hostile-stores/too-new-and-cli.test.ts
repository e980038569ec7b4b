import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  ErrorCode,
  StoreTooNewError,
  logsDbFileName,
  openLogsStore,
  openStateStore,
  stateDbFileName,
  STATE_DB_GENERATION,
  LOGS_DB_GENERATION,
} from '@agent-state/state';
import { tempDirs } from '@agent-state/test-utils';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';

import { SOAK, recordMatrix, seed, seededRandom, trials } from '../harness/trials.js';
import {
  expectRolloutsUntouched,
  expectTypedStoreError,
  prepareHome,
  rebuildFromRollouts,
  runCli,
  snapshotRollouts,
  withGarbage,
} from './hostile-home.js';

// Soak mode multiplies the trials; the default per-test limit is for CI.
vi.setConfig({ testTimeout: SOAK ? 3_600_000 : 60_000 });

const temp = tempDirs();
afterEach(() => temp.cleanup());

const tooNew = { trials: 0, checks: 0, failures: 0, seed: seed('hostile-stores/too-new') };
const cli = { trials: 0, checks: 0, failures: 0, seed: seed('hostile-stores/cli-corrupt') };
afterAll(() => {
  if (tooNew.trials > 0) recordMatrix({ matrix: 'hostile-stores/too-new', kills: 0, ...tooNew });
  if (cli.trials > 0) recordMatrix({ matrix: 'hostile-stores/cli-corrupt', kills: 0, ...cli });
});

/** The bytes of a database whose `user_version` (header offset 60) is `version`. */
function withUserVersion(bytes: Buffer, version: number): Buffer {
  const copy = Buffer.from(bytes);
  copy.writeInt32BE(version, 60);
  return copy;
}

async function tracked<T>(
  f: { failures: number },
  context: string,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    f.failures += 1;
    throw new Error(`${context}: ${String(error)}`, { cause: error });
  }
}

describe('a database of a newer schema or generation', () => {
  it('is refused with STORE_TOO_NEW and never downgraded; a newer generation file is left alone', async () => {
    const random = seededRandom(tooNew.seed);
    const prepared = await prepareHome('v0.169.0', temp.make('hostile-new'));
    const { home, statePath, logsPath } = prepared;
    const before = snapshotRollouts(home);
    const supported = prepared.stateBytes.readInt32BE(60);
    // Newer than both files' schemas (the state and logs databases are versioned apart).
    const newest = Math.max(supported, prepared.logsBytes.readInt32BE(60));
    for (let trial = 0; trial < trials({ ci: 2, soak: 60 }); trial += 1) {
      const version = newest + 1 + Math.floor(random() * 1000);
      const context = `seed ${tooNew.seed} trial ${trial} user_version ${version}`;
      await tracked(tooNew, context, async () => {
        const newer = withUserVersion(prepared.stateBytes, version);
        writeFileSync(statePath, newer);
        const error = await openStateStore({ home }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expectTypedStoreError(error, [ErrorCode.StoreTooNew], statePath);
        expect(error).toBeInstanceOf(StoreTooNewError);
        expect((error as StoreTooNewError).found).toBe(version);
        expect((error as StoreTooNewError).supported).toBe(supported);
        // recoverCorrupt is for damage, not for a newer store: still refused, file untouched.
        await expect(openStateStore({ home, recoverCorrupt: true })).rejects.toMatchObject({
          code: ErrorCode.StoreTooNew,
        });
        expect(readFileSync(statePath).equals(newer), context).toBe(true);

        const newerLogs = withUserVersion(prepared.logsBytes, version);
        writeFileSync(logsPath, newerLogs);
        await expect(openLogsStore({ home })).rejects.toMatchObject({
          code: ErrorCode.StoreTooNew,
          path: logsPath,
        });
        expect(readFileSync(logsPath).equals(newerLogs), context).toBe(true);

        // doctor: exit 1, the problem on one line and its fix; threads list: the files.
        const doctor = runCli(home, ['doctor']);
        expect(doctor.status, doctor.stderr).toBe(1);
        const lines = doctor.stdout.split('\n');
        const problem = lines.findIndex((l) => /^\s+error:\s+database .* schema version/.test(l));
        expect(problem, doctor.stdout).toBeGreaterThan(-1);
        expect(lines[problem]).toContain(statePath);
        expect(lines[problem + 1]).toMatch(/^\s+fix: upgrade agent-state/);
        const list = runCli(home, ['threads', 'list', '--json', '--limit', '100']);
        expect(list.status, list.stderr).toBe(0);
        expect((JSON.parse(list.stdout) as { source: string }).source).toBe('files');
        expect(list.stderr).toMatch(
          /^agent-state: cannot use the store \(database .* schema version/m,
        );
        expect(readFileSync(statePath).equals(newer), context).toBe(true);
        tooNew.checks += 14 + expectRolloutsUntouched(home, before);
        writeFileSync(statePath, prepared.stateBytes);
        writeFileSync(logsPath, prepared.logsBytes);
        tooNew.trials += 1;
      });
    }
    // A newer generation's files sit beside ours: opened stores leave them byte-identical.
    await tracked(tooNew, `seed ${tooNew.seed} newer generation`, async () => {
      const newerState = join(home, stateDbFileName(STATE_DB_GENERATION + 1));
      const newerLogs = join(home, logsDbFileName(LOGS_DB_GENERATION + 1));
      copyFileSync(statePath, newerState);
      copyFileSync(logsPath, newerLogs);
      const newerLogsBytes = readFileSync(newerLogs);
      const store = await openStateStore({ home });
      expect(await store.threads.count()).toBe(prepared.threadCount);
      await store.close();
      (await openLogsStore({ home })).close();
      expect(readFileSync(newerState).equals(prepared.stateBytes)).toBe(true);
      expect(readFileSync(newerLogs).equals(newerLogsBytes)).toBe(true);
      tooNew.checks += 3 + expectRolloutsUntouched(home, before);
      tooNew.trials += 1;
    });
  });
});

describe('the CLI on a corrupt store', () => {
  it('doctor exits 1 with one line per problem and a fix; threads list falls back to the files', async () => {
    const random = seededRandom(cli.seed);
    const prepared = await prepareHome('v0.100.0', temp.make('hostile-cli'));
    const { home, statePath, stateBytes } = prepared;
    const before = snapshotRollouts(home);
    const pageSize = stateBytes.readUInt16BE(16);
    const cases = [
      { name: 'torn header', bytes: stateBytes.subarray(0, 1 + Math.floor(random() * 99)) },
      { name: 'garbage magic', bytes: withGarbage(stateBytes, 0, 16, random) },
      {
        name: 'truncated mid-page',
        bytes: stateBytes.subarray(0, pageSize + 100 + Math.floor(random() * (pageSize - 200))),
      },
    ];
    for (const c of cases.slice(0, trials({ ci: 3, soak: 3 }))) {
      const context = `seed ${cli.seed} ${c.name}`;
      await tracked(cli, context, async () => {
        writeFileSync(statePath, c.bytes);
        const doctor = runCli(home, ['doctor']);
        expect(doctor.status, doctor.stdout + doctor.stderr).toBe(1);
        const lines = doctor.stdout.split('\n');
        const errors = lines.filter((l) => /^\s+error:\s/.test(l));
        expect(errors, doctor.stdout).toHaveLength(1);
        const at = lines.indexOf(errors[0]!);
        expect(errors[0]).toContain(`database ${statePath} is corrupt`);
        expect(lines[at + 1]).toMatch(/^\s+fix: move the file aside .*agent-state backfill/);
        expect(lines).toContain('1 error:');
        expect(doctor.stderr).toBe('');

        const json = runCli(home, ['doctor', '--json']);
        expect(json.status).toBe(1);
        const report = JSON.parse(json.stdout) as {
          ok: boolean;
          problems: Array<{ severity: string; code: string; fix: string }>;
        };
        expect(report.ok).toBe(false);
        expect(report.problems.filter((p) => p.severity === 'error').map((p) => p.code)).toEqual([
          'store-corrupt',
        ]);

        const list = runCli(home, ['threads', 'list', '--json', '--limit', '100']);
        expect(list.status, list.stderr).toBe(0);
        const page = JSON.parse(list.stdout) as { source: string; items: Array<{ id: string }> };
        expect(page.source).toBe('files');
        expect(page.items.length).toBeGreaterThan(0);
        expect(list.stderr).toMatch(
          new RegExp(
            `^agent-state: cannot use the store \\(database ${statePath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is corrupt`,
            'm',
          ),
        );
        const table = runCli(home, ['threads', 'list']);
        expect(table.status).toBe(0);
        expect(table.stderr).toMatch(/listing the rollouts directly/);

        // A command that needs the store fails typed, one line on stderr, exit 1.
        const show = runCli(home, ['threads', 'show', prepared.threadIds[0]!]);
        expect(show.status).toBe(1);
        expect(show.stderr.trim().split('\n')).toHaveLength(1);
        expect(show.stderr).toMatch(/^agent-state: database .* is corrupt/);
        // The damaged file is left for the user (doctor never moves it).
        expect(readFileSync(statePath).equals(c.bytes)).toBe(true);
        cli.checks += 18 + expectRolloutsUntouched(home, before);

        // The documented fix: move it aside, backfill; doctor is then clean of errors.
        expect(await rebuildFromRollouts(home)).toEqual(prepared.threadIds);
        const after = runCli(home, ['doctor']);
        expect(after.status, after.stdout).toBe(0);
        cli.checks += 2 + expectRolloutsUntouched(home, before);
        cli.trials += 1;
      });
    }
  });
});
