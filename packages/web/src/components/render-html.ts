import { AgentStateError, ErrorCode } from '@agent-state/state';
import type { JSX } from 'hono/jsx/jsx-runtime';

/**
 * A rendered JSX tree as one HTML document (`<!doctype html>` first). Every component here is
 * synchronous, so the tree renders at once into one string; an asynchronous one is a bug
 * (`INTERNAL`).
 */
export function renderDocument(node: JSX.Element): string {
  // A JSX node renders to a string, or to a promise when a component is asynchronous.
  const html: unknown = (node as { toString(): unknown }).toString();
  if (typeof html !== 'string') {
    // A bug of this package: every component must be synchronous.
    throw new AgentStateError(
      ErrorCode.Internal,
      'a component of the page rendered asynchronously',
    );
  }
  return `<!doctype html>${html}`;
}
