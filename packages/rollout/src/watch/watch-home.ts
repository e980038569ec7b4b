import { lstat, mkdir } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

import type { AsyncSubscription } from '@parcel/watcher';
import {
  type AgentStateStore,
  LeaseHeldError,
  type Logger,
  type ThreadMetadata,
  setClockTimer,
  startLeaseHeartbeat,
} from '@agent-state/state';

import { DEFAULT_MODEL_PROVIDER, MetadataApplier } from '../extract/metadata-applier.js';
import { isMissingError } from '../fs/errno.js';
import { indexRollouts } from '../indexer/index-rollouts.js';
import { keepArchiveTime } from '../indexer/keep-archive-time.js';
import { findRolloutCandidate } from '../paths/find-rollout-file.js';
import {
  ARCHIVED_SESSIONS_SUBDIR,
  SESSIONS_SUBDIR,
  isCompressedRolloutPath,
  isRolloutFileName,
  parseRolloutFileName,
  rolloutTwinPath,
} from '../paths/rollout-paths.js';
import { walkRollouts } from '../paths/rollout-walker.js';
import { LIVE_ROLLOUT_MAX_BYTES, LiveRollout } from './live-rollout.js';

/**
 * Default of {@link WatchHomeOptions.rescanIntervalMs}: the safety net's period, 5 minutes.
 *
 * @example
 * ```ts
 * await watchHome({ store, signal, rescanIntervalMs: WATCH_RESCAN_INTERVAL_MS / 5 }); // every minute
 * ```
 */
export const WATCH_RESCAN_INTERVAL_MS = 5 * 60_000;

/**
 * The watcher lease's length; it is renewed every third of it. Long, so that an idle watcher
 * seldom wakes: a watcher that dies on this host is replaced at once all the same (its lease
 * names its process), only one on another host or hung waits this out.
 */
const LEASE_SECONDS = 90;

/** The newest active rollouts followed from their end as the watcher starts. */
const SEEDED_ROLLOUTS = 8;

/** Plain rollouts followed line by line at once (the most recently changed are kept). */
const MAX_LIVE_ROLLOUTS = 64;

/**
 * One change the watcher made to the store:
 * - `indexed`: a rollout read whole (new, moved, compressed, materialized, or changed otherwise);
 * - `appended`: lines added to a followed rollout, read from where the last read ended;
 * - `removed`: a thread whose rollout is gone from the home (its row and all it held deleted).
 *
 * @example
 * ```ts
 * await watchHome({ store, signal, onChange: (change) => console.log(JSON.stringify(change)) });
 * ```
 */
export interface WatchChange {
  type: 'indexed' | 'appended' | 'removed';
  threadId: string;
  path: string;
  /** For `appended`: the lines read. */
  lines?: number | undefined;
}

/**
 * Options of {@link watchHome}.
 *
 * @example
 * ```ts
 * const options: WatchHomeOptions = { store, signal: controller.signal, onChange: console.log };
 * ```
 */
export interface WatchHomeOptions {
  /** The store kept current; its home is watched, its clock times the lease and the rescans. */
  store: AgentStateStore;
  /** Stops the watcher (it then finishes the change in hand and gives its lease back). */
  signal: AbortSignal;
  /** Told of each change made to the store. */
  onChange?: ((change: WatchChange) => void) | undefined;
  /** Told once the watcher is current and listening (after its first rescan). */
  onReady?: ((ready: { rollouts: number; changes: number }) => void) | undefined;
  /** The rescan that catches what events missed (default 5 minutes). */
  rescanIntervalMs?: number | undefined;
  defaultProvider?: string | undefined;
  logger?: Logger | undefined;
}

