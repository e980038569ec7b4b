// Test fixture, not part of the public API: lease holders as tests stand them up, several
// "processes" (stores with their own probes) on one home.
import type { LeaseHolder, LeaseHolderProbe } from './lease-holder.js';

/**
 * The probe of a process `pid` on `host` (started at `start-<pid>`), which sees the holders of its
 * own host whose pids are in `deadPids` as dead.
 */
export function holderProbe(
  host: string,
  pid: number,
  deadPids: ReadonlySet<number>,
): LeaseHolderProbe {
  const me: LeaseHolder = { host, pid, startedAt: `start-${pid}` };
  return {
    current: () => me,
    isDeadOnThisHost: (holder) => holder.host === host && deadPids.has(holder.pid),
  };
}
