import type { SyncResult } from '@agent-state/postgres';
import { readHomeIdentity } from '@agent-state/state';
import { postgresAvailable, queryRows, tempDirs } from '@agent-state/test-utils';
import { useTestPostgres } from '@agent-state/test-utils/vitest';
import { afterEach, describe, expect, it } from 'vitest';

import { captureIo } from '../../capture-io.js';
import { backfilledHome, runCli, runCliJson } from '../../cli-harness.js';
import { ExitCode } from '../../exit-codes.js';
import type { DoctorJson } from './doctor.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

describe.skipIf(!postgresAvailable())('agent-state doctor --store', () => {
  const server = useTestPostgres();

  it('reports the shared store across its homes, this home among them, and a home never pushed', async () => {
    const url = await server().createDatabase();
    const pushed = await backfilledHome(temp, 'v0.100.0');
    const other = await backfilledHome(temp, 'v0.169.0');
    const sync = await runCliJson<SyncResult>(['--home', pushed, 'sync', '--to', url, '--json']);
    expect(sync.exitCode).toBe(ExitCode.Ok);

    const { exitCode, json } = await runCliJson<DoctorJson>([
      '--home',
      pushed,
      'doctor',
      '--store',
      url,
      '--json',
    ]);
    expect(exitCode).toBe(ExitCode.Ok);
    const shared = json.sharedStore!;
    expect(shared.server).not.toContain(server().password);
    expect(json.homeId).toBe(readHomeIdentity(pushed).homeId);
    expect(shared.homes).toEqual([
      expect.objectContaining({
        homeId: json.homeId,
        homePath: pushed,
        threads: sync.json.threads,
      }),
    ]);
    expect(typeof shared.homes[0]?.lastSyncAt).toBe('number');
    const [counts] = await queryRows<{ total: number; archived: number }>(
      url,
      'SELECT count(*)::int AS total, count(*) FILTER (WHERE archived = 1)::int AS archived FROM threads',
    );
    expect(shared.threads).toEqual(counts);
    expect(shared.search).toEqual({ threads: sync.json.threads, indexed: sync.json.threads });
    expect(shared.info.schemaVersion).toBeGreaterThan(0);
    expect(json.problems.map((problem) => problem.code)).not.toContain('home-not-pushed');
    // The home's own report is there as without --store.
    expect(json.threads?.total).toBe(sync.json.threads);

    // From a home never pushed, with the store from the environment: a warning with its fix.
    const io = captureIo({ env: { AGENT_STATE_STORE_URL: url } });
    const text = await runCli(['--home', other, 'doctor'], io);
    expect(text.exitCode).toBe(ExitCode.Ok);
    expect(text.stdout).toContain('shared store');
    expect(text.stdout).toContain('homes (1)');
    expect(text.stdout).toMatch(/warning: this home has never been pushed to the shared store/);
    expect(text.stdout).toContain('fix: run `agent-state sync`');
    expect(text.stdout).not.toContain(server().password);

    // Named by --store with its password: the fix names the command without it.
    const named = await runCli(['--home', other, 'doctor', '--store', url]);
    expect(named.stdout).toMatch(
      /fix: run `agent-state sync --to postgres:\/\/agent_state@127\.0\.0\.1:\d+\/\w+`/,
    );
    expect(named.stdout).not.toContain(server().password);
  });

  it('says a shared store it cannot read as an error, still reporting the home, never the password', async () => {
    const url = await server().createDatabase();
    const home = await backfilledHome(temp, 'v0.100.0');
    const wrong = url.replace(`:${server().password}@`, ':not-the-password@');
    const refused = await runCliJson<DoctorJson>([
      '--home',
      home,
      'doctor',
      '--store',
      wrong,
      '--json',
    ]);
    expect(refused.exitCode).toBe(ExitCode.Failure);
    expect(refused.json.ok).toBe(false);
    expect(refused.json.sharedStore).toBeNull();
    expect(refused.json.threads?.total).toBeGreaterThan(0);
    const problem = refused.json.problems.find((p) => p.code === 'shared-store-unreadable');
    expect(problem?.message).toMatch(/refused to let in/);
    expect(problem?.fix).toMatch(/password/);
    expect(refused.stdout + refused.stderr).not.toContain('not-the-password');

    const nowhere = `postgres://agent_state:${server().password}@127.0.0.1:1/agent_state`;
    const unreachable = await runCli(['--home', home, 'doctor', '--store', nowhere]);
    expect(unreachable.exitCode).toBe(ExitCode.Failure);
    expect(unreachable.stdout).toMatch(
      /error: +the shared store could not be read: cannot reach the store server postgres:\/\/agent_state@127\.0\.0\.1:1\/agent_state/,
    );
    expect(unreachable.stdout).toContain('fix: check that the server is running');
    expect(unreachable.stdout + unreachable.stderr).not.toContain(server().password);

    // Named by the environment only, the store it cannot read is a warning: doctor passes.
    const fromEnv = await runCli(
      ['--home', home, 'doctor'],
      captureIo({ env: { AGENT_STATE_STORE_URL: nowhere } }),
    );
    expect(fromEnv.exitCode).toBe(ExitCode.Ok);
    expect(fromEnv.stdout).toMatch(/warning: the shared store could not be read: cannot reach/);

    // A malformed URL, and a home filter without a store, are bad arguments.
    expect((await runCli(['--home', home, 'doctor', '--store', 'mysql://x'])).exitCode).toBe(
      ExitCode.Usage,
    );
    expect((await runCli(['--home', home, 'doctor', '--home-id', 'x'])).exitCode).toBe(
      ExitCode.Usage,
    );
  });
});
