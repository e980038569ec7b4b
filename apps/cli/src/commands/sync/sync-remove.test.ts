import { existsSync } from 'node:fs';
import { join } from 'node:path';

import type { SyncResult } from '@agent-state/postgres';
import { HOME_IDENTITY_FILE, readHomeIdentity } from '@agent-state/state';
import { postgresAvailable, queryRows, tempDirs } from '@agent-state/test-utils';
import { useTestPostgres } from '@agent-state/test-utils/vitest';
import { afterEach, describe, expect, it } from 'vitest';

import { backfilledHome, runCli, runCliJson } from '../../cli-harness.js';
import { ExitCode } from '../../exit-codes.js';
import type { ThreadsListReport } from '../threads/list/threads-list.js';
import type { SyncRemoveReport } from './sync-remove.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

/** Threads the server holds, by home id. */
async function threadsByHome(url: string): Promise<Record<string, number>> {
  const rows = await queryRows<{ home_id: string; n: number }>(
    url,
    'SELECT home_id, count(*)::int AS n FROM threads GROUP BY home_id',
  );
  return Object.fromEntries(rows.map((row) => [row.home_id, row.n]));
}

describe.skipIf(!postgresAvailable())('agent-state sync --remove', () => {
  const server = useTestPostgres();

  it('takes a home out of the shared store, this one or another by id, and its next sync pushes it again', async () => {
    const url = await server().createDatabase();
    const [a, b] = [await backfilledHome(temp, 'v0.100.0'), await backfilledHome(temp, 'v0.169.0')];
    const pushed: Record<string, number> = {};
    for (const home of [a, b]) {
      const { json } = await runCliJson<SyncResult>([
        '--home',
        home,
        'sync',
        '--to',
        url,
        '--json',
      ]);
      pushed[json.homeId] = json.threads;
    }
    const [idA, idB] = [readHomeIdentity(a).homeId, readHomeIdentity(b).homeId];
    expect(await threadsByHome(url)).toEqual(pushed);

    // Without a terminal to ask on, only with --yes.
    const unasked = await runCli(['--home', b, 'sync', '--to', url, '--remove']);
    expect(unasked.exitCode).toBe(ExitCode.Usage);
    expect(unasked.stderr).toContain('--yes');
    expect(await threadsByHome(url)).toEqual(pushed);

    const removed = await runCliJson<SyncRemoveReport>([
      '--home',
      b,
      'sync',
      '--to',
      url,
      '--remove',
      '--yes',
      '--json',
    ]);
    expect(removed.exitCode).toBe(ExitCode.Ok);
    expect(removed.json.removed).toMatchObject({ homeId: idB, threads: pushed[idB] });
    expect(removed.json.removed!.documents).toBeGreaterThan(0);
    expect(removed.json.server).not.toContain(server().password);
    expect(await threadsByHome(url)).toEqual({ [idA]: pushed[idA] });
    const listed = await runCliJson<ThreadsListReport>([
      '--home',
      a,
      'threads',
      'list',
      '--store',
      url,
      '--json',
      '--limit',
      '1000',
    ]);
    const local = await runCliJson<ThreadsListReport>([
      '--home',
      a,
      'threads',
      'list',
      '--json',
      '--limit',
      '1000',
    ]);
    const ids = (report: ThreadsListReport) => report.items.map((item) => item.id).sort();
    expect(ids(listed.json)).toEqual(ids(local.json));

    // Gone: a second removal finds nothing; the home's next sync pushes it whole.
    const again = await runCli(['--home', b, 'sync', '--to', url, '--remove', '--yes']);
    expect(again.exitCode).toBe(ExitCode.NotFound);
    expect(again.stderr).toContain(`home ${idB} in postgres://`);
    const resync = await runCliJson<SyncResult>(['--home', b, 'sync', '--to', url, '--json']);
    expect(resync.json.pushed).toBe(pushed[idB]);

    // Another home, by its id, in text.
    const other = await runCli([
      '--home',
      b,
      'sync',
      '--to',
      url,
      '--remove',
      '--home-id',
      idA,
      '--yes',
    ]);
    expect(other.exitCode).toBe(ExitCode.Ok);
    expect(other.stdout).toContain(`removed ${a} on `);
    expect(other.stdout).toContain(`${pushed[idA]} threads`);
    expect(other.stdout).not.toContain(server().password);
    expect(await threadsByHome(url)).toEqual({ [idB]: pushed[idB] });
  });

  it('refuses a home never pushed, pushing flags with --remove, and removal flags without it', async () => {
    const url = await server().createDatabase();
    const home = await backfilledHome(temp, 'v0.100.0');
    const never = await runCli(['--home', home, 'sync', '--to', url, '--remove', '--yes']);
    expect(never.exitCode).toBe(ExitCode.NotFound);
    expect(never.stderr).toContain('was never pushed');
    expect(existsSync(join(home, HOME_IDENTITY_FILE))).toBe(false);

    for (const args of [
      ['--remove', '--yes', '--redact'],
      ['--remove', '--yes', '--full'],
      ['--home-id', 'x'],
      ['--yes'],
    ]) {
      const run = await runCli(['--home', home, 'sync', '--to', url, ...args]);
      expect(run.exitCode, args.join(' ')).toBe(ExitCode.Usage);
    }
    // Nothing was created on the server either: no schema.
    await expect(threadsByHome(url)).rejects.toThrow('relation "threads" does not exist');

    // A pushed home against a server no home was pushed to: no schema, nothing to remove.
    const empty = await server().createDatabase();
    await runCliJson<SyncResult>(['--home', home, 'sync', '--to', url, '--json']);
    const noSchema = await runCli(['--home', home, 'sync', '--to', empty, '--remove', '--yes']);
    expect(noSchema.exitCode).toBe(ExitCode.Failure);
    expect(noSchema.stderr).not.toContain(server().password);
    await expect(threadsByHome(empty)).rejects.toThrow('relation "threads" does not exist');
  });
});
