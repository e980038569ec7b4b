import { constants } from 'node:fs';
import { type FileHandle, mkdir, open, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

import {
  AgentStateError,
  type Clock,
  type DynamicToolSpec,
  ErrorCode,
  InvalidArgumentError,
  type Logger,
  type ThreadMetadata,
  type ThreadIndexStore,
  type ThreadStore,
  isAgentStateError,
  noopLogger,
  normalizeThreadId,
} from '@agent-state/state';
import { v7 as uuidv7 } from 'uuid';
import * as z from 'zod';

import { RolloutFileError } from '../errors.js';
import { extractRolloutMetadata } from '../extract/extract-rollout.js';
import { indexEntry } from '../indexer/index-rollouts.js';
import {
  DEFAULT_MODEL_PROVIDER,
  MetadataApplier,
  builderFromSessionMeta,
} from '../extract/metadata-applier.js';
import {
  isCompressedRolloutPath,
  newRolloutLocation,
  plainRolloutPath,
} from '../paths/rollout-paths.js';
import { type RolloutLine, parseRolloutLine } from '../protocol/rollout-line.js';
import {
  type SessionMeta,
  type SessionMetaWrite,
  SessionMetaWriteSchema,
  type SessionSource,
  threadSpawnOf,
} from '../protocol/session-meta.js';
import { readRollout } from '../reader/rollout-reader.js';
import { LiveDerivedRecords } from '../indexer/live-derived-records.js';
import { forkedLines, readForkParent } from './fork-parent.js';
import { materializeRollout } from './materialize-rollout.js';
import { requireSessionThread } from './session-thread.js';
import { BoundedSerialQueue } from './bounded-serial-queue.js';
import type { EventPersistenceMode, RolloutItemInput } from './persistence-policy.js';
import {
  type CopiedItem,
  type PreparedItem,
  type WrittenLine,
  prepareItems,
  toWriteLine,
} from './write-line.js';

/**
 * Default bound of a recorder's write queue, in batches (Codex's channel capacity).
 *
 * @example
 * ```ts
 * await RolloutRecorder.create({ ...options, queueCapacity: DEFAULT_RECORDER_QUEUE_CAPACITY * 4 });
 * ```
 */
export const DEFAULT_RECORDER_QUEUE_CAPACITY = 256;

/**
 * The part of the state store a recorder uses: it reads its thread's row and writes through the
 * indexer's write path. Any `AgentStateStore` (such as `openStateStore`'s) is one.
 *
 * @example
 * ```ts
 * const store: RolloutRecorderStore = await openStateStore({ home, clock, logger });
 * ```
 */
export interface RolloutRecorderStore {
  threads: Pick<ThreadStore, 'get'>;
  index: ThreadIndexStore;
}

/**
 * Git facts of the session's working directory, written in `session_meta.git`. The recorder
 * never runs git itself: collect them (or not) before creating it.
 *
 * @example
 * ```ts
 * const git: RolloutGitInfo = { commitHash: '54bb7912…', branch: 'main', repositoryUrl: 'https://example.invalid/acme/repo-a.git' };
 * ```
 */
export interface RolloutGitInfo {
  commitHash?: string | undefined;
  branch?: string | undefined;
  repositoryUrl?: string | undefined;
}

/**
 * Options both {@link RolloutRecorder.create} and {@link RolloutRecorder.resume} take.
 *
 * @example
 * ```ts
 * const common: RolloutRecorderOptions = { clock: systemClock, logger, store, fsync: true };
 * ```
 */
export interface RolloutRecorderOptions {
  /** Timestamps of lines, the creation time and the file name come from it. */
  clock: Clock;
  /** Default: discard. */
  logger?: Logger | undefined;
  /**
   * The state store to keep in sync (the thread row and its dynamic tools). A store error is
   * logged and never stops the rollout from being written.
   */
  store?: RolloutRecorderStore | undefined;
  /** Which events are written (default `limited`, as Codex). */
  persistenceMode?: EventPersistenceMode | undefined;
  /** `fsync` the file after each batch (default false: written to the OS, not forced to disk). */
  fsync?: boolean | undefined;
  /** Most batches accepted and not yet written before `record` waits (default 256). */
  queueCapacity?: number | undefined;
  /** Provider for a thread whose `session_meta` names none (default `openai`). */
  defaultProvider?: string | undefined;
}

/**
 * Options of {@link RolloutRecorder.create}: the thread's `session_meta`, and where to write it.
 *
 * @example
 * ```ts
 * const options: CreateRolloutRecorderOptions = {
 *   home, cwd: process.cwd(), source: 'cli', originator: 'my_agent', cliVersion: '1.2.0',
 *   modelProvider: 'openai', clock: systemClock, logger: noopLogger,
 * };
 * ```
 */
export interface CreateRolloutRecorderOptions extends RolloutRecorderOptions {
  /** The home directory; the file goes to `<home>/sessions/YYYY/MM/DD/`. */
  home: string;
  /** Default: a new UUID v7 taken at the clock's time. */
  threadId?: string | undefined;
  cwd: string;
  /** `cli`, `vscode`, `exec`, `mcp`, or a structured source such as `{ subagent: 'review' }`. */
  source: SessionSource;
  /** The client, e.g. `codex_cli_rs`. */
  originator: string;
  cliVersion: string;
  modelProvider: string;
  /** Base instructions of the model; `null` (the default) when none. */
  baseInstructions?: string | null | undefined;
  /** Tools the client defines for the thread; written only when non-empty. */
  dynamicTools?: readonly DynamicToolSpec[] | undefined;
  /** The thread this one was forked from. */
  forkedFromId?: string | undefined;
  git?: RolloutGitInfo | undefined;
}

/**
 * Options of {@link RolloutRecorder.resume}.
 *
 * @example
 * ```ts
 * const options: ResumeRolloutRecorderOptions = { path, clock: systemClock, logger: noopLogger };
 * ```
 */
export interface ResumeRolloutRecorderOptions extends RolloutRecorderOptions {
  /** The existing rollout to append to. */
  path: string;
}

/**
 * Options of {@link RolloutRecorder.fork}: the parent rollout and the home the fork is written to.
 * Every `session_meta` field of {@link CreateRolloutRecorderOptions} may be given too; each
 * defaults to the parent's (a thread forked in the same place, with the same client and tools).
 *
 * @example
 * ```ts
 * const options: ForkRolloutRecorderOptions = {
 *   home, parentPath: row.rolloutPath, originator: 'my_agent', cliVersion: '1.2.0', clock: systemClock,
 * };
 * ```
 */
export interface ForkRolloutRecorderOptions
  extends
    RolloutRecorderOptions,
    Partial<
      Omit<CreateRolloutRecorderOptions, keyof RolloutRecorderOptions | 'home' | 'forkedFromId'>
    > {
  /** The home directory; the fork goes to `<home>/sessions/YYYY/MM/DD/`. */
  home: string;
  /** The rollout of the thread to fork (active or archived). */
  parentPath: string;
}

const TARGET = 'agent_state::rollout_recorder';

/** Lines a fork copies from its parent per write. */
const FORK_BATCH_LINES = 1_000;

/**
 * Writes one thread's rollout (Codex's `RolloutRecorder`), in the legacy JSONL format that both
 * Codex 0.100 and today's Codex read.
 *
 * - A new thread's file is created lazily, by {@link persist}: `session_meta` first, then the
 *   items recorded so far. A thread that is never persisted leaves no file.
 * - {@link record} applies the persistence policy (see `EventPersistenceMode`), validates each
 *   item exactly and queues the batch; one writer appends batches in order, each with one write
 *   call (and an `fsync` when asked). The queue is bounded: when it is full, `record` waits.
 * - Every line is `{timestamp, type, payload}`, validated with the exact write schema, timestamp
 *   = the clock's time of the write.
 * - With a store, the thread row follows the file: created at persist (and its dynamic tools),
 *   updated after each batch, `updatedAt` = the file's mtime. A store error is logged, never
 *   fatal to the rollout.
 * - {@link RolloutRecorder.resume} appends to an existing rollout; it never rewrites it.
 *
 * A failed write stops the recorder: later calls reject with that error (a
 * {@link RolloutFileError}), so nothing is silently lost.
 *
 * @example
 * ```ts
 * const recorder = await RolloutRecorder.create({
 *   home, cwd: '/home/me/src/app', source: 'cli', originator: 'my_agent', cliVersion: '1.0.0',
 *   modelProvider: 'openai', clock: systemClock, logger, store,
 * });
 * await recorder.record([{ type: 'event_msg', payload: { type: 'user_message', message: 'Fix the test', images: [], local_images: [], text_elements: [] } }]);
 * await recorder.persist(); // the file appears now
 * await recorder.close();
 * ```
 */
export class RolloutRecorder {
  /** Absolute path of the rollout file (it exists once {@link persisted} is true). */
  readonly path: string;
  /** The thread id (lowercase UUID). */
  readonly threadId: string;
  /** Which events this recorder writes. */
  readonly persistenceMode: EventPersistenceMode;

  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #store: RolloutRecorderStore | undefined;
  readonly #fsync: boolean;
  readonly #defaultProvider: string;
  readonly #queue: BoundedSerialQueue;
  /** The `session_meta` to write at persist (new threads only). */
  readonly #sessionMeta: SessionMetaWrite | undefined;
  readonly #dynamicTools: DynamicToolSpec[] | null;
  #handle: FileHandle | undefined;
  #buffer: Array<PreparedItem | CopiedItem> = [];
  #persisting: Promise<void> | undefined;
  /** The file lacked a final newline (a writer died mid-line): start our first write with one. */
  #leadingNewline: boolean;
  /** Thread metadata as of everything written (kept only with a store). */
  #baseline: ThreadMetadata | undefined;
  /**
   * The derived records (search documents, usage records) of everything written, kept current
   * line by line (with a store): each store update writes them with the row, so search and usage
   * see a turn as soon as it is written.
   */
  #derived: LiveDerivedRecords | undefined;
  /** The last store update failed: the row may miss items, so rebuild it from the baseline. */
  #storeBehind = false;
  /** The thread's dynamic tools still have to be stored (after its row). */
  #toolsPending = false;
  #failure: AgentStateError | undefined;
  #closing: Promise<void> | undefined;

  /** @internal Use {@link RolloutRecorder.create} or {@link RolloutRecorder.resume}. */
  constructor(init: {
    path: string;
    threadId: string;
    options: RolloutRecorderOptions;
    sessionMeta: SessionMetaWrite | undefined;
    dynamicTools: DynamicToolSpec[] | null;
    handle: FileHandle | undefined;
    leadingNewline: boolean;
    baseline: ThreadMetadata | undefined;
    derived?: LiveDerivedRecords | undefined;
  }) {
    const { options } = init;
    this.path = init.path;
    this.threadId = init.threadId;
    this.persistenceMode = options.persistenceMode ?? 'limited';
    this.#clock = options.clock;
    this.#logger = (options.logger ?? noopLogger).child({
      target: TARGET,
      threadId: init.threadId,
    });
    this.#store = options.store;
    this.#fsync = options.fsync ?? false;
    this.#defaultProvider = options.defaultProvider ?? DEFAULT_MODEL_PROVIDER;
    this.#sessionMeta = init.sessionMeta;
    this.#dynamicTools = init.dynamicTools;
    this.#handle = init.handle;
    this.#leadingNewline = init.leadingNewline;
    this.#baseline = init.baseline;
    this.#derived = init.derived ?? (options.store ? new LiveDerivedRecords() : undefined);
    this.#queue = new BoundedSerialQueue({
      capacity: options.queueCapacity ?? DEFAULT_RECORDER_QUEUE_CAPACITY,
      onError: (error) => this.#fail(error),
    });
  }

  /**
   * A recorder for a new thread. Creates nothing on disk until {@link persist}. Throws
   * {@link InvalidArgumentError} for a bad thread id, fork id, queue capacity or session field.
   *
   * @example
   * ```ts
   * const recorder = await RolloutRecorder.create({
   *   home: '/home/me/.codex', cwd: '/home/me/src/app', source: 'exec', originator: 'codex_exec',
   *   cliVersion: '0.100.0', modelProvider: 'openai', baseInstructions: 'You are a coding agent…',
   *   git: { commitHash: 'abc123', branch: 'main' }, clock: systemClock, logger: noopLogger,
   * });
   * recorder.path; // /home/me/.codex/sessions/2026/11/21/rollout-2026-11-21T06-44-05-<id>.jsonl
   * ```
   */
  static async create(options: CreateRolloutRecorderOptions): Promise<RolloutRecorder> {
    checkQueueCapacity(options.queueCapacity);
    const nowMs = options.clock.now();
    const threadId =
      options.threadId === undefined
        ? uuidv7({ msecs: nowMs })
        : normalizeThreadId(options.threadId, 'threadId');
    const { dir, name } = newRolloutLocation(new Date(nowMs), threadId);
    const path = join(resolve(options.home), dir, name);
    const dynamicTools =
      options.dynamicTools && options.dynamicTools.length > 0
        ? options.dynamicTools.map((tool) => ({ ...tool }))
        : null;
    const sessionMeta = buildSessionMeta(options, { threadId, nowMs, dynamicTools });
    return new RolloutRecorder({
      path,
      threadId,
      options,
      sessionMeta,
      dynamicTools,
      handle: undefined,
      leadingNewline: false,
      baseline: undefined,
    });
  }

  /**
   * A new thread forked from an existing one, as Codex forks: a new thread id, a `session_meta`
   * with `forked_from_id` = the parent's id, then a copy of the parent's lines (its
   * `session_meta` lines included; the parent's writer already chose what to persist, and lines
   * only the paginated format has are left out), all written at once: a fork is on disk (and,
   * with a store, indexed) when this resolves. The parent's lines are only read; a compressed
   * parent (`.jsonl.zst`) is first materialized as Codex does (see {@link materializeRollout}:
   * its plain file replaces it, byte for byte, mtime kept), and with a store the parent's row
   * then points at the plain file. Record the fork's next turns as usual; the persistence policy
   * applies to them. Throws {@link RolloutFileError} when the parent cannot be read (or
   * materialized) or names no thread, {@link InvalidArgumentError} as
   * {@link RolloutRecorder.create} does.
   *
   * @example
   * ```ts
   * const parent = await store.threads.get(threadId);
   * const fork = await RolloutRecorder.fork({ home, parentPath: parent!.rolloutPath, store, clock: systemClock });
   * await fork.record(nextTurnItems); // the conversation goes on in the fork; the parent is unchanged
   * await fork.close();
   * ```
   */
  static async fork(options: ForkRolloutRecorderOptions): Promise<RolloutRecorder> {
    checkQueueCapacity(options.queueCapacity);
    const requestedParent = resolve(options.parentPath);
    // The parent's head is checked before anything on disk changes.
    const { meta, threadId: parentId } = await readForkParent(requestedParent);
    const git = meta.git ?? undefined;
    const recorder = await RolloutRecorder.create({
      cwd: meta.cwd,
      source: meta.source ?? 'vscode',
      originator: meta.originator ?? '',
      cliVersion: meta.cli_version ?? '',
      modelProvider: meta.model_provider ?? options.defaultProvider ?? DEFAULT_MODEL_PROVIDER,
      baseInstructions: meta.base_instructions?.text ?? null,
      dynamicTools: dynamicToolsOf(meta) ?? undefined,
      git:
        git === undefined
          ? undefined
          : {
              commitHash: git.commit_hash ?? undefined,
              branch: git.branch ?? undefined,
              repositoryUrl: git.repository_url ?? undefined,
            },
      ...definedOnly(options),
      home: options.home,
      clock: options.clock,
      forkedFromId: parentId,
    });
    const parentPath = await materializeRollout(requestedParent, { logger: options.logger });
    if (parentPath !== requestedParent) await recorder.#pointRowAtPlainFile(parentId, parentPath);
    await recorder.#command(async () => recorder.#materializeFork(parentPath));
    return recorder;
  }

  /**
   * A recorder that appends to an existing rollout (a resumed thread). Reads the file once (to
   * learn the thread and, with a store, its metadata so far), then opens it for appending. No
   * second `session_meta` is written. A compressed rollout (`.jsonl.zst`) is first materialized
   * as Codex does before appending (see {@link materializeRollout}: its plain file replaces it,
   * byte for byte, mtime kept) and the recorder appends to the plain file (its `path`); with a
   * store, the thread's row then points at the plain file. Throws {@link RolloutFileError}:
   * `ROLLOUT_UNREADABLE` when the file cannot be read, materialized or opened, `ROLLOUT_INVALID`
   * when it holds no `session_meta` or is paginated (checked before a compressed file is
   * materialized: a refused resume changes nothing on disk).
   *
   * @example
   * ```ts
   * const recorder = await RolloutRecorder.resume({ path, store, clock: systemClock, logger });
   * await recorder.record(nextTurnItems);
   * await recorder.close();
   * ```
   */
  static async resume(options: ResumeRolloutRecorderOptions): Promise<RolloutRecorder> {
    checkQueueCapacity(options.queueCapacity);
    const requested = resolve(options.path);
    const defaultProvider = options.defaultProvider ?? DEFAULT_MODEL_PROVIDER;
    let path = requested;
    if (isCompressedRolloutPath(requested)) {
      // Refuse (no thread, paginated) from the compressed file's head, before changing anything.
      await readForResume(requested, { defaultProvider, withMetadata: false });
      path = await materializeRollout(requested, { logger: options.logger });
    }
    const { sessionMeta, threadId, baseline, derived } = await readForResume(path, {
      defaultProvider,
      withMetadata: options.store !== undefined,
    });
    let handle: FileHandle;
    try {
      // Append to the file that was read; never create one (it may have been moved or removed).
      handle = await open(path, constants.O_RDWR | constants.O_APPEND);
    } catch (error) {
      throw writeError(path, 'cannot open for appending', error);
    }
    try {
      const { size, mtimeMs } = await handle.stat();
      let leadingNewline = false;
      if (size > 0) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, size - 1);
        leadingNewline = last[0] !== 0x0a;
      }
      const recorder = new RolloutRecorder({
        path,
        threadId,
        options,
        sessionMeta: undefined,
        dynamicTools: dynamicToolsOf(sessionMeta),
        handle,
        leadingNewline,
        baseline: baseline && { ...baseline, updatedAt: Math.floor(mtimeMs / 1000) },
        derived,
      });
      await recorder.#pointRowAtPlainFile(threadId, path);
      return recorder;
    } catch (error) {
      await handle.close();
      throw isAgentStateError(error) ? error : writeError(path, 'cannot read', error);
    }
  }

  /**
   * True once the file exists and is open: after {@link persist} for a new thread, always for a
   * resumed one.
   *
   * @example
   * ```ts
   * if (!recorder.persisted) await recorder.persist();
   * ```
   */
  get persisted(): boolean {
    return this.#handle !== undefined;
  }

  /**
   * Records items: drops what the persistence policy does not keep, validates the rest exactly,
   * and queues them as one batch (buffered in memory until {@link persist} for a new thread).
   * Resolves once the batch is accepted; when the queue already holds `queueCapacity` batches it
   * waits for room first. Throws {@link InvalidArgumentError} for an off-spec item (nothing of
   * the batch is queued), or the recorder's write error once a write has failed.
   *
   * @example
   * ```ts
   * await recorder.record([
   *   { type: 'turn_context', payload: { cwd: '/home/me/src/app', approval_policy: 'on-request', sandbox_policy: { type: 'read-only' }, model: 'gpt-5', summary: 'auto' } },
   *   { type: 'event_msg', payload: { type: 'agent_message_delta', delta: 'Do' } }, // dropped by the policy
   *   { type: 'event_msg', payload: { type: 'agent_message', message: 'Done.' } },
   * ]);
   * ```
   */
  async record(items: readonly RolloutItemInput[]): Promise<void> {
    this.#checkOpen();
    const prepared = prepareItems(items, this.persistenceMode);
    if (prepared.length === 0) return;
    await this.#queue.submit(async () => this.#writeItems(prepared));
  }

  /**
   * Makes sure the file exists: for a new thread, creates it with `session_meta` and the items
   * buffered so far, and (with a store) inserts the thread row and its dynamic tools. Idempotent:
   * later calls resolve at once once done. Resolves after the write. Rejects with a
   * {@link RolloutFileError} when the file cannot be created (also when a file of that name
   * already exists: the recorder never writes into a file it did not create).
   *
   * @example
   * ```ts
   * await recorder.record(firstTurn);
   * await recorder.persist(); // when real work starts
   * ```
   */
  persist(): Promise<void> {
    this.#persisting ??= this.#command(async () => this.#materialize());
    return this.#persisting;
  }

  /**
   * Waits until every batch queued so far is written (and the store updated). Rejects with the
   * recorder's write error if a write failed.
   *
   * @example
   * ```ts
   * await recorder.record(items);
   * await recorder.flush(); // the lines are in the file now
   * ```
   */
  async flush(): Promise<void> {
    await this.#queue.idle();
    if (this.#failure) throw this.#failure;
  }

  /**
   * Writes everything queued, then closes the file. Idempotent. A thread that was never
   * persisted leaves no file (its buffered items are dropped, as Codex does). Rejects with the
   * recorder's write error if a write failed (the file is closed all the same). `record` after
   * `close` throws.
   *
   * @example
   * ```ts
   * try {
   *   await recorder.record(items);
   * } finally {
   *   await recorder.close();
   * }
   * ```
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#queue.idle();
      const handle = this.#handle;
      if (handle) {
        try {
          await handle.close();
        } catch (error) {
          this.#fail(error);
        }
      }
      if (this.#buffer.length > 0) {
        this.#logger.debug('closed before persist: buffered items dropped', {
          path: this.path,
          items: this.#buffer.length,
        });
        this.#buffer = [];
      }
      if (this.#failure) throw this.#failure;
    })();
    return this.#closing;
  }

  #checkOpen(): void {
    if (this.#failure) throw this.#failure;
    if (this.#closing) {
      throw new AgentStateError(
        ErrorCode.InvalidArgument,
        `rollout recorder of ${this.path} is closed`,
        { path: this.path },
      );
    }
  }

  /** Queues a command and resolves when it has run (or rejects with its error). */
  async #command(run: () => Promise<void>): Promise<void> {
    this.#checkOpen();
    let settle!: { resolve: () => void; reject: (error: unknown) => void };
    const done = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    await this.#queue.submit(async () => {
      try {
        if (this.#failure) throw this.#failure;
        await run();
        settle.resolve();
      } catch (error) {
        settle.reject(this.#fail(error));
      }
    });
    return done;
  }

  async #writeItems(items: PreparedItem[]): Promise<void> {
    if (this.#failure) return; // the writer stopped; the caller learns at its next call
    if (!this.#handle) {
      this.#buffer.push(...items);
      return;
    }
    const lines = await this.#append(items);
    await this.#updateStore(lines, 'append');
  }

  async #materialize(): Promise<void> {
    if (this.#handle) return;
    const meta = await this.#createFile();
    const items: Array<PreparedItem | CopiedItem> = [
      { type: 'session_meta', payload: meta },
      ...this.#buffer,
    ];
    this.#buffer = [];
    const lines = await this.#append(items);
    await this.#updateStore(lines, 'create');
  }

  /** Creates the file of a new thread (never one that exists); returns its `session_meta`. */
  async #createFile(): Promise<SessionMetaWrite> {
    const meta = this.#sessionMeta;
    if (!meta) throw new Error('a recorder without a session_meta always has an open file');
    try {
      await mkdir(dirname(this.path), { recursive: true });
      // `x`: a file of this name that we did not create is never written into.
      this.#handle = await open(this.path, 'ax');
    } catch (error) {
      throw writeError(this.path, 'cannot create', error);
    }
    return meta;
  }

  /**
   * Writes a fork: its `session_meta`, then the parent's lines streamed in batches (memory stays
   * bounded whatever the parent's size); then, with a store, indexes the whole file at once. A
   * copy that fails half-way removes the partial file (created by this call) and rethrows.
   */
  async #materializeFork(parentPath: string): Promise<void> {
    const meta = await this.#createFile();
    try {
      await this.#append([{ type: 'session_meta', payload: meta }]);
      for await (const batch of forkedLines(parentPath, FORK_BATCH_LINES)) {
        await this.#append(batch);
      }
    } catch (error) {
      const handle = this.#handle;
      this.#handle = undefined;
      await handle?.close().catch(() => undefined);
      await unlink(this.path).catch(() => undefined);
      throw error;
    }
    this.#persisting = Promise.resolve();
    await this.#indexWholeFile();
  }

  /** Stores the row (and dynamic tools) of the file as written so far, by a streamed extraction. */
  async #indexWholeFile(): Promise<void> {
    const store = this.#store;
    if (!store) return;
    try {
      const derived = new LiveDerivedRecords();
      const extracted = extractRolloutMetadata(this.path, {
        defaultProvider: this.#defaultProvider,
        derivedIndexes: derived.definitions(),
      });
      derived.skipTo(extracted.lines);
      this.#derived = derived;
      this.#baseline = extracted.metadata;
      await store.index.write([{ ...indexEntry(extracted), dynamicTools: this.#dynamicTools }]);
    } catch (error) {
      this.#storeBehind = true;
      this.#toolsPending = this.#dynamicTools !== null;
      this.#logger.warn('could not update the state store; the rollout is written all the same', {
        path: this.path,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** Appends the items as lines with one write call; returns the lines written. */
  async #append(items: ReadonlyArray<PreparedItem | CopiedItem>): Promise<WrittenLine[]> {
    const handle = this.#handle;
    if (!handle) throw new Error('append before the file is open');
    const timestamp = new Date(this.#clock.now()).toISOString();
    const lines = items.map((item): WrittenLine =>
      'copied' in item
        ? { timestamp, type: item.type, payload: item.payload }
        : toWriteLine(item, timestamp),
    );
    let text = '';
    if (this.#leadingNewline) text = '\n';
    for (const line of lines) text += `${JSON.stringify(line)}\n`;
    const bytes = Buffer.from(text, 'utf8');
    try {
      let offset = 0;
      while (offset < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
        offset += bytesWritten;
      }
      if (this.#fsync) await handle.sync();
    } catch (error) {
      throw writeError(this.path, 'cannot write', error);
    }
    this.#leadingNewline = false;
    return lines;
  }

  /**
   * Brings the thread row up to date with lines just written. At creation the row is built from
   * `session_meta`; later the current row (or, when it is missing or behind, the in-memory
   * baseline) gets the new lines applied. Never throws: a store error is logged.
   */
  async #updateStore(lines: readonly WrittenLine[], stage: 'create' | 'append'): Promise<void> {
    const store = this.#store;
    const handle = this.#handle;
    if (!store || !handle) return;
    const parsed = lines.flatMap((line) => {
      const result = parseRolloutLine(line);
      return 'line' in result ? [result.line] : [];
    });
    for (const line of parsed) this.#derived?.append(line);
    const options = { defaultProvider: this.#defaultProvider };
    const advance = (start: ThreadMetadata): ThreadMetadata => {
      const applier = new MetadataApplier(start, options);
      for (const line of parsed) applier.apply(line);
      return { ...applier.result(), rolloutPath: this.path };
    };

    let previous = this.#baseline;
    if (stage === 'create') {
      const first = parsed[0];
      previous =
        first?.type === 'session_meta'
          ? builderFromSessionMeta(first.payload, this.path, options)
          : undefined;
    }
    // The baseline follows the file whatever happens to the store.
    const baseline = previous ? advance(previous) : undefined;
    this.#baseline = baseline;
    try {
      const updatedAt = Math.floor((await handle.stat()).mtimeMs / 1000);
      if (baseline) baseline.updatedAt = updatedAt;
      let next = baseline;
      let rowIsNew = stage === 'create';
      if (stage === 'append') {
        const row = await store.threads.get(this.threadId);
        rowIsNew = row === undefined;
        // The row keeps its path and archive state: the thread may have been archived (its file
        // moved, which this open handle follows) since the recorder opened it. A path that still
        // names this file's compressed twin (materialized at resume) names this file.
        if (row && !this.#storeBehind) {
          next = { ...advance(row), rolloutPath: this.#ownPathFor(row.rolloutPath), updatedAt };
        } else if (row && baseline) {
          const rolloutPath = this.#ownPathFor(row.rolloutPath);
          next = { ...baseline, rolloutPath, archivedAt: row.archivedAt };
        }
      }
      if (!next) {
        this.#logger.warn('cannot index the thread: its session_meta is unusable', {
          path: this.path,
        });
        return;
      }
      const toolsPending = this.#toolsPending || (rowIsNew && this.#dynamicTools !== null);
      await store.index.write([
        {
          metadata: next,
          dynamicTools: toolsPending ? this.#dynamicTools : null,
          ...(this.#derived ? { derived: this.#derived.records() } : {}),
        },
      ]);
      this.#storeBehind = false;
      this.#toolsPending = false;
    } catch (error) {
      this.#storeBehind = true;
      this.#logger.warn('could not update the state store; the rollout is written all the same', {
        path: this.path,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /**
   * `rolloutPath` as a row of this thread should hold it: this file's path when `rolloutPath`
   * names its compressed twin (the `.jsonl.zst` it was materialized from), else unchanged.
   */
  #ownPathFor(rolloutPath: string): string {
    return isCompressedRolloutPath(rolloutPath) &&
      plainRolloutPath(resolve(rolloutPath)) === this.path
      ? this.path
      : rolloutPath;
  }

  /**
   * With a store: a row of `threadId` that names the compressed twin of `plain` (the rollout was
   * just materialized, or was by an earlier process) is pointed at `plain`, so that nobody takes
   * the thread for gone. Never throws: a store error is logged (for the recorder's own thread,
   * its next append points the row at this file all the same; see {@link #ownPathFor}).
   */
  async #pointRowAtPlainFile(threadId: string, plain: string): Promise<void> {
    const store = this.#store;
    if (!store) return;
    try {
      const row = await store.threads.get(threadId);
      if (!row || !isCompressedRolloutPath(row.rolloutPath)) return;
      if (plainRolloutPath(resolve(row.rolloutPath)) !== plain) return;
      await store.index.write([{ metadata: { ...row, rolloutPath: plain } }]);
      this.#logger.debug('store row now points at the materialized rollout', {
        threadId,
        path: plain,
      });
    } catch (error) {
      this.#logger.warn('could not point the store row at the materialized rollout', {
        threadId,
        path: plain,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** Records the first write failure (later calls reject with it) and returns it. */
  #fail(error: unknown): AgentStateError {
    const failure = isAgentStateError(error) ? error : writeError(this.path, 'cannot write', error);
    if (!this.#failure) {
      this.#failure = failure;
      this.#logger.error('rollout recorder stopped: a write failed', {
        path: this.path,
        error: failure.message,
      });
    }
    return failure;
  }
}

/**
 * Reads a rollout to resume it, streaming (memory stays bounded): its first `session_meta`, and
 * with `withMetadata` the thread's metadata as of its last line. Throws {@link RolloutFileError}:
 * `ROLLOUT_UNREADABLE` when it cannot be read, `ROLLOUT_INVALID` when it names no thread or is
 * in the paginated format, which only Codex itself may append to (each line carries an ordinal
 * that Codex's history index points at).
 */
async function readForResume(
  path: string,
  options: { defaultProvider: string; withMetadata: boolean },
): Promise<{
  sessionMeta: SessionMeta;
  threadId: string;
  baseline: ThreadMetadata | undefined;
  derived: LiveDerivedRecords | undefined;
}> {
  const reader = readRollout(path);
  let applier: MetadataApplier | undefined;
  const derived = options.withMetadata ? new LiveDerivedRecords() : undefined;
  /** Lines before the first `session_meta` (rare), applied once it is known. */
  const early: RolloutLine[] = [];
  for await (const { line, lineNumber } of reader) {
    if (!options.withMetadata) {
      if (line.type === 'session_meta') break;
      continue;
    }
    derived?.line(line, lineNumber);
    if (!applier && line.type === 'session_meta') {
      const start = builderFromSessionMeta(line.payload, path, options);
      if (!start) break;
      applier = new MetadataApplier(start, options);
      for (const before of early.splice(0)) applier.apply(before);
    }
    if (applier) applier.apply(line);
    else early.push(line);
  }
  const { meta: sessionMeta, threadId } = requireSessionThread(path, reader.sessionMeta, 'resume');
  if (sessionMeta.history_mode === 'paginated') {
    throw new RolloutFileError(
      ErrorCode.RolloutInvalid,
      path,
      'a paginated rollout (history_mode "paginated", written by a newer Codex): only Codex may append to it; fork it to continue here',
    );
  }
  derived?.skipTo(reader.lines);
  return { sessionMeta, threadId, baseline: applier?.result(), derived };
}

function checkQueueCapacity(capacity: number | undefined): void {
  if (capacity !== undefined && (!Number.isInteger(capacity) || capacity < 1)) {
    throw new InvalidArgumentError('queueCapacity', `expected a positive integer, got ${capacity}`);
  }
}

function buildSessionMeta(
  options: CreateRolloutRecorderOptions,
  init: { threadId: string; nowMs: number; dynamicTools: DynamicToolSpec[] | null },
): SessionMetaWrite {
  const nickname = threadSpawnOf(options.source)?.agent_nickname;
  const git = options.git;
  const candidate = {
    id: init.threadId,
    ...(options.forkedFromId === undefined
      ? {}
      : { forked_from_id: normalizeThreadId(options.forkedFromId, 'forkedFromId') }),
    timestamp: new Date(init.nowMs).toISOString(),
    cwd: options.cwd,
    originator: options.originator,
    cli_version: options.cliVersion,
    source: options.source,
    ...(nickname === undefined ? {} : { agent_nickname: nickname }),
    model_provider: options.modelProvider,
    base_instructions:
      options.baseInstructions === undefined || options.baseInstructions === null
        ? null
        : { text: options.baseInstructions },
    ...(init.dynamicTools
      ? {
          dynamic_tools: init.dynamicTools.map((tool) => ({
            name: tool.name,
            description: tool.description,
            input_schema: tool.inputSchema,
          })),
        }
      : {}),
    ...(git === undefined
      ? {}
      : {
          git: {
            ...(git.commitHash === undefined ? {} : { commit_hash: git.commitHash }),
            ...(git.branch === undefined ? {} : { branch: git.branch }),
            ...(git.repositoryUrl === undefined ? {} : { repository_url: git.repositoryUrl }),
          },
        }),
  };
  const result = SessionMetaWriteSchema.safeParse(candidate);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InvalidArgumentError(
      'session_meta',
      issue ? `${issue.path.join('.')}: ${issue.message}` : z.prettifyError(result.error),
      { cause: result.error },
    );
  }
  return result.data;
}

/** The options without their `undefined` entries, so they do not hide the parent's defaults. */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}

function dynamicToolsOf(meta: SessionMeta): DynamicToolSpec[] | null {
  const tools = meta.dynamic_tools;
  if (!tools || tools.length === 0) return null;
  return tools.map((tool) => ({
    name: tool.name,
    description: tool.description,
    inputSchema: tool.input_schema,
  }));
}

function writeError(path: string, what: string, error: unknown): RolloutFileError {
  if (error instanceof RolloutFileError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'EEXIST'
      ? 'a file of that name already exists (it is never overwritten)'
      : error instanceof Error
        ? error.message
        : String(error);
  return new RolloutFileError(ErrorCode.RolloutUnreadable, path, `${what}: ${why}`, {
    cause: error,
  });
}
