import { type Transcript, loadTranscript } from '@agent-state/rollout';
import { NotFoundError, isThreadId } from '@agent-state/state';

import type { WebContext } from '../server/web-context.js';

/**
 * A thread's transcript as the server reads it: never repaired nor indexed (the server never
 * writes), found through the store when it can be read, else among the rollouts, and kept in
 * the server's cache of transcripts while its rollout does not change. An id that is not a
 * thread's id is not found.
 */
export async function loadThreadTranscript(context: WebContext, id: string): Promise<Transcript> {
  if (!isThreadId(id)) throw new NotFoundError(`thread ${id}`);
  const threadId = id.toLowerCase();
  return context.transcripts.get(threadId, async () => {
    const { store } = await context.store.access();
    return loadTranscript({
      home: context.home,
      id: threadId,
      store,
      repair: false,
      logger: context.logger,
    });
  });
}
