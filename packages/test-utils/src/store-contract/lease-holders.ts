import type { LeaseHolder, LeaseHolderProbe } from '@agent-state/state';

/**
 * Lease holders as the lease contracts stand them up: several "processes" (stores of one home, each
 * with its own probe) on two hosts, whose deaths the test decides. `probe(host, pid)` is process
 * `pid` on `host` (started at `start-<pid>`); it sees the holders of its own host whose pids are in
 * `dead` as dead, and never a holder of another host.
 *
 * @example
 * ```ts
 * const holders = leaseHolders();
 * const first = await h.reopen({ holderProbe: holders.probe('h', 100) });
 * holders.dead.add(100); // now every store on host h takes pid 100's leases over at once
 * ```
 */
export function leaseHolders(): {
  dead: Set<number>;
  probe(host: string, pid: number): LeaseHolderProbe;
} {
  const dead = new Set<number>();
  return {
    dead,
    probe(host, pid) {
      const me: LeaseHolder = { host, pid, startedAt: `start-${pid}` };
      return {
        current: () => me,
        isDeadOnThisHost: (holder) => holder.host === host && dead.has(holder.pid),
      };
    },
  };
}
