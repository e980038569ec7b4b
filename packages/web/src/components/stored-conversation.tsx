import type { SearchDocument, SearchDocumentKind } from '@agent-state/state';
import type { FC } from 'hono/jsx';

import { formatIsoTime } from '../format/format-time.js';
import { MarkdownText } from './markdown-text.js';

/**
 * A turn of the conversation a store holds for a thread (its search documents): the documents of
 * one turn id, in rollout order. `index` counts from 1, as the transcript's turns do.
 */
export interface StoredTurn {
  index: number;
  turnId: string | null;
  /** The thread whose documents these are (paging compares it with the page's thread). */
  fromThreadId: string;
  items: SearchDocument[];
}

/**
 * A thread's documents in turns: a new turn wherever the turn id changes, or, where the rollout
 * names none, at each user message. The documents must be in rollout order
 * (`store.search.documents` gives them so).
 */
export function storedTurns(threadId: string, documents: readonly SearchDocument[]): StoredTurn[] {
  const turns: StoredTurn[] = [];
  for (const document of documents) {
    const current = turns.at(-1);
    const startsTurn =
      current === undefined ||
      (document.turnId !== null
        ? document.turnId !== current.turnId
        : document.kind === 'user_message' &&
          current.items.some((item) => item.kind === 'user_message'));
    if (startsTurn) {
      turns.push({
        index: turns.length + 1,
        turnId: document.turnId,
        fromThreadId: threadId,
        items: [document],
      });
    } else {
      current.items.push(document);
    }
  }
  return turns;
}

const LABELS: Readonly<Record<SearchDocumentKind, string>> = {
  user_message: 'User',
  agent_message: 'Agent',
  reasoning: 'Reasoning',
  tool_call: 'Tool call',
  compaction: 'Context compacted',
};

const isoTime = (ms: number): string => new Date(ms).toISOString();

/**
 * One stored document drawn like an item of a transcript (the same classes): what it is, when,
 * its rollout line (`line-<n>`, what search results link to) and its text. A tool call's text is
 * its command or arguments followed by the head and tail of its output, as the store keeps it.
 */
const StoredItemView: FC<{ document: SearchDocument; anchor: string }> = ({ document, anchor }) => (
  <article class={`item item-${document.kind}`} id={anchor}>
    <header>
      <span class="label">{LABELS[document.kind]}</span>
      {document.timeMs > 0 && (
        <time datetime={isoTime(document.timeMs)}>{formatIsoTime(isoTime(document.timeMs))}</time>
      )}
      <a class="line-link" href={`#${anchor}`}>
        line {document.line}
      </a>
    </header>
    {document.kind === 'user_message' ? (
      <div class="text">{document.text}</div>
    ) : document.kind === 'tool_call' ? (
      <pre class="tool-text">{document.text}</pre>
    ) : (
      <MarkdownText text={document.text} />
    )}
  </article>
);

/**
 * Turns of a stored conversation, drawn like a transcript's (`Turn 3`, its start, its items;
 * focusable for `j` and `k`). `continuesTurn` and `turnContinues` mark a turn split across pages.
 */
export const StoredTurns: FC<{
  turns: readonly StoredTurn[];
  continuesTurn?: boolean | undefined;
  turnContinues?: boolean | undefined;
}> = ({ turns, continuesTurn = false, turnContinues = false }) => {
  const anchors = new Set<string>();
  const anchorOf = (document: SearchDocument): string => {
    // Two documents of one line (rare) get distinct ids; the first keeps `line-<n>`.
    let anchor = `line-${document.line}`;
    for (let n = 2; anchors.has(anchor); n += 1) anchor = `line-${document.line}-${n}`;
    anchors.add(anchor);
    return anchor;
  };
  return (
    <>
      {turns.map((turn) => {
        const first = turn.items[0];
        return (
          <section
            class="turn"
            id={`turn-${turn.index}`}
            tabindex={-1}
            aria-labelledby={`turn-${turn.index}-title`}
          >
            <h2 id={`turn-${turn.index}-title`}>
              Turn {turn.index}
              {continuesTurn && turn === turns[0] ? ' (continued)' : ''}
            </h2>
            {first !== undefined && first.timeMs > 0 && (
              <p class="turn-meta">
                <span>
                  <time datetime={isoTime(first.timeMs)}>
                    {formatIsoTime(isoTime(first.timeMs))}
                  </time>
                </span>
              </p>
            )}
            {turn.items.map((document) => (
              <StoredItemView document={document} anchor={anchorOf(document)} />
            ))}
            {turnContinues && turn === turns.at(-1) && (
              <p class="muted turn-continues">This turn goes on on the next page.</p>
            )}
          </section>
        );
      })}
    </>
  );
};
