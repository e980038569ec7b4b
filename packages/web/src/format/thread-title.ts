/** What a thread is called wherever it is shown: the fields the title is chosen from. */
export interface TitledThread {
  id: string;
  /** The name a person gave it (`threads name`), when the listing knows it. */
  name?: string | null | undefined;
  title: string | null;
  /** Its first user message, when the listing knows it. */
  preview?: string | null | undefined;
}

/**
 * A thread's title as every page and export shows it: its name, else its title, else its preview
 * (the first message), else its id; the first of them that is not blank.
 */
export function threadTitle(thread: TitledThread): string {
  for (const text of [thread.name, thread.title, thread.preview]) {
    if (text !== null && text !== undefined && text.trim() !== '') return text;
  }
  return thread.id;
}
