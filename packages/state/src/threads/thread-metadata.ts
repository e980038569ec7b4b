import { InvalidArgumentError } from '../errors.js';

/**
 * Metadata of one thread (a session), as kept in the `threads` table. Field meanings follow the
 * Codex's `threads` table (its original columns, `state_5.sqlite` of early 2026); times are whole unix seconds.
 *
 * @example
 * ```ts
 * const thread: ThreadMetadata = await store.threads.get('01a1fca2-1d67-7971-8727-3cd36fd8d76f');
 * console.log(thread.title, new Date(thread.updatedAt * 1000));
 * ```
 */
export interface ThreadMetadata {
  /** Thread id: a lowercase hyphenated UUID (v7 for threads Codex or agent-state create). */
  id: string;
  /** Absolute path of the rollout file. */
  rolloutPath: string;
  /** Creation time, unix seconds. */
  createdAt: number;
  /** Last update, unix seconds (the rollout file's mtime when read from a file). */
  updatedAt: number;
  /** Session source: `cli`, `vscode`, `exec`, `mcp`, … or compact JSON for structured sources. */
  source: string;
  /** Model provider id (e.g. `openai`). */
  modelProvider: string;
  /** Working directory of the session. */
  cwd: string;
  /** Version of the agent that wrote the rollout; `''` when unknown. */
  cliVersion: string;
  /** Title: the first non-empty user message; `''` until there is one. */
  title: string;
  /** Sandbox policy as compact JSON text, e.g. `{"type":"read-only"}`. */
  sandboxPolicy: string;
  /** Approval mode, e.g. `on-request`, `never`. */
  approvalMode: string;
  /** Total tokens reported by the last token count. */
  tokensUsed: number;
  /** Preview of the first user message (`[Image]` for image-only); `null` when there is none. */
  firstUserMessage: string | null;
  /** When the thread was archived, unix seconds; `null` while active. */
  archivedAt: number | null;
  gitSha: string | null;
  gitBranch: string | null;
  gitOriginUrl: string | null;
  /**
   * Why the thread exists, as Codex 0.169 records it (`thread_source` of its `session_meta`):
   * `user`, `subagent`, …; `null` when the rollout does not say.
   */
  threadSource: string | null;
  /** Nickname of a sub-agent thread (`Peirce`); `null` for other threads. */
  agentNickname: string | null;
  /** Role of a sub-agent thread; `null` when it has none. */
  agentRole: string | null;
  /** The thread that spawned this sub-agent thread; `null` for other threads. */
  parentThreadId: string | null;
  /** The thread this one was forked from; `null` unless it is a fork. */
  forkedFromId: string | null;
  /**
   * Where the thread lives, set by a store that answers over many homes (a PostgreSQL store
   * opened across homes); absent from a home's own store.
   */
  origin?: ThreadOrigin | undefined;
}

/**
 * The home a thread belongs to, in a store shared by many homes and machines.
 *
 * @example
 * ```ts
 * const where = thread.origin ? `${thread.origin.host}:${thread.origin.homePath}` : 'here';
 * ```
 */
export interface ThreadOrigin {
  /** The home's id (`readHomeIdentity`). */
  homeId: string;
  /** The machine it was last pushed from. */
  host: string;
  /** The home's path on that machine. */
  homePath: string;
}

/**
 * The fields of {@link ThreadMetadata} in declaration order (the order {@link diffThreadMetadata}
 * reports them in).
 *
 * @example
 * ```ts
 * for (const field of THREAD_METADATA_FIELDS) console.log(field, thread[field]);
 * ```
 */
export const THREAD_METADATA_FIELDS = Object.freeze([
  'id',
  'rolloutPath',
  'createdAt',
  'updatedAt',
  'source',
  'modelProvider',
  'cwd',
  'cliVersion',
  'title',
  'sandboxPolicy',
  'approvalMode',
  'tokensUsed',
  'firstUserMessage',
  'archivedAt',
  'gitSha',
  'gitBranch',
  'gitOriginUrl',
  'threadSource',
  'agentNickname',
  'agentRole',
  'parentThreadId',
  'forkedFromId',
] as const satisfies ReadonlyArray<keyof ThreadMetadata>);

/**
 * Sandbox policy of a thread whose rollout names none (Codex's default: read-only).
 *
 * @example
 * ```ts
 * JSON.parse(DEFAULT_SANDBOX_POLICY); // { type: 'read-only' }
 * ```
 */
export const DEFAULT_SANDBOX_POLICY = '{"type":"read-only"}';

/**
 * Approval mode of a thread whose rollout names none (Codex's default).
 *
 * @example
 * ```ts
 * const meta = buildThreadMetadata(
 *   { id, rolloutPath, createdAt, source: 'cli' },
 *   { defaultProvider: 'openai' },
 * );
 * meta.approvalMode === DEFAULT_APPROVAL_MODE; // true: 'on-request'
 * ```
 */
export const DEFAULT_APPROVAL_MODE = 'on-request';

/**
 * What {@link buildThreadMetadata} needs: the four required fields and any optional ones.
 *
 * @example
 * ```ts
 * const input: ThreadMetadataInput = {
 *   id: '01a1fca2-1d67-7971-8727-3cd36fd8d76f',
 *   rolloutPath,
 *   createdAt: 1795239845,
 *   source: 'vscode',
 *   cwd: '/home/me/src/app',
 * };
 * const meta = buildThreadMetadata(input, { defaultProvider: 'openai' });
 * ```
 */