/**
 * Keeps a home's store current while Codex (or anything else) writes: the rows, search documents
 * and usage records of every rollout, as file-system events report changes (through
 * `@parcel/watcher`: inotify, FSEvents, ReadDirectoryChangesW), plus a rescan on start and every
 * `rescanIntervalMs` as a safety net. An append to a rollout is read from where the last read
 * ended; a new, archived, unarchived, compressed or materialized rollout is indexed whole; a
 * rollout deleted from the home takes its thread out of the store.
 *
 * One watcher per home: it holds the store's watcher lease (renewed on the store's clock; a
 * watcher that died on this host is taken over at once) and throws `LeaseHeldError` when another
 * live process holds it. It resolves once `signal` aborts, after the change in hand, with the
 * lease given back; it rejects when the lease is lost or the file-system watch fails.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * process.once('SIGINT', () => controller.abort());
 * await watchHome({ store, signal: controller.signal, onChange: (c) => console.log(c.type, c.threadId) });
 * ```
 */
export async function watchHome(options: WatchHomeOptions): Promise<void> {
  const { store } = options;
  const home = resolve(store.home);
  const log = (options.logger ?? store.logger).child({ target: 'agent_state::watch' });
  const claim = await store.watchLease.tryClaim({ workerId: 'watch', leaseSeconds: LEASE_SECONDS });
  if (claim.outcome === 'held') throw new LeaseHeldError('the watcher', { holder: claim.holder });
  const heartbeat = startLeaseHeartbeat({
    lease: 'watcher',
    clock: store.clock,
    intervalMs: (LEASE_SECONDS * 1000) / 3,
    leaseUntil: claim.leaseUntil,
    renew: () =>
      store.watchLease.heartbeat({
        ownershipToken: claim.ownershipToken,
        leaseSeconds: LEASE_SECONDS,
      }),
    logger: log,
  });
  const sync = new HomeSync(home, store, options, log);
  const stop = AbortSignal.any([options.signal, heartbeat.signal]);
  let subscription: AsyncSubscription | undefined;
  let cancelRescan = () => {};
  try {
    // The home must exist to be watched; its rollout trees may come later.
    await mkdir(home, { recursive: true });
    let failure: Error | undefined;
    // Loaded here: a native addon that only the watcher needs.
    const { subscribe } = await import('@parcel/watcher');
    subscription = await subscribe(
      home,
      (error, events) => {
        if (error) {
          failure = error;
          sync.wake();
          return;
        }
        for (const event of events) sync.note(event.path);
      },
      { ignore: ['**/*.sqlite', '**/*.sqlite-*', 'agent_state_trash', 'memories', 'log', 'tmp'] },
    );
    const ready = await sync.rescan({ seed: true });
    options.onReady?.({ rollouts: ready.rollouts, changes: ready.changes });
    const interval = options.rescanIntervalMs ?? WATCH_RESCAN_INTERVAL_MS;
    const scheduleRescan = (): void => {
      cancelRescan = setClockTimer(store.clock, interval, () => {
        sync.requestRescan();
        scheduleRescan();
      });
    };
    scheduleRescan();
    await sync.run(stop, () => failure);
    if (heartbeat.lost) throw heartbeat.signal.reason as Error;
  } finally {
    cancelRescan();
    await subscription?.unsubscribe().catch(() => undefined);
    await heartbeat.stop();
    if (!heartbeat.lost) {
      await store.watchLease.release({ ownershipToken: claim.ownershipToken }).catch(() => false);
    }
  }
}

/** What the watcher knows of the home and does about changes, one at a time. */
class HomeSync {
  readonly #home: string;
  readonly #store: AgentStateStore;
  readonly #options: WatchHomeOptions;
  readonly #log: Logger;
  readonly #roots: readonly string[];
  /** Paths with a change not handled yet, in the order noted. */
  readonly #pending = new Set<string>();
  /** Queued paths whose index is said only when it changed their row (the start-up check). */
  readonly #quiet = new Set<string>();
  /** Followed plain rollouts, least recently changed first. */
  readonly #live = new Map<string, LiveRollout>();
  #rescanRequested = false;
  #wake: (() => void) | undefined;

  constructor(home: string, store: AgentStateStore, options: WatchHomeOptions, log: Logger) {
    this.#home = home;
    this.#store = store;
    this.#options = options;
    this.#log = log;
    this.#roots = [SESSIONS_SUBDIR, ARCHIVED_SESSIONS_SUBDIR].map((tree) => join(home, tree) + sep);
  }

