import { type ThreadMetadata, buildThreadMetadata, isThreadId } from '@agent-state/state';

import { type TokenCountEvent, TokenCountEventSchema } from '../protocol/event-msg.js';
import type { RolloutLine } from '../protocol/rollout-line.js';
import { type SessionMeta, threadSpawnOf } from '../protocol/session-meta.js';
import type { TurnContext } from '../protocol/turn-context.js';
import { parseRolloutTimestamp } from './timestamps.js';
import { IMAGE_ONLY_PREVIEW, type UserInput, stripUserMessagePrefix } from './user-message.js';

/**
 * Sandbox policy stored by Codex 0.169 for a paginated thread without a turn context: the
 * read-only permission profile.
 *
 * @example
 * ```ts
 * JSON.parse(PAGINATED_DEFAULT_SANDBOX_POLICY).type; // 'managed'
 * ```
 */
export const PAGINATED_DEFAULT_SANDBOX_POLICY =
  '{"type":"managed","file_system":{"type":"restricted","entries":[{"path":{"type":"special","value":{"kind":"root"}},"access":"read"}]},"network":"restricted"}';

/**
 * Default model provider when neither the rollout nor the caller names one (Codex's default).
 *
 * @example
 * ```ts
 * DEFAULT_MODEL_PROVIDER; // 'openai'
 * const { metadata } = extractRolloutMetadata(path, { defaultProvider: DEFAULT_MODEL_PROVIDER });
 * ```
 */
export const DEFAULT_MODEL_PROVIDER = 'openai';

/**
 * How a DB column stores an enum-like protocol value: a JSON string as is (`"exec"`), anything else
 * as compact JSON text (`{"type":"read-only"}`), key order preserved.
 *
 * @example
 * ```ts
 * enumToString('on-request'); // 'on-request'
 * enumToString({ subagent: 'review' }); // '{"subagent":"review"}'
 * ```
 */
