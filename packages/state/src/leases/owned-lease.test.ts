// The shared owned-lease transitions, on both tables that hold leases: the backfill row and a
// `jobs` row (a stage-1 job; the phase-2 lock is another `jobs` row).
import { tempDirs } from '@agent-state/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ManualClock, unixSeconds } from '../clock.js';
import { ErrorCode, LeaseLostError } from '../errors.js';
import { immediateTransaction } from '../sqlite/immediate-transaction.js';
import {
  type SharedConnection,
  acquireConnection,
  releaseConnection,
} from '../store/shared-connection.js';
import { type StateStore, openStateStore } from '../store/state-store.js';
import { holderProbe } from './lease-holder-probe.fixture.js';
import type { LeaseHolderProbe } from './lease-holder.js';
import {
  type OwnedLeaseKey,
  type OwnedLeaseTable,
  OwnedLeases,
  RELEASED_LEASE,
  isLeaseExpired,
  isLeaseLive,
  leaseIsFree,
  ownedBy,
} from './owned-lease.js';

const T0 = 1_800_000_000_000;
const NOW = T0 / 1000;
const LEASE = 60;
const temp = tempDirs();

/** Holders of host `h` that died, by pid. */
const deadPids = new Set<number>();

function probe(host: string, pid: number): LeaseHolderProbe {
  return holderProbe(host, pid, deadPids);
}

let clock: ManualClock;
let store: StateStore;
let connection: SharedConnection;

beforeEach(async () => {
  deadPids.clear();
  clock = new ManualClock(T0);
  store = await openStateStore({ home: temp.make('home'), clock });
  connection = acquireConnection(store.path, () => {
    throw new Error('the store opened it');
  });
  connection.raw
    .prepare(`INSERT INTO backfill_state (id, status, updated_at) VALUES (1, 'pending', ?)`)
    .run(NOW);
  for (const key of ['t1', 't2']) {
    connection.raw
      .prepare(
        `INSERT INTO jobs (kind, job_key, status, retry_remaining) VALUES ('memory_stage1', ?, 'pending', 3)`,
      )
      .run(key);
  }
});
afterEach(async () => {
  await releaseConnection(connection);
  await store.close();
  temp.cleanup();
});

/** The leases of `table` as the process `pid` on `host` sees them. */
function leasesOf(table: OwnedLeaseTable, host = 'h', pid = 100): OwnedLeases {
  return new OwnedLeases(
    {
      db: connection.db,
      raw: connection.raw,
      path: connection.path,
      clock,
      holderProbe: probe(host, pid),
    },
    table === 'jobs'
      ? { table, kind: { kind: 'memory_stage1' }, name: 'stage-1 job' }
      : { table, kind: { id: 1 }, name: 'backfill' },
  );
}

/** The row a lease of `table` covers in these tests. */
function keyOf(table: OwnedLeaseTable): OwnedLeaseKey {
  return table === 'jobs' ? { job_key: 't1' } : {};
}

/** A claim as the repositories make it: dead holders first, then the guarded update. */
async function claim(leases: OwnedLeases, table: OwnedLeaseTable): Promise<string | null> {
  return immediateTransaction(
    connection.db,
    async (trx) => {
      const now = unixSeconds(clock);
      await leases.expireDeadHolders(trx, now);
      const { token, columns } = leases.claim(now, LEASE);
      const rows = leases.rows(keyOf(table));
      const result =
        table === 'jobs'
          ? await trx
              .updateTable('jobs')
              .set(columns)
              .where(rows)
              .where(leaseIsFree(now))
              .executeTakeFirst()
          : await trx
              .updateTable('backfill_state')
              .set(columns)
              .where(rows)
              .where(leaseIsFree(now))
              .executeTakeFirst();
      return result.numUpdatedRows > 0n ? token : null;
    },
    { path: connection.path },
  );
}

