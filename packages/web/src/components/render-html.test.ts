import { ErrorCode, isAgentStateError } from '@agent-state/state';
import type { JSX } from 'hono/jsx/jsx-runtime';
import { describe, expect, it } from 'vitest';

import { renderDocument } from './render-html.js';

describe('renderDocument', () => {
  it('renders a tree into one document', () => {
    const node = { toString: () => '<p>hi</p>' } as unknown as JSX.Element;
    expect(renderDocument(node)).toBe('<!doctype html><p>hi</p>');
  });

  it('refuses a tree that renders asynchronously: a bug (INTERNAL)', () => {
    const node = { toString: () => Promise.resolve('<p>later</p>') } as unknown as JSX.Element;
    let thrown: unknown;
    try {
      renderDocument(node);
    } catch (error) {
      thrown = error;
    }
    expect(isAgentStateError(thrown)).toBe(true);
    expect(thrown).toMatchObject({ code: ErrorCode.Internal });
  });
});
