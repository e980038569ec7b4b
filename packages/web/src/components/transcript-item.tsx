import type { FC } from 'hono/jsx';
import type { TranscriptItem } from '@agent-state/rollout';

import { formatIsoTime } from '../format/format-time.js';
import { ClippedTextView } from './clipped-text.js';
import { MarkdownText } from './markdown-text.js';

/** What an item is called in its header. */
function labelOf(item: TranscriptItem): string {
  switch (item.type) {
    case 'user_message':
      return 'User';
    case 'agent_message':
      return item.phase === 'commentary' ? 'Agent (commentary)' : 'Agent';
    case 'reasoning':
      return 'Reasoning';
    case 'tool_call':
      return item.command === null ? `Tool: ${item.name}` : 'Command';
    case 'patch':
      return 'Patch';
    case 'error':
      return 'Error';
    case 'compaction':
      return 'Context compacted';
  }
}

/**
 * One item of a turn: a header (what it is, when, its rollout line as a link to itself) and its
 * body. `anchor` is its element id (`line-<n>`).
 */
export const TranscriptItemView: FC<{ item: TranscriptItem; anchor: string }> = ({
  item,
  anchor,
}) => (
  <article class={`item item-${item.type}`} id={anchor}>
    <header>
      <span class="label">{labelOf(item)}</span>
      {item.time !== null && <time datetime={item.time}>{formatIsoTime(item.time)}</time>}
      <a class="line-link" href={`#${anchor}`}>
        line {item.line}
      </a>
    </header>
    <ItemBody item={item} />
  </article>
);

const ItemBody: FC<{ item: TranscriptItem }> = ({ item }) => {
  switch (item.type) {
    case 'user_message':
      return (
        <>
          <div class="text">{item.text}</div>
          {item.images.length > 0 && (
            <ul class="images">
              {item.images.map((image) => (
                <li>
                  image ({image.kind}): <code>{image.ref}</code>
                </li>
              ))}
            </ul>
          )}
        </>
      );
    case 'agent_message':
    case 'reasoning':
    case 'compaction':
      return <MarkdownText text={item.text} />;
    case 'error':
      return <div class="text">{item.message}</div>;
    case 'tool_call':
      return (
        <>
          {item.command !== null ? (
            <pre class="command">$ {item.command}</pre>
          ) : (
            item.arguments !== null && <ClippedTextView text={item.arguments} class="arguments" />
          )}
          {item.output !== null && (
            <div class="output">
              <ClippedTextView text={item.output} />
            </div>
          )}
          {item.exitCode !== null && (
            <p class={item.exitCode === 0 ? 'exit-ok' : 'exit-failed'}>exit code {item.exitCode}</p>
          )}
        </>
      );
    case 'patch':
      return (
        <>
          {item.files.length > 0 && (
            <ul class="files" aria-label="Files">
              {item.files.map((file) => (
                <li>{file}</li>
              ))}
            </ul>
          )}
          <ClippedTextView text={item.patch} class="diff" />
          {item.output !== null && (
            <div class="output">
              <ClippedTextView text={item.output} />
            </div>
          )}
        </>
      );
  }
};
