import { type Stage1Output, toAgentStateError } from '@agent-state/state';
import type { FC } from 'hono/jsx';

import { MarkdownText } from '../components/markdown-text.js';
import { formatUnixTime } from '../format/format-time.js';
import type { WebContext } from '../server/web-context.js';
import { Notice } from './notices.js';
import { threadHref } from './page-url.js';

/**
 * How many memories a thread's page shows of its project.
 *
 * @example
 * ```ts
 * const outputs = await store.memories.listStage1Outputs({ limit: PROJECT_MEMORIES_LIMIT, cwd });
 * ```
 */
export const PROJECT_MEMORIES_LIMIT = 5;

/**
 * What a thread's page shows of the memories of its project (the threads whose cwd is exactly
 * the thread's): the newest stage-1 outputs of its enabled threads, newest first, or why they
 * could not be read.
 *
 * @example
 * ```ts
 * const memories: ProjectMemories = { kind: 'listed', cwd: '/home/me/src/app', outputs: [] };
 * ```
 */
export type ProjectMemories =
  | { kind: 'listed'; cwd: string; outputs: Stage1Output[] }
  | { kind: 'failed'; cwd: string; problem: string };

/**
 * The memories of project `cwd` for a thread's page, in one query: at most
 * {@link PROJECT_MEMORIES_LIMIT}, none of a thread whose memory is disabled. `undefined` (no
 * section) when the cwd is unknown (`null` or `''`) or there is no store to read. A store that
 * fails to answer does not fail the page: the failure is logged (warn) and returned as `failed`.
 *
 * @example
 * ```ts
 * const memories = await loadProjectMemories(context, transcript.thread.cwd);
 * const html = <ProjectMemoriesSection memories={memories} threadId={transcript.thread.id} />;
 * ```
 */
export async function loadProjectMemories(
  context: WebContext,
  cwd: string | null,
): Promise<ProjectMemories | undefined> {
  if (cwd === null || cwd === '') return undefined;
  const { store } = await context.store.access();
  if (store === null) return undefined;
  try {
    const outputs = await store.memories.listStage1Outputs({
      limit: PROJECT_MEMORIES_LIMIT,
      cwd,
      includeDisabled: false,
    });
    return { kind: 'listed', cwd, outputs };
  } catch (error) {
    const problem = toAgentStateError(error).message;
    context.logger.warn('the memories of a project could not be read', { cwd, error: problem });
    return { kind: 'failed', cwd, problem };
  }
}

/**
 * The "Recent memories of this project" section of a thread's page: each memory's slug, the time
 * of the thread it was extracted from, a link to that thread (the page's own thread marked), and
 * its rollout summary as safe Markdown, folded; a line saying there are none yet; or the notice of
 * a store that failed to answer. Nothing when `memories` is `undefined`.
 *
 * @example
 * ```tsx
 * const memories = await loadProjectMemories(context, thread.cwd);
 * <ProjectMemoriesSection memories={memories} threadId={thread.id} />;
 * ```
 */
export const ProjectMemoriesSection: FC<{
  memories: ProjectMemories | undefined;
  /** The thread whose page it is: its own memory, if listed, is marked. */
  threadId: string;
}> = ({ memories, threadId }) => {
  if (memories === undefined) return null;
  return (
    <section class="project-memories" aria-labelledby="project-memories-title">
      <h2 id="project-memories-title">Recent memories of this project</h2>
      {memories.kind === 'failed' ? (
        <Notice>
          <strong>The memories of this project cannot be read:</strong> {memories.problem}.
        </Notice>
      ) : memories.outputs.length === 0 ? (
        <p class="muted">
          No memories of this project yet (run <code>agent-state memories run</code>).
        </p>
      ) : (
        <>
          <p class="muted">
            What the memories pipeline kept of the latest threads in <code>{memories.cwd}</code>,
            newest first.
          </p>
          <ol class="memories">
            {memories.outputs.map((output) => (
              <ProjectMemory output={output} current={output.threadId === threadId} />
            ))}
          </ol>
        </>
      )}
    </section>
  );
};

/** One memory of the list: slug, time, thread, and its summary folded. */
const ProjectMemory: FC<{ output: Stage1Output; current: boolean }> = ({ output, current }) => (
  <li class={current ? 'memory memory-current' : 'memory'}>
    <p class="memory-meta">
      {output.rolloutSlug !== null && output.rolloutSlug !== '' && (
        <span class="memory-slug">
          <code>{output.rolloutSlug}</code>
        </span>
      )}
      <span>
        <time datetime={new Date(output.sourceUpdatedAt * 1000).toISOString()}>
          {formatUnixTime(output.sourceUpdatedAt)}
        </time>
      </span>
      <span>
        <a href={threadHref(output.threadId)} aria-current={current ? 'page' : undefined}>
          {output.threadId}
        </a>
      </span>
      {current && (
        <span>
          <strong class="memory-mark">this thread</strong>
        </span>
      )}
    </p>
    {output.rolloutSummary.trim() !== '' && (
      <details>
        <summary>Rollout summary</summary>
        <MarkdownText text={output.rolloutSummary} />
      </details>
    )}
  </li>
);
