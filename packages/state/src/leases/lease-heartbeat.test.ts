import { describe, expect, it } from 'vitest';

import { ManualClock, unixSeconds } from '../clock.js';
import { ErrorCode, LeaseLostError } from '../errors.js';
import { type LogRecord, createLogger, noopLogger } from '../logger.js';
import { type LeaseHeartbeatOptions, startLeaseHeartbeat } from './lease-heartbeat.js';

const T0 = 1_800_000_000_000;
const INTERVAL = 10_000;
const LEASE_SECONDS = 60;

/** Lets every promise that can settle now settle (no time passes on any clock). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

/** A heartbeat on a manual clock whose renewals the test answers one by one. */
function heartbeatWithHeldRenewals(extra: Partial<LeaseHeartbeatOptions> = {}) {
  const clock = new ManualClock(T0);
  const pending: Array<ReturnType<typeof deferred<number>>> = [];
  let inFlight = 0;
  let most = 0;
  const heartbeat = startLeaseHeartbeat({
    lease: 'test',
    clock,
    intervalMs: INTERVAL,
    leaseUntil: unixSeconds(clock) + LEASE_SECONDS,
    logger: noopLogger,
    renew: async () => {
      const answer = deferred<number>();
      pending.push(answer);
      inFlight += 1;
      most = Math.max(most, inFlight);
      try {
        return await answer.promise;
      } finally {
        inFlight -= 1;
      }
    },
    ...extra,
  });
  /** Answers the renewal in flight: renewed (to a minute from now) or `error`. */
  const answer = async (error?: unknown): Promise<void> => {
    const next = pending.shift() ?? expect.unreachable('no renewal in flight');
    if (error === undefined) next.resolve(unixSeconds(clock) + LEASE_SECONDS);
    else next.reject(error);
    await settle();
  };
  return {
    clock,
    heartbeat,
    answer,
    renewals: () => pending.length,
    most: () => most,
  };
}

