import { type ClippedText, formatCount } from '@agent-state/rollout';
import type { FC } from 'hono/jsx';

/**
 * A long text kept as its head and tail (a tool output, a patch): both ends in one `<pre>`, the
 * part left out said between them.
 */
export const ClippedTextView: FC<{ text: ClippedText; class?: string }> = ({ text, ...props }) => (
  <pre class={props.class}>
    {text.head}
    {text.omittedChars > 0 && (
      <>
        <span class="omitted">… {formatCount(text.omittedChars)} characters left out …</span>
        {text.tail}
      </>
    )}
  </pre>
);
