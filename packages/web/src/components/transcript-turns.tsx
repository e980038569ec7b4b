import type { FC } from 'hono/jsx';

import type { TranscriptTurn } from '@agent-state/rollout';
import type { ThreadHref } from './transcript-header.js';
import { TranscriptTurnView } from './transcript-turn.js';

/** Consecutive turns that are all inherited, or all the thread's own. */
interface TurnRun {
  inherited: boolean;
  fromThreadId: string;
  turns: TranscriptTurn[];
}

function runsOf(turns: readonly TranscriptTurn[]): TurnRun[] {
  const runs: TurnRun[] = [];
  for (const turn of turns) {
    const last = runs.at(-1);
    if (last !== undefined && last.inherited === turn.inherited) last.turns.push(turn);
    else runs.push({ inherited: turn.inherited, fromThreadId: turn.fromThreadId, turns: [turn] });
  }
  return runs;
}

/**
 * Turns in order; the turns a fork inherited from its parent in a labelled section of their own
 * (`Inherited from <parent>`), styled apart from the thread's own.
 */
export const TranscriptTurns: FC<{
  turns: readonly TranscriptTurn[];
  threadId: string;
  threadHref?: ThreadHref | undefined;
}> = ({ turns, threadId, threadHref }) => (
  <>
    {runsOf(turns).map((run) => {
      const views = run.turns.map((turn) => <TranscriptTurnView turn={turn} threadId={threadId} />);
      if (!run.inherited) return <>{views}</>;
      const headingId = `inherited-${run.turns[0]!.index}`;
      const href = threadHref?.(run.fromThreadId);
      return (
        <section class="inherited" aria-labelledby={headingId}>
          <h2 id={headingId}>
            Inherited from{' '}
            {href === undefined ? run.fromThreadId : <a href={href}>{run.fromThreadId}</a>}
          </h2>
          <p class="muted">
            These turns happened in the parent thread before this one was forked from it.
          </p>
          {views}
        </section>
      );
    })}
  </>
);
