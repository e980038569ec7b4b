import { homedir } from 'node:os';
import { resolve } from 'node:path';

import {
  type ReindexResult,
  type SearchCoverageReport,
  type SearchThreadsResult,
  type ThreadSearchHit,
  reindexSearch,
  searchThreads,
} from '@agent-state/rollout';
import {
  type AgentStateStore,
  InvalidArgumentError,
  type SearchMatch,
  type SearchRole,
} from '@agent-state/state';

import { ExitCode } from '../../exit-codes.js';
import {
  displayWidth,
  formatLocalTime,
  plural,
  singleLine,
  threadPlace,
  truncateEnd,
  truncateStart,
} from '../../format.js';
import {
  type CliIo,
  type Colors,
  colorsFor,
  terminalColumns,
  writeJson,
  writeLines,
} from '../../output.js';
import type { SharedStoreChoice } from '../../remote-store-options.js';
import { withSharedStore } from '../../remote-store-session.js';
import { backfillFirst, indexNewestRollouts, reindexWithProgress } from '../../store-freshness.js';
import { withStore } from '../../store-session.js';

/**
 * What `agent-state search --json` prints: the query, how many threads matched in all, how much
 * of the home the index covers, and the matching threads best first (each thread as `threads
 * list --json` items carry it, with its relevance, how many of its documents matched and its best
 * snippets with their rollout lines and highlighted ranges). With `--reindex`, what the
 * reindexing did (`--reindex` without a query prints only `{ reindex }`).
 *
 * @example
 * ```ts
 * const { stdout } = spawnSync('agent-state', ['search', 'sqlite', '--json'], { encoding: 'utf8' });
 * const report = JSON.parse(stdout) as SearchReport;
 * for (const hit of report.hits) console.log(hit.thread.id, hit.documents[0]?.line);
 * ```
 */
export interface SearchReport {
  query: string;
  /** Threads that matched (before `--limit`); a lower bound unless `rankedAll`. */
  totalThreads: number;
  /** Whether every matching message was ranked (a very common word ranks the newest ones). */
  rankedAll: boolean;
  coverage: SearchCoverageReport;
  hits: ThreadSearchHit[];
  /** With `--reindex`: threads indexed for search, and those whose rollout could not be read. */
  reindex?: ReindexResult | undefined;
}

/** Options of {@link runSearch}. */
export interface RunSearchOptions {
  home: string;
  io: CliIo;
  json: boolean;
  /** The words joined by spaces; `undefined` with `reindex` alone. */
  query?: string | undefined;
  /** Index for search the threads the index does not cover first. */
  reindex: boolean;
  /** Index every thread for search again first (after a change of the index). */
  rebuild?: boolean | undefined;
  archived: boolean | 'all';
  /** Working directories, resolved against the current directory. */
  cwds: readonly string[];
  sources: readonly string[];
  roles: readonly SearchRole[];
  sinceMs?: number | undefined;
  untilMs?: number | undefined;
  limit: number;
  /** Search the shared store (across its homes) instead of this home's. */
  shared?: SharedStoreChoice | undefined;
}

/** Failed threads the reindexing summary lists; the rest are counted. */
const MAX_LISTED_FAILURES = 20;

/**
 * Searches the conversations of the store (after `--reindex`, when asked) and prints the matching
 * threads best first (text, or one JSON document: {@link SearchReport}). Like `threads list`, it
 * first indexes the newest rollouts the store does not know yet; when the index does not cover
 * every thread (the backfill has not completed, threads indexed by an older release), stderr says
 * what is missing and how to fix it. A query the parser or the full-text engine refuses is an
 * `InvalidArgumentError` (exit 2). No match exits 0.
 */
