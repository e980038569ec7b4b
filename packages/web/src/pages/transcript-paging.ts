import type { TranscriptTurn } from '@agent-state/rollout';

/** At most this many turns on a page of a transcript. */
export const TURNS_PER_PAGE = 50;

/**
 * About this many items on a page of a transcript: a page ends before the turn that would pass
 * it, and a turn of more items than this is split across pages at item boundaries.
 */
export const ITEMS_PER_PAGE = 300;

/** How much one page holds (see {@link TURNS_PER_PAGE} and {@link ITEMS_PER_PAGE}). */
export interface PageBudget {
  turns: number;
  items: number;
}

/**
 * What paging needs of a turn: its items with their rollout lines, and the thread that wrote it
 * (a `TranscriptTurn`, or a turn of the conversation a shared store holds).
 */
export interface PagedTurn {
  fromThreadId: string;
  items: ReadonlyArray<{ line: number }>;
}

/**
 * One page of a transcript: its turns in order. A turn larger than a page is split: its parts
 * are turns holding some of its items, the first on a page then `continuesTurn` (its heading says
 * "continued") and the last on a page `turnContinues` on the next.
 */
export interface TranscriptPage<Turn extends PagedTurn = TranscriptTurn> {
  turns: Turn[];
  /** The first turn of the page is the rest of one begun on the previous page. */
  continuesTurn: boolean;
  /** The last turn of the page goes on on the next page. */
  turnContinues: boolean;
}

const DEFAULT_BUDGET: PageBudget = { turns: TURNS_PER_PAGE, items: ITEMS_PER_PAGE };

/**
 * A transcript's turns cut into pages by a budget of turns and items, so that a page stays small
 * whether the thread has many short turns or a few long ones. A turn that fits a page is never
 * split; one that does not starts a page and fills as many as it needs. Always one page at least.
 */
export function transcriptPages<Turn extends PagedTurn>(
  turns: readonly Turn[],
  budget: PageBudget = DEFAULT_BUDGET,
): Array<TranscriptPage<Turn>> {
  const pages: Array<TranscriptPage<Turn>> = [];
  let page: TranscriptPage<Turn> = { turns: [], continuesTurn: false, turnContinues: false };
  let items = 0;
  const nextPage = (continuesTurn: boolean): void => {
    if (page.turns.length > 0) pages.push(page);
    page = { turns: [], continuesTurn, turnContinues: false };
    items = 0;
  };
  for (const turn of turns) {
    const count = turn.items.length;
    if (count <= budget.items) {
      if (page.turns.length >= budget.turns || items + count > budget.items) nextPage(false);
      page.turns.push(turn);
      items += count;
      continue;
    }
    // Larger than a page: split at item boundaries, from the start of a page.
    for (let start = 0; start < count; start += budget.items) {
      nextPage(start > 0);
      const part = turn.items.slice(start, start + budget.items);
      page.turns.push({ ...turn, items: part });
      items = part.length;
      page.turnContinues = start + budget.items < count;
    }
  }
  if (page.turns.length > 0 || pages.length === 0) pages.push(page);
  return pages;
}

/**
 * The page (1-based) to show: `?page=`, else the page holding rollout line `?line=` of the
 * thread's own rollout (a search result's link: the last of its own turns, or parts of a turn,
 * starting at or before the line), else the first.
 */
export function pageToShow(
  pages: ReadonlyArray<TranscriptPage<PagedTurn>>,
  threadId: string,
  params: URLSearchParams,
): number {
  const asked = Number(params.get('page'));
  if (Number.isInteger(asked) && asked >= 1) return Math.min(asked, pages.length);
  const line = Number(params.get('line'));
  if (Number.isInteger(line) && line >= 1) {
    let found = -1;
    pages.forEach((page, index) => {
      for (const turn of page.turns) {
        if (turn.fromThreadId !== threadId) continue;
        const first = turn.items[0]?.line;
        if (first !== undefined && first <= line) found = index;
      }
    });
    if (found >= 0) return found + 1;
  }
  return 1;
}
