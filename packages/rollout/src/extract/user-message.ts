/**
 * Marker before the user's own words in older Codex prompts; previews keep what follows it.
 *
 * @example
 * ```ts
 * stripUserMessagePrefix(`<environment>…</environment>\n${USER_MESSAGE_BEGIN}\nfix it`); // 'fix it'
 * ```
 */
export const USER_MESSAGE_BEGIN = '## My request for Codex:';

/**
 * Preview shown for a first message that only holds images.
 *
 * @example
 * ```ts
 * const imageOnly = metadata.firstUserMessage === IMAGE_ONLY_PREVIEW; // '[Image]'
 * ```
 */
export const IMAGE_ONLY_PREVIEW = '[Image]';

/**
 * The text of a user message as previews and titles show it: the part after
 * {@link USER_MESSAGE_BEGIN} when present, trimmed.
 *
 * @example
 * ```ts
 * stripUserMessagePrefix('ctx\n## My request for Codex:\n  fix it '); // 'fix it'
 * ```
 */
export function stripUserMessagePrefix(text: string): string {
  const at = text.indexOf(USER_MESSAGE_BEGIN);
  return (at === -1 ? text : text.slice(at + USER_MESSAGE_BEGIN.length)).trim();
}

/**
 * A user message reduced to what metadata needs: its text and whether it carried images.
 *
 * @example
 * ```ts
 * const input: UserInput = { text: 'Fix the flaky test', hasImages: false };
 * stripUserMessagePrefix(input.text); // what previews and titles show
 * ```
 */
export interface UserInput {
  text: string;
  hasImages: boolean;
}