export async function runSearch(options: RunSearchOptions): Promise<ExitCode> {
  const { io, home } = options;
  let reindexed: ReindexResult | undefined;
  let found: SearchThreadsResult | undefined;
  const search = (store: AgentStateStore, query: string) =>
    searchThreads({
      store,
      home,
      query,
      limit: options.limit,
      archived: options.archived,
      cwds: options.cwds.map((cwd) => resolve(cwd)),
      sources: options.sources,
      roles: options.roles,
      sinceMs: options.sinceMs,
      untilMs: options.untilMs,
    });
  if (options.shared) {
    // The shared store is indexed by each home's sync; this command only reads it.
    if (options.reindex || options.rebuild) {
      throw new InvalidArgumentError(
        options.reindex ? '--reindex' : '--rebuild',
        "indexes this home's store: run it without --store, then `agent-state sync`",
      );
    }
    const { target, selection } = options.shared;
    const query = options.query;
    if (query !== undefined) {
      found = await withSharedStore(target, home, selection, (store) => search(store, query));
    }
  } else {
    await withStore(home, async (store) => {
      if (options.query !== undefined) await backfillFirst(store, io);
      if (options.reindex || options.rebuild) reindexed = await reindex(store, io, options.rebuild);
      if (options.query === undefined) return;
      await indexNewestRollouts(store, home, options.archived);
      found = await search(store, options.query);
    });
  }

  if (options.json) {
    const report: SearchReport | Pick<SearchReport, 'reindex'> =
      found === undefined
        ? { reindex: reindexed }
        : {
            query: found.query,
            totalThreads: found.totalThreads,
            rankedAll: found.rankedAll,
            coverage: found.coverage,
            hits: found.hits,
            ...(reindexed === undefined ? {} : { reindex: reindexed }),
          };
    writeJson(io.stdout, report);
  } else {
    if (reindexed !== undefined) {
      // The summary is all `--reindex` alone prints; before results it goes to stderr.
      const summary = reindexSummary(reindexed);
      if (found === undefined) writeLines(io.stdout, [summary]);
      else writeLines(io.stderr, [`agent-state: ${summary}`]);
    }
    if (found !== undefined) {
      writeLines(
        io.stdout,
        renderSearchResults(found.hits, {
          totalThreads: found.totalThreads,
          rankedAll: found.rankedAll,
          colors: colorsFor(io.stdout, io.env),
          width: terminalColumns(io.stdout),
          userHome: homedir(),
        }),
      );
    }
  }

  const stderrColors = colorsFor(io.stderr, io.env);
  const note = (text: string) =>
    writeLines(io.stderr, [`${stderrColors.yellow('agent-state:')} ${text}`]);
  if (reindexed !== undefined && reindexed.failed.length > 0) {
    const { failed } = reindexed;
    if (!options.json) {
      writeLines(
        io.stderr,
        failed
          .slice(0, MAX_LISTED_FAILURES)
          .map(({ threadId, path, message }) => `  ${threadId}  ${singleLine(path)}: ${message}`),
      );
    }
    note(
      `${plural(failed.length, 'thread')} could not be indexed for search (their rollouts cannot be read); \`agent-state reconcile --repair\` fixes the store`,
    );
  }
  if (found !== undefined) {
    for (const text of coverageNotes(found.coverage)) note(text);
  }
  return ExitCode.Ok;
}

/** `reindexSearch`, its progress drawn on stderr on a terminal. */
async function reindex(store: AgentStateStore, io: CliIo, all = false): Promise<ReindexResult> {
  const { threads, indexed } = await store.search.coverage();
  return reindexWithProgress(
    io,
    'search',
    all ? threads : Math.max(0, threads - indexed),
    (onProgress) => reindexSearch({ store, all, onProgress }),
  );
}

/** `search index: 14 threads indexed`, or that there was nothing to do. */
export function reindexSummary(result: ReindexResult): string {
  if (result.indexed === 0 && result.failed.length === 0) {
    return 'search index: every thread was indexed already';
  }
  const failed = result.failed.length > 0 ? `, ${result.failed.length} failed` : '';
  return `search index: ${plural(result.indexed, 'thread')} indexed${failed}`;
}

/**
 * What the search did not see, and how to fix it: the backfill has not completed (running, or
 * not run), or threads whose documents the index does not hold (indexed by an older release).
 */
export function coverageNotes(coverage: SearchCoverageReport): string[] {
  const notes: string[] = [];
  if (coverage.backfill === 'running') {
    notes.push(
      'the backfill is still running: rollouts it has not reached yet were not searched (`agent-state backfill` waits for it)',
    );
  } else if (coverage.backfill !== 'complete') {
    notes.push(
      'the store is not fully indexed yet: only the threads it holds were searched (run `agent-state backfill`)',
    );
  }
  const unindexed = coverage.threads - coverage.indexed;
  if (unindexed > 0) {
    notes.push(
      `${plural(unindexed, 'thread is', 'threads are')} not indexed for search yet: run \`agent-state search --reindex\``,
    );
  }
  return notes;
}

