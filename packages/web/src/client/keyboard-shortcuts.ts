/** Whether the key was typed into a field (where `/`, `j` and `k` are text, not shortcuts). */
function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return (
    target.isContentEditable ||
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement
  );
}

/** The turn shown at the top of the window (or the focused one). */
function currentTurn(turns: readonly HTMLElement[]): number {
  const focused = turns.findIndex((turn) => turn.contains(document.activeElement));
  if (focused >= 0) return focused;
  let current = -1;
  turns.forEach((turn, index) => {
    if (turn.getBoundingClientRect().top <= 1) current = index;
  });
  return current;
}

/**
 * The keyboard shortcuts of every page: `/` focuses the search box; on a transcript, `j` and `k`
 * move the focus to the next and previous turn.
 */
export function installKeyboardShortcuts(): void {
  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (typing(event.target)) return;
    if (event.key === '/') {
      const search = document.getElementById('search-input');
      if (search instanceof HTMLInputElement) {
        event.preventDefault();
        search.focus();
        search.select();
      }
      return;
    }
    if (event.key !== 'j' && event.key !== 'k') return;
    const turns = [...document.querySelectorAll<HTMLElement>('section.turn')];
    if (turns.length === 0) return;
    event.preventDefault();
    const current = currentTurn(turns);
    const next =
      event.key === 'j' ? Math.min(current + 1, turns.length - 1) : Math.max(current - 1, 0);
    const turn = turns[next];
    if (turn === undefined) return;
    turn.focus({ preventScroll: true });
    turn.scrollIntoView({ block: 'start' });
  });
}