/** Gives the lease back (or finishes it) while `token` owns it. */
async function release(leases: OwnedLeases, table: OwnedLeaseTable, token: string) {
  const rows = leases.rows(keyOf(table));
  const result =
    table === 'jobs'
      ? await connection.db
          .updateTable('jobs')
          .set(RELEASED_LEASE)
          .where(rows)
          .where(ownedBy(token))
          .executeTakeFirst()
      : await connection.db
          .updateTable('backfill_state')
          .set(RELEASED_LEASE)
          .where(rows)
          .where(ownedBy(token))
          .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

function renew(leases: OwnedLeases, table: OwnedLeaseTable, token: string): Promise<number> {
  return leases.renew({ key: keyOf(table), token, now: unixSeconds(clock), leaseSeconds: LEASE });
}

function rowOf(table: OwnedLeaseTable, key = 't1') {
  const row =
    table === 'jobs'
      ? connection.raw
          .prepare(`SELECT * FROM jobs WHERE kind = 'memory_stage1' AND job_key = ?`)
          .get(key)
      : connection.raw.prepare('SELECT * FROM backfill_state WHERE id = 1').get();
  return row as { status: string; ownership_token: string | null; lease_until: number | null };
}

describe.each(['backfill_state', 'jobs'] as const)('owned leases of %s', (table) => {
  it('claims a free row, refuses a live one, and frees it at its deadline', async () => {
    const leases = leasesOf(table);
    const token = await claim(leases, table);
    expect(token).not.toBeNull();
    expect(rowOf(table)).toMatchObject({
      status: 'running',
      ownership_token: token,
      lease_until: NOW + LEASE,
      holder_host: 'h',
      holder_pid: 100,
      holder_started_at: 'start-100',
    });
    const rival = leasesOf(table, 'h', 200);
    clock.advance(LEASE * 1000 - 1_000);
    expect(await claim(rival, table)).toBeNull();
    clock.advance(1_000); // the deadline itself counts as expired
    const second = await claim(rival, table);
    expect(second).not.toBeNull();
    expect(second).not.toBe(token);
  });

  it('renews while the token owns the row and the deadline has not come, else the lease is lost', async () => {
    const leases = leasesOf(table);
    const token = (await claim(leases, table)) ?? expect.unreachable('claimed');
    clock.advance(30_000);
    expect(await renew(leases, table, token)).toBe(NOW + 30 + LEASE);
    expect(rowOf(table).lease_until).toBe(NOW + 30 + LEASE);

    // The lease-lost rule: a deadline that has come loses the lease, taken over or not.
    clock.advance(LEASE * 1000);
    const error = await renew(leases, table, token).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeaseLostError);
    expect(error).toMatchObject({
      code: ErrorCode.LeaseLost,
      message: `${leases.name} lease was lost to another owner`,
    });
    expect(rowOf(table).lease_until).toBe(NOW + 30 + LEASE);

    // A token that no longer owns the row loses it too.
    const rival = leasesOf(table, 'h', 200);
    const taken = (await claim(rival, table)) ?? expect.unreachable('taken over');
    await expect(renew(leases, table, token)).rejects.toBeInstanceOf(LeaseLostError);
    expect(await renew(rival, table, taken)).toBe(unixSeconds(clock) + LEASE);
    // As does one whose row was given back.
    expect(await release(rival, table, taken)).toBe(true);
    await expect(renew(rival, table, taken)).rejects.toBeInstanceOf(LeaseLostError);
  });

  it('finishing or giving back needs the token only', async () => {
    const leases = leasesOf(table);
    const token = (await claim(leases, table)) ?? expect.unreachable('claimed');
    expect(await release(leases, table, 'another-token')).toBe(false);
    clock.advance(2 * LEASE * 1000); // expired, but nobody took it over: still the owner's
    expect(await release(leases, table, token)).toBe(true);
    expect(rowOf(table)).toMatchObject({ status: 'pending', ownership_token: null });
    expect(rowOf(table).lease_until).toBeNull();
    expect(await release(leases, table, token)).toBe(false);
    expect(await claim(leasesOf(table, 'h', 200), table)).not.toBeNull();
  });

  it('ends the lease of a holder that died on this host at once, not of a live or remote one', async () => {
    const remote = leasesOf(table, 'other', 300);
    await claim(remote, table);
    const here = leasesOf(table, 'h', 200);
    deadPids.add(300); // a pid of that number died here: says nothing about the other host
    expect(await claim(here, table)).toBeNull();

    clock.advance(LEASE * 1000);
    await claim(leasesOf(table, 'h', 100), table);
    expect(await claim(here, table)).toBeNull(); // alive
    deadPids.add(100);
    expect(await claim(here, table)).not.toBeNull(); // dead: taken over without moving the clock
    expect(rowOf(table)).toMatchObject({
      holder_pid: 200,
      lease_until: unixSeconds(clock) + LEASE,
    });
  });
});

describe('owned leases of a kind with many rows', () => {
  it('ends only the dead holders’ leases among the kind’s rows', async () => {
    const dying = leasesOf('jobs', 'h', 100);
    const living = leasesOf('jobs', 'h', 200);
    await immediateTransaction(
      connection.db,
      async (trx) => {
        for (const [leases, key] of [
          [dying, 't1'],
          [living, 't2'],
        ] as const) {
          await trx
            .updateTable('jobs')
            .set(leases.claim(NOW, LEASE).columns)
            .where(leases.rows({ job_key: key }))
            .execute();
        }
      },
      { path: connection.path },
    );
    deadPids.add(100);
    await immediateTransaction(
      connection.db,
      (trx) => leasesOf('jobs', 'h', 300).expireDeadHolders(trx, NOW),
      { path: connection.path },
    );
    expect(rowOf('jobs', 't1')).toMatchObject({ status: 'running', lease_until: NOW });
    expect(rowOf('jobs', 't2')).toMatchObject({ status: 'running', lease_until: NOW + LEASE });
  });
});

describe('the lease-lost rule on a row already read', () => {
  it('a lease is live until its deadline, which itself counts as expired', () => {
    expect(isLeaseExpired(NOW, NOW - 1)).toBe(false);
    expect(isLeaseExpired(NOW, NOW)).toBe(true);
    expect(isLeaseLive({ status: 'running', lease_until: NOW + 1 }, NOW)).toBe(true);
    expect(isLeaseLive({ status: 'running', lease_until: NOW }, NOW)).toBe(false);
    expect(isLeaseLive({ status: 'running', lease_until: null }, NOW)).toBe(false);
    expect(isLeaseLive({ status: 'pending', lease_until: NOW + 1 }, NOW)).toBe(false);
    expect(isLeaseLive({ status: null, lease_until: null }, NOW)).toBe(false);
  });
});