export interface ThreadMetadataInput {
  id: string;
  rolloutPath: string;
  /** Unix seconds; fractions are dropped. */
  createdAt: number;
  source: string;
  /** Unix seconds; defaults to `createdAt`. */
  updatedAt?: number | undefined;
  /** Defaults to the `defaultProvider` option. */
  modelProvider?: string | undefined;
  cwd?: string | undefined;
  cliVersion?: string | undefined;
  sandboxPolicy?: string | undefined;
  approvalMode?: string | undefined;
  archivedAt?: number | null | undefined;
  gitSha?: string | null | undefined;
  gitBranch?: string | null | undefined;
  gitOriginUrl?: string | null | undefined;
  threadSource?: string | null | undefined;
  agentNickname?: string | null | undefined;
  agentRole?: string | null | undefined;
  /** A UUID; stored lowercase. */
  parentThreadId?: string | null | undefined;
  /** A UUID; stored lowercase. */
  forkedFromId?: string | null | undefined;
}

/**
 * Builds a {@link ThreadMetadata} with Codex's defaults: `updatedAt` = `createdAt`, the
 * default provider, empty cwd and cli version, read-only sandbox, `on-request` approval, empty
 * title, no tokens, no first user message, no sub-agent or fork facts. Validates the ids (UUIDs,
 * stored lowercase) and times.
 *
 * @example
 * ```ts
 * const meta = buildThreadMetadata(
 *   { id: '01a1fca2-1d67-7971-8727-3cd36fd8d76f', rolloutPath, createdAt: 1795239845, source: 'cli' },
 *   { defaultProvider: 'openai' },
 * );
 * await store.threads.upsert(meta);
 * ```
 */
export function buildThreadMetadata(
  input: ThreadMetadataInput,
  options: { defaultProvider: string },
): ThreadMetadata {
  const createdAt = wholeSeconds('createdAt', input.createdAt);
  return {
    id: normalizeThreadId(input.id),
    rolloutPath: input.rolloutPath,
    createdAt,
    updatedAt:
      input.updatedAt === undefined ? createdAt : wholeSeconds('updatedAt', input.updatedAt),
    source: input.source,
    modelProvider: input.modelProvider || options.defaultProvider,
    cwd: input.cwd ?? '',
    cliVersion: input.cliVersion ?? '',
    title: '',
    sandboxPolicy: input.sandboxPolicy ?? DEFAULT_SANDBOX_POLICY,
    approvalMode: input.approvalMode ?? DEFAULT_APPROVAL_MODE,
    tokensUsed: 0,
    firstUserMessage: null,
    archivedAt:
      input.archivedAt === undefined || input.archivedAt === null
        ? null
        : wholeSeconds('archivedAt', input.archivedAt),
    gitSha: input.gitSha ?? null,
    gitBranch: input.gitBranch ?? null,
    gitOriginUrl: input.gitOriginUrl ?? null,
    threadSource: input.threadSource ?? null,
    agentNickname: input.agentNickname ?? null,
    agentRole: input.agentRole ?? null,
    parentThreadId: optionalThreadId(input.parentThreadId, 'parentThreadId'),
    forkedFromId: optionalThreadId(input.forkedFromId, 'forkedFromId'),
  };
}

/**
 * Names of the fields whose values differ between two metadata records, in declaration order.
 * Reconcile uses it to say what a stale row got wrong.
 *
 * @example
 * ```ts
 * diffThreadMetadata(stored, fromRollout); // ['title', 'tokensUsed']
 * ```
 */
export function diffThreadMetadata(
  a: ThreadMetadata,
  b: ThreadMetadata,
): Array<keyof ThreadMetadata> {
  return THREAD_METADATA_FIELDS.filter((field) => a[field] !== b[field]);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * True when `value` is a thread id: a hyphenated UUID (any case).
 *
 * @example
 * ```ts
 * isThreadId('01a1fca2-1d67-7971-8727-3cd36fd8d76f'); // true
 * isThreadId('../../etc/passwd'); // false
 * ```
 */
export function isThreadId(value: string): boolean {
  return UUID.test(value);
}

/**
 * Validates a thread id and returns it lowercase; throws {@link InvalidArgumentError} otherwise.
 * Since ids end up in file names, nothing that is not a UUID gets through.
 *
 * @example
 * ```ts
 * normalizeThreadId('01A1FCA2-1D67-7971-8727-3CD36FD8D76F'); // '01a1fca2-1d67-…'
 * ```
 */
export function normalizeThreadId(value: string, argument = 'thread id'): string {
  if (typeof value !== 'string' || !isThreadId(value)) {
    throw new InvalidArgumentError(argument, `expected a UUID, got ${JSON.stringify(value)}`);
  }
  return value.toLowerCase();
}

function optionalThreadId(value: string | null | undefined, argument: string): string | null {
  return value === undefined || value === null ? null : normalizeThreadId(value, argument);
}

function wholeSeconds(field: string, value: number): number {
  if (!Number.isFinite(value)) {
    throw new InvalidArgumentError(field, `expected unix seconds, got ${String(value)}`);
  }
  return Math.floor(value);
}