export function enumToString(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

/**
 * The sub-agent and fork facts of a `session_meta`, as Codex 0.169 stores them: `thread_source`,
 * `agent_nickname` and `agent_role` (or the older `agent_type`) as written; the parent thread is
 * `parent_thread_id`, else the one a thread-spawn source names; the fork origin is
 * `forked_from_id`. Ids that are not UUIDs are dropped (never fatal), the others lowercased.
 *
 * @example
 * ```ts
 * const facts = subAgentFactsOf(sessionMeta);
 * facts.parentThreadId; // '01a249b9-5eba-7de0-b66b-0557cb848718' for a spawned sub-agent
 * ```
 */
export function subAgentFactsOf(
  meta: SessionMeta,
): Pick<
  ThreadMetadata,
  'threadSource' | 'agentNickname' | 'agentRole' | 'parentThreadId' | 'forkedFromId'
> {
  return {
    threadSource: meta.thread_source ?? null,
    agentNickname: meta.agent_nickname ?? null,
    agentRole: meta.agent_role ?? meta.agent_type ?? null,
    parentThreadId: threadIdOrNull(
      meta.parent_thread_id ?? threadSpawnOf(meta.source)?.parent_thread_id,
    ),
    forkedFromId: threadIdOrNull(meta.forked_from_id),
  };
}

function threadIdOrNull(value: string | null | undefined): string | null {
  return typeof value === 'string' && isThreadId(value) ? value.toLowerCase() : null;
}

/**
 * Starts a thread's metadata from its `session_meta` (Codex's builder): creation time from the
 * meta timestamp, source (missing means `vscode`), provider, cwd, cli version and git facts.
 * `undefined` when the timestamp cannot be parsed.
 *
 * @example
 * ```ts
 * const meta = builderFromSessionMeta(sessionMeta, path, { defaultProvider: 'openai' });
 * ```
 */
export function builderFromSessionMeta(
  meta: SessionMeta,
  rolloutPath: string,
  options: { defaultProvider: string },
): ThreadMetadata | undefined {
  const createdAt = parseRolloutTimestamp(meta.timestamp);
  if (createdAt === undefined) return undefined;
  let metadata: ThreadMetadata;
  try {
    metadata = buildThreadMetadata(
      {
        id: meta.id,
        rolloutPath,
        createdAt,
        source: enumToString(meta.source ?? 'vscode'),
        modelProvider: meta.model_provider ?? undefined,
        cwd: meta.cwd,
        cliVersion: meta.cli_version ?? undefined,
        sandboxPolicy:
          meta.history_mode === 'paginated' ? PAGINATED_DEFAULT_SANDBOX_POLICY : undefined,
        gitSha: meta.git?.commit_hash ?? null,
        gitBranch: meta.git?.branch ?? null,
        gitOriginUrl: meta.git?.repository_url ?? null,
        ...subAgentFactsOf(meta),
      },
      options,
    );
  } catch {
    return undefined; // not a UUID: not a usable meta
  }
  return metadata;
}

/**
 * Applies rollout items to a thread's metadata with Codex's rules:
 * - `session_meta` with another id is ignored (forks embed their parent's); otherwise it sets the
 *   source, the sub-agent and fork facts ({@link subAgentFactsOf}), provider, cli version, cwd and
 *   git facts;
 * - `turn_context` sets cwd, sandbox policy (the permission profile where Codex 0.169 writes one)
 *   and approval mode, the last one winning;
 * - `token_count` sets `tokensUsed` to the cumulative total;
 * - the first user message (legacy `event_msg/user_message` or 0.169 `item_completed`
 *   `UserMessage`) sets `firstUserMessage` (`[Image]` when it only has images) and the title.
 *
 * @example
 * ```ts
 * const applier = new MetadataApplier(existing, { defaultProvider: 'openai' });
 * for (const line of newLines) applier.apply(line);
 * await store.threads.upsert(applier.result());
 * ```
 */
export class MetadataApplier {
  readonly #metadata: ThreadMetadata;
  readonly #defaultProvider: string;

  /**
   * Starts from a copy of `start` (`start` itself is never modified); `defaultProvider` fills an
   * empty model provider.
   *
   * @example
   * ```ts
   * const start = builderFromSessionMeta(sessionMeta, path, { defaultProvider: 'openai' });
   * if (start) applier = new MetadataApplier(start, { defaultProvider: 'openai' });
   * ```
   */
  constructor(start: ThreadMetadata, options: { defaultProvider: string }) {
    this.#metadata = { ...start };
    this.#defaultProvider = options.defaultProvider;
  }

  /**
   * True while a user message could still change the title or first message.
   *
   * @example
   * ```ts
   * const input = userInputOfEvent(payload);
   * if (input && applier.wantsUserInput) applier.userInput(input);
   * ```
   */
  get wantsUserInput(): boolean {
    return this.#metadata.firstUserMessage === null || this.#metadata.title === '';
  }

  /**
   * Applies one parsed line (lines that carry no metadata are ignored).
   *
   * @example
   * ```ts
   * for await (const { line } of readRollout(path)) applier.apply(line);
   * ```
   */
  apply(line: RolloutLine): void {
    switch (line.type) {
      case 'session_meta':
        this.sessionMeta(line.payload);
        break;
      case 'turn_context':
        this.turnContext(line.payload);
        break;
      case 'event_msg': {
        const input = userInputOfEvent(line.payload);
        if (input) this.userInput(input);
        else if (line.payload.type === 'token_count') {
          // The read schema only checks `type`: a malformed token count (no usable `info`) is
          // skipped, as Codex skips an event it cannot deserialize.
          const event = TokenCountEventSchema.safeParse(line.payload);
          if (event.success) this.tokenCount(event.data);
        }
        break;
      }
      case 'response_item':
      case 'compacted':
      case 'world_state':
      case 'token_usage_record':
      case 'unknown':
        break;
    }
    this.#fillProvider();
  }

  /**
   * Applies a `session_meta` payload: source, sub-agent and fork facts, provider, cli version, cwd
   * and git facts. Ignored when it names another thread (a fork embeds its parent's).
   *
   * @example
   * ```ts
   * if (line.type === 'session_meta') applier.sessionMeta(line.payload);
   * ```
   */
  sessionMeta(meta: SessionMeta): void {
    if (meta.id.toLowerCase() !== this.#metadata.id) return;
    const m = this.#metadata;
    m.source = enumToString(meta.source ?? 'vscode');
    Object.assign(m, subAgentFactsOf(meta));
    if (meta.model_provider !== undefined && meta.model_provider !== null) {
      m.modelProvider = meta.model_provider;
    }
    if (meta.cli_version) m.cliVersion = meta.cli_version;
    if (meta.cwd) m.cwd = meta.cwd;
    if (meta.git) {
      m.gitSha = meta.git.commit_hash ?? null;
      m.gitBranch = meta.git.branch ?? null;
      m.gitOriginUrl = meta.git.repository_url ?? null;
    }
    this.#fillProvider();
  }

  /**
   * Applies a `turn_context` payload: cwd, sandbox policy (the permission profile when there is
   * one) and approval mode; the last turn wins.
   *
   * @example
   * ```ts
   * applier.turnContext({ cwd: '/repo', approval_policy: 'never', sandbox_policy: { type: 'read-only' } });
   * applier.result().approvalMode; // 'never'
   * ```
   */
  turnContext(context: TurnContext): void {
    const m = this.#metadata;
    m.cwd = context.cwd;
    m.sandboxPolicy = enumToString(context.permission_profile ?? context.sandbox_policy);
    m.approvalMode = enumToString(context.approval_policy);
  }

  /**
   * Applies a `token_count` event: `tokensUsed` becomes its cumulative total (unchanged while
   * `info` is null).
   *
   * @example
   * ```ts
   * applier.tokenCount(TokenCountEventSchema.parse(payload));
   * ```
   */
  tokenCount(event: TokenCountEvent): void {
    const total = event.info?.total_token_usage.total_tokens;
    if (total !== undefined) this.#metadata.tokensUsed = Math.max(Math.trunc(total), 0);
  }

  /**
   * Applies a user message: it sets `firstUserMessage` (`[Image]` when it only has images) and the
   * title, each only while still unset.
   *
   * @example
   * ```ts
   * applier.userInput({ text: 'Fix the flaky test', hasImages: false });
   * applier.result().title; // 'Fix the flaky test' (if no earlier message set it)
   * ```
   */
  userInput(input: UserInput): void {
    const m = this.#metadata;
    const text = stripUserMessagePrefix(input.text);
    if (m.firstUserMessage === null) {
      if (text !== '') m.firstUserMessage = text;
      else if (input.hasImages) m.firstUserMessage = IMAGE_ONLY_PREVIEW;
    }
    if (m.title === '' && text !== '') m.title = text;
  }

  /**
   * The metadata as it stands (a copy).
   *
   * @example
   * ```ts
   * await store.threads.upsert(applier.result());
   * ```
   */
  result(): ThreadMetadata {
    return { ...this.#metadata };
  }

  #fillProvider(): void {
    if (this.#metadata.modelProvider === '') this.#metadata.modelProvider = this.#defaultProvider;
  }
}

/**
 * The user input an event carries, if it is a user message: legacy `user_message` or the
 * paginated format's `item_completed` of a `UserMessage`.
 *
 * @example
 * ```ts
 * const input = userInputOfEvent(payload); // { text: 'Fix it', hasImages: false } | undefined
 * ```
 */
export function userInputOfEvent(event: {
  type: string;
  [key: string]: unknown;
}): UserInput | undefined {
  if (event.type === 'user_message') {
    const message = typeof event.message === 'string' ? event.message : '';
    const count = (value: unknown) => (Array.isArray(value) ? value.length : 0);
    return { text: message, hasImages: count(event.images) + count(event.local_images) > 0 };
  }
  if (event.type === 'item_completed') {
    const item = event.item as { type?: unknown; content?: unknown } | undefined;
    if (!item || item.type !== 'UserMessage') return undefined;
    // Parts that are not objects (a damaged line: `null`, a number) carry no text.
    const parts = Array.isArray(item.content)
      ? (item.content as unknown[]).filter(
          (part): part is Record<string, unknown> => typeof part === 'object' && part !== null,
        )
      : [];
    const texts = parts
      .filter((p) => p.type === 'text' && typeof p.text === 'string')
      .map((p) => p.text as string);
    const hasImages = parts.some((p) => typeof p.type === 'string' && p.type.includes('image'));
    return { text: texts.join('\n'), hasImages };
  }
  return undefined;
}