/** Options of {@link renderSearchResults}. */
export interface SearchResultsOptions {
  /** Threads that matched in all (the footer says how many are shown). */
  totalThreads: number;
  /** False when only the newest matches were ranked: `totalThreads` is then a lower bound. */
  rankedAll?: boolean | undefined;
  colors: Colors;
  /** The terminal's width, to cut thread titles to; `undefined` off a terminal (never cut). */
  width?: number | undefined;
  /** Shown as `~` in working directories. */
  userHome?: string | undefined;
}

/** How far snippets are indented below their thread. */
const SNIPPET_INDENT = '    ';
const GAP = '  ';
/** The widest role name (`reasoning`), so that `line N` aligns. */
const ROLE_WIDTH = 9;

/**
 * The matching threads best first: for each, a header line (name, else title or first message;
 * date of its last update, local; working directory; id; cut to `width`), then its best snippets,
 * each with its role and rollout line (for `threads show <id> --at <line>`), the matched words
 * highlighted, and how many more of its messages matched; then how many threads matched.
 * `no matching threads` when none did.
 */
export function renderSearchResults(
  hits: readonly ThreadSearchHit[],
  options: SearchResultsOptions,
): string[] {
  const { colors } = options;
  if (hits.length === 0) return [colors.dim('no matching threads')];
  const lines: string[] = [];
  for (const [index, hit] of hits.entries()) {
    if (index > 0) lines.push('');
    lines.push(threadHeader(hit, options));
    for (const match of hit.documents) {
      const where = `${match.role.padEnd(ROLE_WIDTH)} ${`line ${match.line}`.padEnd(9)}`;
      lines.push(`${SNIPPET_INDENT}${colors.dim(where)}${GAP}${highlightedSnippet(match, colors)}`);
    }
    const more = hit.matches - hit.documents.length;
    if (more > 0) {
      lines.push(
        `${SNIPPET_INDENT}${colors.dim(`… ${plural(more, 'more match', 'more matches')}`)}`,
      );
    }
  }
  const atLeast = options.rankedAll === false ? 'at least ' : '';
  const total = `${atLeast}${plural(options.totalThreads, 'matching thread')}`;
  const shown =
    hits.length < options.totalThreads || atLeast !== ''
      ? `${hits.length} of ${total} (--limit shows more${atLeast ? '; the newest matches ranked first' : ''})`
      : total;
  lines.push('', colors.dim(shown));
  return lines;
}

function threadHeader(hit: ThreadSearchHit, options: SearchResultsOptions): string {
  const { colors } = options;
  const { thread } = hit;
  const named = thread.name ?? (thread.title.trim() !== '' ? thread.title : thread.preview);
  const text = singleLine(named) === '' ? '(no message)' : singleLine(named);
  const date = formatLocalTime(thread.updatedAt);
  let cwd = singleLine(threadPlace(thread, options.userHome));
  let title = text;
  if (options.width !== undefined) {
    // Date and id whole; the directory gets up to half the rest (cut from the left, where paths
    // tell least) unless the title leaves it more, the title what remains.
    const room = options.width - displayWidth(date) - thread.id.length - GAP.length * 3;
    const cwdWidth = Math.min(
      displayWidth(cwd),
      Math.max(12, Math.floor(room / 2), room - displayWidth(text)),
    );
    cwd = truncateStart(cwd, cwdWidth);
    title = truncateEnd(text, Math.max(8, room - displayWidth(cwd)));
  }
  const styled = text === '(no message)' ? colors.dim(title) : colors.bold(title);
  return [styled, colors.dim(date), cwd, colors.dim(thread.id)].join(GAP);
}

/**
 * A snippet on one line (newlines and the indentation around them become one space, control
 * characters are dropped), its matched words highlighted.
 */
export function highlightedSnippet(
  match: Pick<SearchMatch, 'snippet' | 'highlights'>,
  colors: Colors,
): string {
  const clean = (text: string) => singleLine(text.replace(/[ \t]*\r?\n[ \t]*/g, ' '));
  const ranges = [...match.highlights].sort((a, b) => a[0] - b[0]);
  let result = '';
  let at = 0;
  for (const [start, end] of ranges) {
    if (start < at || end <= start) continue; // overlapping or empty: nothing more to mark
    result += clean(match.snippet.slice(at, start));
    result += colors.bold(colors.yellow(clean(match.snippet.slice(start, end))));
    at = end;
  }
  return result + clean(match.snippet.slice(at));
}