  /** A path the file system says changed: kept when it names a rollout in the trees. */
  note(path: string): void {
    if (!isRolloutFileName(basename(path))) return;
    if (!this.#roots.some((root) => path.startsWith(root))) return;
    this.#quiet.delete(path); // A change seen is always said.
    this.#pending.add(path);
    this.wake();
  }

  requestRescan(): void {
    this.#rescanRequested = true;
    this.wake();
  }

  wake(): void {
    this.#wake?.();
  }

  /** Handles changes until `stop` aborts (or the watch fails, which is thrown). */
  async run(stop: AbortSignal, failure: () => Error | undefined): Promise<void> {
    const onStop = () => this.wake();
    stop.addEventListener('abort', onStop);
    try {
      for (;;) {
        const failed = failure();
        if (failed) throw failed;
        if (stop.aborted) return;
        if (this.#rescanRequested) {
          this.#rescanRequested = false;
          await this.rescan();
          continue;
        }
        const [next] = this.#pending;
        if (next === undefined) {
          await new Promise<void>((resolve) => {
            this.#wake = resolve;
          });
          this.#wake = undefined;
          continue;
        }
        this.#pending.delete(next);
        await this.#handle(next).catch((error: unknown) => {
          this.#log.warn('cannot index a changed rollout; the next rescan tries again', {
            path: next,
            error: error instanceof Error ? error.message : String(error),
          });
        });
      }
    } finally {
      stop.removeEventListener('abort', onStop);
    }
  }

  /**
   * Compares the trees with the store and handles every difference: rollouts the store does not
   * know or knows with another mtime, and rows whose rollout is gone.
   */
  async rescan(options: { seed?: boolean } = {}): Promise<{ rollouts: number; changes: number }> {
    const rows = new Map<string, Pick<ThreadMetadata, 'id' | 'updatedAt'>>();
    for (let afterId: string | undefined; ;) {
      const batch = await this.#store.threads.scan({ limit: 2000, afterId });
      if (batch.length === 0) break;
      for (const row of batch) rows.set(row.rolloutPath, row);
      afterId = batch.at(-1)!.id;
    }
    let rollouts = 0;
    let changes = 0;
    for await (const file of walkRollouts({ home: this.#home, onUnreadable: () => undefined })) {
      rollouts += 1;
      const row = rows.get(file.path);
      rows.delete(file.path);
      rows.delete(rolloutTwinPath(file.path));
      const stats = await lstat(file.path).catch(() => undefined);
      if (row && stats && row.updatedAt === Math.floor(stats.mtimeMs / 1000)) {
        // At start, the newest active rollouts (those being written, likely) are queued to be
        // read whole once, right after the rescan, and then followed from their end, so that
        // their next lines are read alone. Read whole: the store keeps mtimes in whole seconds,
        // so lines written in the second of the last index (by a watcher that died then) do not
        // show in them.
        const seed = options.seed === true && !file.archived && this.#quiet.size < SEEDED_ROLLOUTS;
        if (seed && !isCompressedRolloutPath(file.path) && stats.size <= LIVE_ROLLOUT_MAX_BYTES) {
          this.#quiet.add(file.path);
          this.#pending.add(file.path);
        }
        continue;
      }
      changes += 1;
      await this.#handle(file.path);
    }
    // Rows whose rollout was not found: moved elsewhere in the home, or gone.
    for (const path of rows.keys()) {
      changes += 1;
      await this.#handle(path);
    }
    return { rollouts, changes };
  }

  /** Brings the store up to date with what is at `path` now. */
  async #handle(path: string, attempts = 3): Promise<void> {
    const stats = await lstat(path).catch((error: unknown) => {
      if (isMissingError(error)) return undefined;
      throw error;
    });
    if (stats?.isFile()) {
      try {
        const live = this.#live.get(path);
        if (live && (await this.#append(live))) return;
        await this.#indexWhole(path, stats.size, { quiet: this.#quiet.delete(path) });
        return;
      } catch (error) {
        // Moved or removed while it was read (archived and back at once, say): it is looked for
        // where it is now.
        if (!isMissingError(error) || attempts <= 1) throw error;
      }
    }
    await this.#gone(path, attempts - 1);
  }

  /** Indexes the lines appended to a followed rollout; `false` when it must be read whole. */
  async #append(live: LiveRollout): Promise<boolean> {
    // The row must name this file: one moved away and back (same inode) is indexed whole.
    const id = parseRolloutFileName(live.path)?.id;
    const row = id === undefined ? undefined : await this.#store.threads.get(id);
    if (!row || row.rolloutPath !== live.path) return false;
    const lines = await live.readAppended();
    if (lines === undefined) return false;
    if (lines.length === 0) return true;
    const applier = new MetadataApplier(row, {
      defaultProvider: this.#options.defaultProvider ?? DEFAULT_MODEL_PROVIDER,
    });
    for (const line of lines) applier.apply(line);
    const { mtimeMs } = await lstat(live.path);
    const metadata = {
      ...applier.result(),
      rolloutPath: live.path,
      updatedAt: Math.floor(mtimeMs / 1000),
    };
    await this.#store.index.write([
      { metadata, dynamicTools: null, derived: live.derived.records() },
    ]);
    this.#follow(live);
    this.#options.onChange?.({
      type: 'appended',
      threadId: row.id,
      path: live.path,
      lines: lines.length,
    });
    return true;
  }

  /** Reads a rollout whole through the indexer, and follows it from its end when it is plain. */
  async #indexWhole(path: string, size: number, options: { quiet?: boolean } = {}): Promise<void> {
    this.#live.delete(path);
    const archived = path.startsWith(this.#roots[1]!);
    const live =
      !isCompressedRolloutPath(path) && size <= LIVE_ROLLOUT_MAX_BYTES
        ? await LiveRollout.open(path)
        : undefined;
    const id = parseRolloutFileName(path)?.id;
    const row = id === undefined ? undefined : await this.#store.threads.get(id);
    const { indexed, failed } = await indexRollouts({
      store: this.#store,
      rollouts: [{ path, archived }],
      workers: 0,
      defaultProvider: this.#options.defaultProvider,
      logger: this.#log,
      adjust: (_, entry) => ({ ...entry, metadata: keepArchiveTime(row, entry.metadata) }),
    });
    if (failed[0]) throw failed[0].error;
    const thread = indexed[0]?.metadata;
    if (!thread) return;
    if (live) this.#follow(live);
    // Quiet: said only when the row changed (a start-up check of what looked current).
    if (options.quiet && isDeepStrictEqual(await this.#store.threads.get(thread.id), row)) return;
    this.#options.onChange?.({ type: 'indexed', threadId: thread.id, path });
  }

  /** A rollout that is no longer at `path`: found elsewhere in the home, or its thread removed. */
  async #gone(path: string, attempts: number): Promise<void> {
    this.#live.delete(path);
    const id = parseRolloutFileName(path)?.id;
    if (id === undefined) return;
    const row = await this.#store.threads.get(id);
    if (!row) return; // Never known: nothing to follow.
    // Already followed elsewhere, and there still.
    if (row.rolloutPath !== path && (await lstat(row.rolloutPath).catch(() => undefined))) return;
    for (const archived of [false, true]) {
      const found = await findRolloutCandidate({
        home: this.#home,
        threadId: id,
        archived,
        store: undefined,
        logger: this.#log,
      });
      if (found?.confined) {
        if (attempts > 0) await this.#handle(found.path, attempts);
        return;
      }
    }
    if (await this.#store.threads.delete(id)) {
      this.#options.onChange?.({ type: 'removed', threadId: id, path: row.rolloutPath });
    }
  }

  #follow(live: LiveRollout): void {
    this.#live.delete(live.path);
    this.#live.set(live.path, live);
    for (const [path] of this.#live) {
      if (this.#live.size <= MAX_LIVE_ROLLOUTS) break;
      this.#live.delete(path);
    }
  }
}