describe('startLeaseHeartbeat', () => {
  it('renews once per interval of its clock, and never two renewals at once', async () => {
    const { clock, heartbeat, answer, renewals, most } = heartbeatWithHeldRenewals();
    clock.advance(INTERVAL - 1);
    expect(renewals()).toBe(0);
    clock.advance(1);
    expect(renewals()).toBe(1);
    // A slow renewal: however far the clock moves, no second one starts meanwhile.
    clock.advance(5 * INTERVAL);
    await settle();
    expect(renewals()).toBe(1);
    await answer();
    // The next wait starts when the renewal settled.
    clock.advance(INTERVAL - 1);
    expect(renewals()).toBe(0);
    clock.advance(1);
    expect(renewals()).toBe(1);
    await answer();
    expect(most()).toBe(1);
    expect(heartbeat.lost).toBe(false);
    await heartbeat.stop();
  });

  it('stop waits for the renewal in flight, and nothing renews afterwards', async () => {
    const { clock, heartbeat, answer, renewals } = heartbeatWithHeldRenewals();
    clock.advance(INTERVAL);
    expect(renewals()).toBe(1);
    let stopped = false;
    const stopping = heartbeat.stop().then(() => {
      stopped = true;
    });
    await settle();
    expect(stopped).toBe(false);
    await answer();
    await stopping;
    expect(stopped).toBe(true);
    clock.advance(10 * INTERVAL);
    expect(renewals()).toBe(0);
    await heartbeat.stop(); // twice: harmless
  });

  it('stop before the first beat cancels it', async () => {
    const { clock, heartbeat, renewals } = heartbeatWithHeldRenewals();
    await heartbeat.stop();
    clock.advance(10 * INTERVAL);
    expect(renewals()).toBe(0);
  });

  it('loses the lease when a renewal finds it lost, aborts its signal and stops renewing', async () => {
    const { clock, heartbeat, answer, renewals } = heartbeatWithHeldRenewals();
    clock.advance(INTERVAL);
    await answer();
    clock.advance(INTERVAL);
    const lostError = new LeaseLostError('test');
    await answer(lostError);
    expect(heartbeat.lost).toBe(true);
    expect(heartbeat.signal.aborted).toBe(true);
    expect(heartbeat.signal.reason).toBe(lostError);
    clock.advance(10 * INTERVAL);
    expect(renewals()).toBe(0);
    await heartbeat.stop();
  });

  it('logs a renewal that failed otherwise and tries again at the next beat', async () => {
    const records: LogRecord[] = [];
    const { clock, heartbeat, answer } = heartbeatWithHeldRenewals({
      logger: createLogger((record) => records.push(record)),
    });
    clock.advance(INTERVAL);
    await answer(new Error('database is locked'));
    expect(heartbeat.lost).toBe(false);
    expect(records).toEqual([
      {
        level: 'warn',
        message: 'lease heartbeat failed',
        fields: { lease: 'test', error: 'Error: database is locked' },
      },
    ]);
    clock.advance(INTERVAL);
    await answer();
    expect(heartbeat.lost).toBe(false);
    await heartbeat.stop();
  });

  it('loses the lease when a renewal fails once its deadline has come by the clock', async () => {
    const { clock, heartbeat, answer } = heartbeatWithHeldRenewals();
    clock.advance(INTERVAL);
    await answer(); // renewed until T0 + 10 s + 60 s
    clock.advance(LEASE_SECONDS * 1000); // the next beat comes at the deadline itself
    await answer(new Error('database is locked'));
    expect(heartbeat.lost).toBe(true);
    expect(heartbeat.signal.reason).toBeInstanceOf(LeaseLostError);
    expect(heartbeat.signal.reason).toMatchObject({
      code: ErrorCode.LeaseLost,
      message: 'test lease was lost to another owner',
    });
    await heartbeat.stop();
  });

  it('rejects an interval that is not a positive number', () => {
    for (const intervalMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() =>
        startLeaseHeartbeat({
          lease: 'test',
          clock: new ManualClock(T0),
          intervalMs,
          leaseUntil: 0,
          logger: noopLogger,
          renew: () => Promise.resolve(0),
        }),
      ).toThrowError(expect.objectContaining({ argument: 'intervalMs' }) as Error);
    }
  });

  // The memories pipeline's own loop, before there was one for every lease.
  it('renews one call after the other, aborts when the lease is gone, and stops cleanly', async () => {
    const clock = new ManualClock(T0);
    let inFlight = 0;
    let most = 0;
    let calls = 0;
    const slow: Array<() => void> = [];
    const answers = [true, true, false, true];
    const errors: LogRecord[] = [];
    const heartbeat = startLeaseHeartbeat({
      lease: 'stage-1 job',
      clock,
      intervalMs: 10_000,
      leaseUntil: unixSeconds(clock) + 3600,
      logger: createLogger((record) => errors.push(record)),
      renew: async () => {
        calls += 1;
        inFlight += 1;
        most = Math.max(most, inFlight);
        // Slower than the period: the clock moves 15 s before it answers.
        await new Promise<void>((resolve) => slow.push(resolve));
        inFlight -= 1;
        if (!(answers.shift() ?? true)) throw new LeaseLostError('stage-1 job');
        return unixSeconds(clock) + 3600;
      },
    });
    for (let beat = 0; beat < 4; beat += 1) {
      clock.advance(10_000);
      clock.advance(15_000);
      await settle();
      slow.shift()?.();
      await settle();
    }
    expect(most).toBe(1);
    expect(heartbeat.lost).toBe(true);
    expect(heartbeat.signal.aborted).toBe(true);
    expect((heartbeat.signal.reason as Error).message).toBe(
      'stage-1 job lease was lost to another owner',
    );
    await heartbeat.stop();
    const callsAtStop = calls;
    clock.advance(60_000);
    await settle();
    expect(calls).toBe(callsAtStop);
    expect(errors).toEqual([]);
  });

  it('reports a renewal that throws and keeps going', async () => {
    const clock = new ManualClock(T0);
    const records: LogRecord[] = [];
    let calls = 0;
    const heartbeat = startLeaseHeartbeat({
      lease: 'stage-1 job',
      clock,
      intervalMs: 1_000,
      leaseUntil: unixSeconds(clock) + 3600,
      logger: createLogger((record) => records.push(record)),
      renew: () => {
        calls += 1;
        return calls === 1
          ? Promise.reject(new Error('database is locked'))
          : Promise.resolve(unixSeconds(clock) + 3600);
      },
    });
    for (let beat = 0; beat < 3; beat += 1) {
      clock.advance(1_000);
      await settle();
    }
    await heartbeat.stop();
    expect(calls).toBe(3);
    expect(records.map((record) => record.fields.error)).toEqual(['Error: database is locked']);
    expect(heartbeat.lost).toBe(false);
  });
});
