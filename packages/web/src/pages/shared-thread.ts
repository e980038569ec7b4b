import {
  type ListedThread,
  type Transcript,
  loadTranscript,
  toListedThread,
} from '@agent-state/rollout';
import {
  NotFoundError,
  type SearchDocument,
  errorCategory,
  isThreadId,
  toAgentStateError,
} from '@agent-state/state';

import type { SharedStoreDescription } from '../server/shared-store.js';
import type { WebContext } from '../server/web-context.js';

/**
 * A thread of a shared store as its page shows it: the full transcript when its rollout is in the
 * home the server was started in; else its row and the conversation the store holds (its search
 * documents, in rollout order), because the rollout is on another machine (`elsewhere`) or no
 * longer in this home (`rollout-gone`).
 */
export type SharedThreadView =
  | { kind: 'transcript'; thread: ListedThread; transcript: Transcript }
  | {
      kind: 'stored';
      thread: ListedThread;
      documents: SearchDocument[];
      reason: 'elsewhere' | 'rollout-gone';
      /** With `rollout-gone`: why the rollout could not be read here. */
      problem?: string | undefined;
    };

/**
 * Thread `id` of the shared store: its row (`NotFoundError` when the store has none), and the
 * full transcript when its home is the server's own (read from the rollouts, never repaired:
 * nothing is written), else its stored conversation.
 */
export async function loadSharedThread(
  context: WebContext,
  shared: SharedStoreDescription,
  id: string,
): Promise<SharedThreadView> {
  if (!isThreadId(id)) throw new NotFoundError(`thread ${id}`);
  const threadId = id.toLowerCase();
  // A shared store is given to the server, never opened by it: `get()` returns it.
  const store = await context.store.get();
  if (store === null) throw new Error('a shared store is always given to the server');
  const row = await store.threads.get(threadId);
  if (row === undefined) throw new NotFoundError(`thread ${threadId} in the shared store`);
  const thread = toListedThread(row, null);
  let problem: string | undefined;
  if (shared.localHomeId !== undefined && row.origin?.homeId === shared.localHomeId) {
    try {
      const transcript = await context.transcripts.get(threadId, () =>
        // The rollouts of this home, not the shared store: its rows name paths of their machine.
        loadTranscript({
          home: context.home,
          id: threadId,
          store: null,
          repair: false,
          logger: context.logger,
        }),
      );
      return { kind: 'transcript', thread, transcript };
    } catch (error) {
      if (errorCategory(error) !== 'not-found' && errorCategory(error) !== 'input-data') {
        throw error;
      }
      problem = toAgentStateError(error).message;
    }
  }
  return {
    kind: 'stored',
    thread,
    documents: await store.search.documents(threadId),
    reason: problem === undefined ? 'elsewhere' : 'rollout-gone',
    problem,
  };
}
