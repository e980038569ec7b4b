import { type Transcript, formatCount } from '@agent-state/rollout';
import type { Child, FC } from 'hono/jsx';

import { formatIsoTime } from '../format/format-time.js';
import { threadTitle } from '../format/thread-title.js';
import { FactList } from './fact-list.js';

/** How a thread id is shown: a link (`href` of the thread) in the web UI, plain in an export. */
export type ThreadHref = (id: string) => string | undefined;

const ThreadRef: FC<{ id: string; threadHref?: ThreadHref | undefined }> = ({ id, threadHref }) => {
  const href = threadHref?.(id);
  return href === undefined ? <code>{id}</code> : <a href={href}>{id}</a>;
};

/** The thread's title and facts: id, times, directory, branch, source, fork, tokens. */
export const TranscriptHeader: FC<{
  transcript: Transcript;
  threadHref?: ThreadHref | undefined;
  children?: Child;
}> = ({ transcript, threadHref, children }) => {
  const { thread } = transcript;
  const title = threadTitle(thread);
  const fork = thread.forkedFrom;
  const facts: Array<[string, Child]> = [
    ['Thread', <code>{thread.id}</code>],
    ['Created', formatIsoTime(thread.createdAt)],
    ['Updated', formatIsoTime(thread.updatedAt)],
    ['Directory', thread.cwd === null ? null : <code>{thread.cwd}</code>],
    ['Branch', thread.gitBranch === null ? null : <code>{thread.gitBranch}</code>],
    ['Source', thread.source],
    ['Provider', thread.modelProvider],
    ['Codex', thread.cliVersion],
    ['Archived', thread.archived ? 'yes' : null],
    [
      'Spawned by',
      thread.parentThreadId === null ? null : (
        <ThreadRef id={thread.parentThreadId} threadHref={threadHref} />
      ),
    ],
    [
      'Forked from',
      fork === null ? null : (
        <>
          <ThreadRef id={fork.threadId} threadHref={threadHref} />
          {fork.resolved ? '' : ' (its history could not be read)'}
        </>
      ),
    ],
    [
      'Tokens',
      `${formatCount(transcript.usage.totalTokens)} (${formatCount(transcript.usage.inputTokens)} input, ${formatCount(transcript.usage.outputTokens)} output)`,
    ],
    ['Turns', formatCount(transcript.turns.length)],
    ['Redacted', transcript.redacted ? 'secrets replaced with [REDACTED]' : null],
  ];
  return (
    <header class="transcript-header">
      <h1>{title}</h1>
      <FactList facts={facts} />
      {transcript.skippedLines.length > 0 && (
        <details class="skipped">
          <summary>
            {formatCount(transcript.skippedLines.length)} unreadable rollout line(s) left out
          </summary>
          <ul>
            {transcript.skippedLines.map((skipped) => (
              <li>
                <code>
                  {skipped.file}:{skipped.line}
                </code>
                : {skipped.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
      {children}
    </header>
  );
};
