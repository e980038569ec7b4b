import { InvalidArgumentError } from '../errors.js';

/**
 * Codex's source kinds (`ThreadSourceKind` of its app-server `thread/list`), spelled as Codex
 * spells them. A filter on `subAgent` takes the whole family: every sub-agent thread, whatever
 * started it; the other `subAgent…` kinds take one variant each.
 *
 * @example
 * ```ts
 * const kinds: ThreadSourceKind[] = ['vscode', 'subAgentThreadSpawn'];
 * const page = await store.threads.list({ pageSize: 25, sources: kinds });
 * ```
 */
export type ThreadSourceKind =
  | 'cli'
  | 'vscode'
  | 'exec'
  | 'appServer'
  | 'subAgent'
  | 'subAgentReview'
  | 'subAgentCompact'
  | 'subAgentThreadSpawn'
  | 'subAgentOther'
  | 'unknown';

/**
 * Every {@link ThreadSourceKind}, in Codex's order.
 *
 * @example
 * ```ts
 * console.log(`--source takes ${THREAD_SOURCE_KINDS.join(', ')}`);
 * ```
 */
export const THREAD_SOURCE_KINDS: readonly ThreadSourceKind[] = Object.freeze([
  'cli',
  'vscode',
  'exec',
  'appServer',
  'subAgent',
  'subAgentReview',
  'subAgentCompact',
  'subAgentThreadSpawn',
  'subAgentOther',
  'unknown',
]);

/**
 * Which stored `source` values (the `threads.source` column, as Codex and agent-state store it:
 * a plain word, or compact JSON for a structured source) a kind takes: values equal to one of
 * `exact`, or starting with one of `prefixes`. For `unknown` the sense is reversed (`negated`):
 * every value that no other kind takes and that is not a source Codex gives no kind at all.
 *
 * @example
 * ```ts
 * const { exact, prefixes, negated }: SourceKindPattern = sourceKindPattern('subAgent');
 * const hit = exact.includes(source) || prefixes.some((p) => source.startsWith(p));
 * console.log(hit !== negated);
 * ```
 */
export interface SourceKindPattern {
  exact: readonly string[];
  prefixes: readonly string[];
  /** The kind takes the values that match neither `exact` nor `prefixes`. */
  negated: boolean;
}

const REVIEW = '{"subagent":"review"}';
const COMPACT = '{"subagent":"compact"}';
const MEMORY_CONSOLIDATION = '{"subagent":"memory_consolidation"}';
const THREAD_SPAWN = '{"subagent":{"thread_spawn":';
const OTHER = '{"subagent":{"other":';

/**
 * Sources Codex parses but that no source kind takes (its `Custom` and `Internal` sessions): no
 * filter lists them, `unknown` included.
 */
const KINDLESS_PREFIXES = ['{"custom":', '{"internal":'] as const;

const KNOWN: Record<Exclude<ThreadSourceKind, 'unknown'>, Omit<SourceKindPattern, 'negated'>> = {
  cli: { exact: ['cli'], prefixes: [] },
  vscode: { exact: ['vscode'], prefixes: [] },
  exec: { exact: ['exec'], prefixes: [] },
  // Codex's `SessionSource::Mcp`, stored as `mcp`, is the app server's `appServer`.
  appServer: { exact: ['mcp'], prefixes: [] },
  subAgent: { exact: [REVIEW, COMPACT, MEMORY_CONSOLIDATION], prefixes: [THREAD_SPAWN, OTHER] },
  subAgentReview: { exact: [REVIEW], prefixes: [] },
  subAgentCompact: { exact: [COMPACT], prefixes: [] },
  subAgentThreadSpawn: { exact: [], prefixes: [THREAD_SPAWN] },
  subAgentOther: { exact: [], prefixes: [OTHER] },
};

const UNKNOWN: SourceKindPattern = {
  exact: [...new Set(Object.values(KNOWN).flatMap((p) => p.exact))],
  prefixes: [...new Set(Object.values(KNOWN).flatMap((p) => p.prefixes)), ...KINDLESS_PREFIXES],
  negated: true,
};

/**
 * The stored `source` values a kind takes (see {@link SourceKindPattern}); the store turns it
 * into SQL, {@link sourceMatchesKinds} into a test. One table for both, so a listing from the
 * store and one from the rollouts always agree.
 *
 * @example
 * ```ts
 * sourceKindPattern('subAgentThreadSpawn'); // { exact: [], prefixes: ['{"subagent":{"thread_spawn":'], negated: false }
 * ```
 */
export function sourceKindPattern(kind: ThreadSourceKind): SourceKindPattern {
  return kind === 'unknown' ? UNKNOWN : { ...KNOWN[kind], negated: false };
}

const BY_FOLDED_NAME = new Map<string, ThreadSourceKind>([
  ...THREAD_SOURCE_KINDS.map((kind) => [fold(kind), kind] as const),
  // What Codex's own `--session-source` takes for the app server, and the stored value.
  ['mcp', 'appServer'],
]);

