import type { FC } from 'hono/jsx';

import type { TranscriptTurn } from '@agent-state/rollout';
import type { ThreadHref } from './transcript-header.js';
import { TranscriptTurnView } from './transcript-turn.js';

/** Consecutive turns that are all the thread's own, or all inherited from one same thread. */
interface TurnRun {
  inherited: boolean;
  fromThreadId: string;
  turns: TranscriptTurn[];
}

/**
 * The turns in runs: a new run wherever a turn is inherited and the previous is not (or the other
 * way round), or comes from another thread (a fork of a fork inherits from its grandparent, then
 * from its parent).
 */
function runsOf(turns: readonly TranscriptTurn[]): TurnRun[] {
  const runs: TurnRun[] = [];
  for (const turn of turns) {
    const last = runs.at(-1);
    if (
      last !== undefined &&
      last.inherited === turn.inherited &&
      last.fromThreadId === turn.fromThreadId
    ) {
      last.turns.push(turn);
    } else {
      runs.push({ inherited: turn.inherited, fromThreadId: turn.fromThreadId, turns: [turn] });
    }
  }
  return runs;
}

/**
 * Turns in order; the turns a fork inherited in a labelled section for each thread they came
 * from (`Inherited from <thread>`), styled apart from the thread's own. On a page of the UI, the
 * first turn may be the rest of one begun on the previous page (`continuesTurn`) and the last may
 * go on on the next (`turnContinues`).
 */
export const TranscriptTurns: FC<{
  turns: readonly TranscriptTurn[];
  threadId: string;
  threadHref?: ThreadHref | undefined;
  continuesTurn?: boolean | undefined;
  turnContinues?: boolean | undefined;
}> = ({ turns, threadId, threadHref, continuesTurn = false, turnContinues = false }) => (
  <>
    {runsOf(turns).map((run) => {
      const views = run.turns.map((turn) => (
        <TranscriptTurnView
          turn={turn}
          threadId={threadId}
          continued={continuesTurn && turn === turns[0]}
          continues={turnContinues && turn === turns.at(-1)}
        />
      ));
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
            These turns were written in that thread; this one inherited them when it was forked.
          </p>
          {views}
        </section>
      );
    })}
  </>
);
