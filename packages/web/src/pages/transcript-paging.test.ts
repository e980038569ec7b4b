import type { TranscriptTurn } from '@agent-state/rollout';
import type { JSX } from 'hono/jsx/jsx-runtime';
import { describe, expect, it } from 'vitest';

import { renderDocument } from '../components/render-html.js';
import { TranscriptTurns } from '../components/transcript-turns.js';
import { SAMPLE_THREAD_ID, sampleTranscript, sampleTurn } from '../testing/sample-transcript.js';
import {
  ITEMS_PER_PAGE,
  TURNS_PER_PAGE,
  type TranscriptPage,
  pageToShow,
  transcriptPages,
} from './transcript-paging.js';

/** A turn of `count` items (agent messages), its lines from `line` on. */
function longTurn(index: number, line: number, count: number): TranscriptTurn {
  const turn = sampleTurn({ index, line });
  return {
    ...turn,
    items: Array.from({ length: count }, (_, at) => ({
      type: 'agent_message' as const,
      line: line + at,
      time: null,
      phase: 'commentary' as const,
      text: `step ${at}`,
    })),
  };
}

const itemCount = (page: TranscriptPage): number =>
  page.turns.reduce((sum, turn) => sum + turn.items.length, 0);

describe('transcriptPages', () => {
  it(`holds at most ${TURNS_PER_PAGE} turns a page`, () => {
    const turns = Array.from({ length: 120 }, (_, at) => longTurn(at + 1, at * 10, 1));
    const pages = transcriptPages(turns);
    expect(pages.map((page) => page.turns.length)).toEqual([50, 50, 20]);
  });

  it(`holds about ${ITEMS_PER_PAGE} items a page, and never splits a turn that fits one`, () => {
    // 102 turns of 7 items: 42 turns (294 items) a page.
    const { turns } = sampleTranscript({ ownTurns: 100 });
    const pages = transcriptPages(turns);
    expect(pages.map((page) => page.turns.length)).toEqual([42, 42, 18]);
    for (const page of pages) {
      expect(itemCount(page)).toBeLessThanOrEqual(ITEMS_PER_PAGE);
      expect(page.continuesTurn || page.turnContinues).toBe(false);
    }
    expect(pages.flatMap((page) => page.turns)).toEqual(turns);
  });

  it('splits a turn larger than a page at item boundaries, over as many pages as it needs', () => {
    const turns = [longTurn(1, 1, 5), longTurn(2, 100, 700), longTurn(3, 1000, 5)];
    const pages = transcriptPages(turns);
    expect(pages.map((page) => page.turns.map((turn) => [turn.index, turn.items.length]))).toEqual([
      [[1, 5]],
      [[2, 300]],
      [[2, 300]],
      [
        [2, 100],
        [3, 5],
      ],
    ]);
    expect(pages.map((page) => [page.continuesTurn, page.turnContinues])).toEqual([
      [false, false],
      [false, true],
      [true, true],
      [true, false],
    ]);
    const parts = pages.flatMap((page) => page.turns.filter((turn) => turn.index === 2));
    expect(parts.flatMap((turn) => turn.items)).toEqual(turns[1]!.items);
    // The transcript itself is left as it was.
    expect(turns[1]!.items).toHaveLength(700);
  });

  it('is one empty page for a thread without turns', () => {
    expect(transcriptPages([])).toEqual([
      { turns: [], continuesTurn: false, turnContinues: false },
    ]);
  });
});

describe('pageToShow', () => {
  const transcript = sampleTranscript({ ownTurns: 100 });
  const pages = transcriptPages(transcript.turns);
  const show = (query: string): number =>
    pageToShow(pages, SAMPLE_THREAD_ID, new URLSearchParams(query));

  it('is the page asked for, within the pages there are', () => {
    expect(show('')).toBe(1);
    expect(show('page=2')).toBe(2);
    expect(show('page=99')).toBe(3);
    expect(show('page=zero')).toBe(1);
  });

  it("is the page of the thread's own turn holding a rollout line", () => {
    // Own turn k (0-based) starts at line 5 + 10k and is turn k + 3 (after 2 inherited): pages
    // hold turns 1-42, 43-84 and 85-102.
    const line = (k: number) => `line=${5 + 10 * k + 2}`;
    expect(show(line(0))).toBe(1);
    expect(show(line(39))).toBe(1); // turn 42
    expect(show(line(40))).toBe(2); // turn 43
    expect(show(line(99))).toBe(3);
  });

  it('is the page holding the line inside a turn split across pages', () => {
    const turns = [longTurn(1, 1, 5), longTurn(2, 100, 700)].map((turn) => ({
      ...turn,
      fromThreadId: SAMPLE_THREAD_ID,
    }));
    const split = transcriptPages(turns);
    const at = (line: number) =>
      pageToShow(split, SAMPLE_THREAD_ID, new URLSearchParams(`line=${line}`));
    expect(at(3)).toBe(1);
    expect(at(100)).toBe(2);
    expect(at(100 + 299)).toBe(2);
    expect(at(100 + 300)).toBe(3);
    expect(at(100 + 650)).toBe(4);
  });
});

describe('TranscriptTurns on a page', () => {
  it('heads the rest of a split turn "Turn N (continued)" and says when it goes on', () => {
    const pages = transcriptPages([longTurn(1, 1, 700)]);
    const html = (page: TranscriptPage): string =>
      renderDocument(
        TranscriptTurns({
          turns: page.turns,
          threadId: SAMPLE_THREAD_ID,
          continuesTurn: page.continuesTurn,
          turnContinues: page.turnContinues,
        }) as JSX.Element,
      );
    expect(html(pages[0]!)).toContain('>Turn 1</h2>');
    expect(html(pages[0]!)).toContain('This turn goes on on the next page.');
    expect(html(pages[1]!)).toContain('>Turn 1 (continued)</h2>');
    expect(html(pages[2]!)).toContain('>Turn 1 (continued)</h2>');
    expect(html(pages[2]!)).not.toContain('goes on on the next page');
  });
});