/**
 * Reads a source kind as a user types it: Codex's spelling (`subAgentReview`), any case, with or
 * without `-`, `_` or spaces between words (`subagent`, `sub-agent-review`, `app_server`), or
 * `mcp` (the stored value of `appServer`). Throws {@link InvalidArgumentError} naming `argument`
 * and the kinds otherwise.
 *
 * @example
 * ```ts
 * parseSourceKind('subagent'); // 'subAgent' (the whole family)
 * parseSourceKind('sub-agent-thread-spawn'); // 'subAgentThreadSpawn'
 * parseSourceKind('VSCode'); // 'vscode'
 * ```
 */
export function parseSourceKind(value: string, argument = 'source'): ThreadSourceKind {
  const kind = typeof value === 'string' ? BY_FOLDED_NAME.get(fold(value)) : undefined;
  if (kind === undefined) {
    throw new InvalidArgumentError(
      argument,
      `expected a source kind (${THREAD_SOURCE_KINDS.join(', ')}), got ${JSON.stringify(value)}`,
    );
  }
  return kind;
}

/**
 * Reads many source kinds ({@link parseSourceKind}), without repeats; `undefined` or empty gives
 * `[]` (no filter).
 *
 * @example
 * ```ts
 * parseSourceKinds(['exec', 'subagent', 'Exec']); // ['exec', 'subAgent']
 * ```
 */
export function parseSourceKinds(
  values: readonly string[] | undefined,
  argument = 'sources',
): ThreadSourceKind[] {
  return [...new Set((values ?? []).map((value) => parseSourceKind(value, argument)))];
}

/**
 * The narrowest source kind a stored `source` has, as Codex classifies it: `mcp` is
 * `appServer`; `{"subagent":"review"}` `subAgentReview`, `{"subagent":"compact"}`
 * `subAgentCompact`, `{"subagent":{"thread_spawn":…}}` `subAgentThreadSpawn`,
 * `{"subagent":{"other":…}}` `subAgentOther`; a sub-agent of no narrower kind (Codex's memory
 * consolidation) `subAgent`; any value Codex does not recognise `unknown`. `null` for Codex's
 * custom and internal sources, which no kind takes. Every sub-agent kind also matches `subAgent`.
 *
 * @example
 * ```ts
 * sourceKindOf('exec'); // 'exec'
 * sourceKindOf('mcp'); // 'appServer'
 * sourceKindOf('{"subagent":{"thread_spawn":{"parent_thread_id":"01a2…","depth":1}}}'); // 'subAgentThreadSpawn'
 * ```
 */
export function sourceKindOf(source: string): ThreadSourceKind | null {
  for (const kind of THREAD_SOURCE_KINDS) {
    if (kind !== 'subAgent' && matches(source, sourceKindPattern(kind))) return kind;
  }
  return hits(source, KNOWN.subAgent) ? 'subAgent' : null;
}

/**
 * Whether a stored `source` is taken by a filter on these kinds (Codex's `source_kind_matches`);
 * an empty filter takes everything.
 *
 * @example
 * ```ts
 * sourceMatchesKinds('{"subagent":"review"}', ['subAgent']); // true
 * sourceMatchesKinds('{"subagent":"review"}', ['subAgentCompact']); // false
 * sourceMatchesKinds('vscode', []); // true
 * ```
 */
export function sourceMatchesKinds(source: string, kinds: readonly ThreadSourceKind[]): boolean {
  return kinds.length === 0 || kinds.some((kind) => matches(source, sourceKindPattern(kind)));
}

/**
 * A stored `source` as Codex's app-server `thread/list` reports it in a thread's `source`:
 * `cli`, `vscode`, `exec`, `appServer` (stored `mcp`), `{"subAgent": <the sub-agent source as
 * stored>}`, `{"custom": …}`, or `unknown` (Codex's internal sources and anything it does not
 * recognise).
 *
 * @example
 * ```ts
 * appServerSource('mcp'); // 'appServer'
 * appServerSource('{"subagent":"review"}'); // { subAgent: 'review' }
 * ```
 */
export function appServerSource(source: string): string | Record<string, unknown> {
  const kind = sourceKindOf(source);
  switch (kind) {
    case 'cli':
    case 'vscode':
    case 'exec':
    case 'appServer':
    case 'unknown':
      return kind;
    case 'subAgent':
    case 'subAgentReview':
    case 'subAgentCompact':
    case 'subAgentThreadSpawn':
    case 'subAgentOther': {
      const parsed = parseObject(source);
      return parsed && 'subagent' in parsed ? { subAgent: parsed.subagent } : 'unknown';
    }
    case null: {
      const parsed = parseObject(source);
      return parsed && 'custom' in parsed ? { custom: parsed.custom } : 'unknown';
    }
  }
}

function matches(source: string, pattern: SourceKindPattern): boolean {
  return hits(source, pattern) !== pattern.negated;
}

function hits(source: string, values: Pick<SourceKindPattern, 'exact' | 'prefixes'>): boolean {
  return values.exact.includes(source) || values.prefixes.some((p) => source.startsWith(p));
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Lowercase without word separators: how {@link parseSourceKind} compares names. */
function fold(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, '');
}
