import {
  type TranscriptItem,
  type TranscriptTurn,
  formatCount,
  formatDuration,
} from '@agent-state/rollout';
import type { FC } from 'hono/jsx';

import { formatIsoTime } from '../format/format-time.js';
import { TranscriptItemView } from './transcript-item.js';

/**
 * The element id of an item: `line-<n>` for a line of the thread's own rollout (search results
 * link there), `<thread>-line-<n>` for one read from another thread's (a fork's inherited turns).
 */
export function itemAnchor(item: TranscriptItem, turn: TranscriptTurn, threadId: string): string {
  return turn.fromThreadId === threadId
    ? `line-${item.line}`
    : `${turn.fromThreadId}-line-${item.line}`;
}

/**
 * One turn: a heading (`Turn 3`), its facts (start, duration, status, model, tokens) and its
 * items. Focusable (`tabindex=-1`), so that `j` and `k` move between turns.
 */
export const TranscriptTurnView: FC<{ turn: TranscriptTurn; threadId: string }> = ({
  turn,
  threadId,
}) => (
  <section
    class="turn"
    id={`turn-${turn.index}`}
    tabindex={-1}
    aria-labelledby={`turn-${turn.index}-title`}
  >
    <h2 id={`turn-${turn.index}-title`}>Turn {turn.index}</h2>
    <p class="turn-meta">
      {turn.startedAt !== null && (
        <span>
          <time datetime={turn.startedAt}>{formatIsoTime(turn.startedAt)}</time>
        </span>
      )}
      {turn.durationMs !== null && <span>{formatDuration(turn.durationMs)}</span>}
      {turn.status !== 'completed' && <span>{turn.status}</span>}
      {turn.model !== null && <span>{turn.model}</span>}
      {turn.usage !== null && <span>{formatCount(turn.usage.totalTokens)} tokens</span>}
    </p>
    {turn.items.map((item) => (
      <TranscriptItemView item={item} anchor={itemAnchor(item, turn, threadId)} />
    ))}
  </section>
);
