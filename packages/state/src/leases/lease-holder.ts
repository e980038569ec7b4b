import { hostname } from 'node:os';

import { processStartTime } from './process-start-time.js';

/**
 * The process that holds a lease (the backfill lease, a stage-1 job, the phase-2 lock), as
 * recorded with the lease: its host, its pid and when it started, so a claimant on the same host
 * can tell at once that the holder died, even when its pid was given to another process since.
 *
 * @example
 * ```ts
 * const { holder } = await store.backfill.get();
 * if (holder) console.log(`held by pid ${holder.pid} on ${holder.host}`);
 * ```
 */
export interface LeaseHolder {
  /** `os.hostname()` of the holder. */
  host: string;
  pid: number;
  /**
   * When the holder process started, as the system probe reads it (opaque: compare for equality
   * only); `null` where the platform cannot tell.
   */
  startedAt: string | null;
}

/**
 * How the store learns who it is and whether a lease holder still lives. The store records
 * `current()` with every lease it takes, and takes a live lease over at once when
 * `isDeadOnThisHost` says its holder is gone; otherwise leases run out by time only. Pass one to
 * `openStateStore({ holderProbe })` in tests; the default is {@link systemLeaseHolderProbe}.
 *
 * @example
 * ```ts
 * // Treat every holder as alive: leases expire by time only (what a home shared over a network
 * // file system gets anyway for holders on other hosts).
 * const store = await openStateStore({ home, holderProbe: timeBasedLeaseHolderProbe });
 * ```
 */
export interface LeaseHolderProbe {
  /** The holder to record for a lease taken by this process. */
  current(): LeaseHolder;
  /**
   * True only when `holder` ran on this host and is gone for sure. False when it is alive, when
   * it ran on another host, or when this host cannot tell.
   */
  isDeadOnThisHost(holder: LeaseHolder): boolean;
}

let current: LeaseHolder | undefined;

/**
 * This process as a lease holder: `os.hostname()`, `process.pid` and its start time. Read once
 * per process.
 *
 * @example
 * ```ts
 * const me = currentLeaseHolder(); // { host: 'laptop', pid: 4242, startedAt: 'linux:…:62974' }
 * ```
 */
export function currentLeaseHolder(): LeaseHolder {
  if (current === undefined) {
    const startedAt = processStartTime(process.pid);
    current = Object.freeze({ host: hostname(), pid: process.pid, startedAt: startedAt ?? null });
  }
  return current;
}

/**
 * Whether `holder` is known to be dead: it ran on this host (same `os.hostname()`) and there is
 * no process with its pid any more (`process.kill(pid, 0)` fails with `ESRCH`; a zombie counts
 * as dead), or the process that has its pid now started at another time than the holder did
 * (the pid was reused). A process we may not signal (`EPERM`) is alive. A holder on another host
 * (a home on a network file system) is never declared dead: its lease runs out by time. The check
 * is a signal-0 syscall plus, on Linux, a read of `/proc/<pid>/stat`; cheap enough for a claim's
 * transaction. Processes in other pid namespaces that share our host name (containers given the
 * host's name) cannot be seen: give such containers their own host names.
 *
 * @example
 * ```ts
 * if (holder && isHolderDeadOnThisHost(holder)) console.log('the backfill crashed; taking over');
 * ```
 */
export function isHolderDeadOnThisHost(holder: LeaseHolder): boolean {
  const me = currentLeaseHolder();
  if (holder.host !== me.host) return false;
  if (!Number.isSafeInteger(holder.pid) || holder.pid <= 0) return false;
  if (holder.pid === me.pid) {
    // Our own pid: alive unless an earlier process had it.
    return holder.startedAt !== null && me.startedAt !== null && holder.startedAt !== me.startedAt;
  }
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return true;
    if (code !== 'EPERM') return false;
  }
  if (holder.startedAt === null) return false;
  const startedAt = processStartTime(holder.pid);
  if (startedAt === undefined) return true;
  if (startedAt === null) return false;
  return startedAt !== holder.startedAt;
}

/**
 * The default probe: records this process (`os.hostname()`, `process.pid` and its start time)
 * and declares a holder dead only when it ran on this host and its process is gone (no process
 * with its pid, or one that started at another time: the pid was reused). A holder on another
 * host is never declared dead: its lease runs out by time.
 *
 * @example
 * ```ts
 * const store = await openStateStore({ home, holderProbe: systemLeaseHolderProbe }); // the default
 * ```
 */
export const systemLeaseHolderProbe: LeaseHolderProbe = Object.freeze({
  current: currentLeaseHolder,
  isDeadOnThisHost: isHolderDeadOnThisHost,
});

/**
 * A probe that never declares a holder dead: leases run out by time only, as before holders were
 * recorded. For tests that let lease-holding processes exit and expect their leases to stay live.
 *
 * @example
 * ```ts
 * const store = await openStateStore({ home, clock, holderProbe: timeBasedLeaseHolderProbe });
 * ```
 */
export const timeBasedLeaseHolderProbe: LeaseHolderProbe = Object.freeze({
  current: currentLeaseHolder,
  isDeadOnThisHost: () => false,
});

/** The holder columns of `backfill_state` and `jobs`. */
export interface LeaseHolderColumns {
  holder_host: string | null;
  holder_pid: number | null;
  holder_started_at: string | null;
}

/** `holder` as the values of its columns. */
export function holderColumns(holder: LeaseHolder): LeaseHolderColumns {
  return { holder_host: holder.host, holder_pid: holder.pid, holder_started_at: holder.startedAt };
}

/** The holder a row records; `null` when it records none (rows written before holders were). */
export function holderFromColumns(row: LeaseHolderColumns): LeaseHolder | null {
  if (row.holder_host === null || row.holder_pid === null) return null;
  return { host: row.holder_host, pid: row.holder_pid, startedAt: row.holder_started_at };
}
