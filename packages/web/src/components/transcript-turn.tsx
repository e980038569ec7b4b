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
 * items. Focusable (`tabindex=-1`), so that `j` and `k` move between turns. A turn split across
 * pages of the UI shows the part on this page: `continued` when it began on the previous page
 * (`Turn 3 (continued)`), `continues` when it goes on on the next.
 */
export const TranscriptTurnView: FC<{
  turn: TranscriptTurn;
  threadId: string;
  continued?: boolean | undefined;
  continues?: boolean | undefined;
}> = ({ turn, threadId, continued = false, continues = false }) => (
  <section
    class="turn"
    id={`turn-${turn.index}`}
    tabindex={-1}
    aria-labelledby={`turn-${turn.index}-title`}
  >
    <h2 id={`turn-${turn.index}-title`}>
      Turn {turn.index}
      {continued ? ' (continued)' : ''}
    </h2>
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
    {continues && <p class="muted turn-continues">This turn goes on on the next page.</p>}
  </section>
);
