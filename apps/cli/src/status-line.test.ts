import { describe, expect, it } from 'vitest';

import { captureIo } from './capture-io.js';
import { StatusLine, progressBar } from './status-line.js';

describe('StatusLine', () => {
  it('redraws in place at most once per interval, and clears', () => {
    const { stderr } = captureIo({ tty: true });
    let now = 0;
    const line = new StatusLine({ stream: stderr, now: () => now });
    line.draw('one');
    now = 50;
    line.draw('skipped');
    now = 120;
    line.draw('two');
    line.draw('forced', { force: true });
    line.clear();
    line.clear();
    expect(stderr.text()).toBe('\rone\u001b[K\rtwo\u001b[K\rforced\u001b[K\r\u001b[K');
  });

  it('cuts the line to the terminal width', () => {
    const { stderr } = captureIo({ tty: true });
    new StatusLine({ stream: stderr }).draw('x'.repeat(200));
    expect(stderr.text()).toBe(`\r${'x'.repeat(98)}…\u001b[K`);
  });

  it('draws nothing off a terminal', () => {
    const { stderr } = captureIo();
    const line = new StatusLine({ stream: stderr });
    line.draw('progress');
    line.clear();
    expect(line.enabled).toBe(false);
    expect(stderr.text()).toBe('');
  });

  it('fills a bar in proportion', () => {
    expect(progressBar(0, 10, 10)).toBe('[..........]');
    expect(progressBar(5, 10, 10)).toBe('[#####.....]');
    expect(progressBar(10, 10, 10)).toBe('[##########]');
    expect(progressBar(0, 0, 10)).toBe('[##########]');
  });
});
