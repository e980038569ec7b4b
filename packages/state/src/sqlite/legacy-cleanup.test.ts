import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { codexLogsFixtureDir, tempDirs } from '@agent-state/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import { noopLogger } from '../logger.js';
import { AGENT_STATE_APPLICATION_ID } from '../paths/generations.js';
import { openStateStore } from '../store/state-store.js';
import { removeLegacyDatabases } from './legacy-cleanup.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

function makeDb(path: string, applicationId: number | null): void {
  const db = new Database(path);
  db.exec('CREATE TABLE t (x)');
  if (applicationId !== null) db.pragma(`application_id = ${applicationId}`);
  db.close();
}

describe('legacy database cleanup', () => {
  it('removes our older generations with their companions and nothing else', async () => {
    const home = temp.make('home');
    // Ours, older: removed with -wal/-shm/-journal.
    for (const name of ['agent_state.sqlite', 'agent_state_0.sqlite']) {
      makeDb(join(home, name), AGENT_STATE_APPLICATION_ID);
      for (const suffix of ['-wal', '-shm', '-journal'])
        writeFileSync(join(home, name + suffix), 'x');
    }
    // Codex's own databases, real files written by Codex: must survive byte for byte.
    copyFileSync(
      join(codexLogsFixtureDir('v0.100.0'), 'state_5.sqlite'),
      join(home, 'state_5.sqlite'),
    );
    copyFileSync(
      join(codexLogsFixtureDir('v0.169.0'), 'logs_2.sqlite'),
      join(home, 'logs_2.sqlite'),
    );
    const codexState = readFileSync(join(home, 'state_5.sqlite'));
    // Look-alikes that are not ours, and a newer generation of ours.
    writeFileSync(join(home, 'state.sqlite_backup'), 'backup');
    writeFileSync(join(home, '123'), 'x');
    makeDb(join(home, 'agent_state_0.sqlite.bak'), AGENT_STATE_APPLICATION_ID);
    writeFileSync(join(home, 'agent_state_x.sqlite'), 'x');
    makeDb(join(home, 'agent_logs_0.sqlite'), null); // our name, but not our application id
    writeFileSync(join(home, 'agent_logs_0.sqlite-wal'), 'x');
    makeDb(join(home, 'agent_state_7.sqlite'), AGENT_STATE_APPLICATION_ID); // newer: kept
    writeFileSync(join(home, 'agent_state_3.sqlite-wal'), 'orphan'); // no main file to verify: kept

    const store = await openStateStore({ home });
    await store.close();

    expect(readdirSync(home).sort()).toEqual([
      '123',
      'agent_logs_0.sqlite',
      'agent_logs_0.sqlite-wal',
      'agent_state_0.sqlite.bak',
      'agent_state_1.sqlite',
      'agent_state_3.sqlite-wal',
      'agent_state_7.sqlite',
      'agent_state_x.sqlite',
      'logs_2.sqlite',
      'state.sqlite_backup',
      'state_5.sqlite',
    ]);
    expect(readFileSync(join(home, 'state_5.sqlite')).equals(codexState)).toBe(true);
  });

  it('applies the same rule to the logs family and reports what it removed', () => {
    const home = temp.make('home');
    makeDb(join(home, 'agent_logs.sqlite'), AGENT_STATE_APPLICATION_ID);
    writeFileSync(join(home, 'agent_logs.sqlite-shm'), 'x');
    makeDb(join(home, 'agent_logs_2.sqlite'), AGENT_STATE_APPLICATION_ID);
    makeDb(join(home, 'agent_state_0.sqlite'), AGENT_STATE_APPLICATION_ID);

    const removed = removeLegacyDatabases({
      home,
      basename: 'agent_logs',
      generation: 3,
      applicationId: AGENT_STATE_APPLICATION_ID,
      logger: noopLogger,
    });
    expect(removed.sort()).toEqual([
      'agent_logs.sqlite',
      'agent_logs.sqlite-shm',
      'agent_logs_2.sqlite',
    ]);
    expect(readdirSync(home)).toEqual(['agent_state_0.sqlite']);
  });

  it('does nothing (and does not throw) when the home cannot be listed', () => {
    expect(
      removeLegacyDatabases({
        home: join(temp.make('home'), 'missing'),
        basename: 'agent_state',
        generation: 1,
        applicationId: AGENT_STATE_APPLICATION_ID,
        logger: noopLogger,
      }),
    ).toEqual([]);
  });
});
