import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

import type { ClusterUser } from './cluster-user.js';

/** A cluster to stop and remove if the process ends before its `stop()`. */
export interface ReapableCluster {
  pgCtl: string;
  dataDir: string;
  /** The temporary folder holding the data directory, the log and the socket: removed whole. */
  dir: string;
  user: ClusterUser | undefined;
}

const live = new Set<ReapableCluster>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let installed = false;

/**
 * Makes sure `cluster` does not outlive this process: when the process exits (or is ended by
 * SIGINT, SIGTERM or SIGHUP) before the returned function is called, the cluster is stopped with
 * `pg_ctl stop -m immediate`, synchronously, and its folder removed. The returned function
 * forgets the cluster (once its own `stop()` has done that work).
 *
 * @example
 * ```ts
 * const forget = reapOnExit({ pgCtl, dataDir, dir, user });
 * // … later, in stop():
 * forget();
 * ```
 */
export function reapOnExit(cluster: ReapableCluster): () => void {
  install();
  live.add(cluster);
  return () => {
    live.delete(cluster);
  };
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', reapAll);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function onSignal(signal: NodeJS.Signals): void {
  reapAll();
  // With no other listener, Node would not end the process on this signal because of ours:
  // step aside and send it again, so that the default action ends the process as it would have.
  if (process.listenerCount(signal) === 1) {
    for (const each of SIGNALS) process.off(each, onSignal);
    process.kill(process.pid, signal);
  }
}

function reapAll(): void {
  for (const cluster of live) {
    try {
      execFileSync(cluster.pgCtl, ['-D', cluster.dataDir, '-m', 'immediate', '-w', 'stop'], {
        cwd: cluster.dir,
        stdio: 'ignore',
        timeout: 15_000,
        ...(cluster.user ? { uid: cluster.user.uid, gid: cluster.user.gid } : {}),
      });
    } catch {
      // Not running (paused, or already gone): nothing to stop.
    }
    rmSync(cluster.dir, { recursive: true, force: true, maxRetries: 3 });
  }
  live.clear();
}
