import { describe, expect, it } from 'vitest';

import { sampleTranscript } from '../testing/sample-transcript.js';
import { TURNS_PER_PAGE, pageToShow } from './transcript-page.js';

describe('pageToShow', () => {
  const transcript = sampleTranscript({ ownTurns: TURNS_PER_PAGE * 2 });
  const pages = 3; // 2 inherited turns + 100 of its own

  it('is the page asked for, within the pages there are', () => {
    expect(pageToShow(transcript, new URLSearchParams())).toBe(1);
    expect(pageToShow(transcript, new URLSearchParams('page=2'))).toBe(2);
    expect(pageToShow(transcript, new URLSearchParams('page=99'))).toBe(pages);
    expect(pageToShow(transcript, new URLSearchParams('page=zero'))).toBe(1);
  });

  it("is the page of the thread's own turn holding a rollout line", () => {
    // Own turn k (0-based) starts at line 5 + 10k and is turn index k + 3 (after 2 inherited).
    const line = (k: number) => String(5 + 10 * k + 2);
    expect(pageToShow(transcript, new URLSearchParams(`line=${line(0)}`))).toBe(1);
    expect(pageToShow(transcript, new URLSearchParams(`line=${line(48)}`))).toBe(2); // turn 51
    expect(pageToShow(transcript, new URLSearchParams(`line=${line(99)}`))).toBe(3);
  });
});
