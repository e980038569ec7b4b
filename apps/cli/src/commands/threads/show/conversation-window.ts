// `threads show <id> --at <line>`: the conversation around one rollout line (the line a search
// match names), read from the rollout by the same rules as the search index.

import { readRollout, readThreadDocuments } from '@agent-state/rollout';
import {
  InvalidArgumentError,
  roleOfKind,
  type SearchDocument,
  type SearchRole,
} from '@agent-state/state';

import { formatLocalTime, singleLine } from '../../../format.js';
import type { Colors } from '../../../output.js';

/** Documents shown before and after the one at `--at` unless `--context` says otherwise. */
export const DEFAULT_CONTEXT = 3;

/**
 * A document of the conversation, with the role it speaks in.
 *
 * @example
 * ```ts
 * const doc: ConversationDocument = { ...searchDocument, role: 'user' };
 * ```
 */
export interface ConversationDocument extends SearchDocument {
  role: SearchRole;
}

/**
 * The conversation around a rollout line, as `threads show --at --json` adds it: the line asked
 * for, the documents around it in rollout order, and the index among them of the document at
 * that line, or else of the last one starting before it (`null` when the rollout holds no
 * conversation at all).
 *
 * @example
 * ```ts
 * const shown = JSON.parse(stdout) as ThreadShowReport;
 * const target = shown.match === null ? undefined : shown.documents?.[shown.match];
 * ```
 */
export interface ConversationWindow {
  at: number;
  documents: ConversationDocument[];
  match: number | null;
}

/**
 * Reads a rollout's conversation and keeps the documents around line `at`: the one at `at` (or
 * the last one starting before it; the first one when none does) and up to `context` on each
 * side. A line beyond the end of the file is an `InvalidArgumentError` naming `--at` and how many
 * lines the rollout has (exit 2). Throws `RolloutFileError` when the rollout cannot be read.
 */
export async function readConversationWindow(options: {
  path: string;
  at: number;
  context: number;
}): Promise<ConversationWindow> {
  const { path, at, context } = options;
  const documents = await readThreadDocuments(path);
  const lastDocumentLine = documents.at(-1)?.line ?? 0;
  // Past the last document the file may still go on (events, token counts): count its lines then.
  if (at > lastDocumentLine) {
    const lines = await countRolloutLines(path);
    if (at > lines) {
      const last =
        documents.length === 0 ? 'no conversation' : `its last message at line ${lastDocumentLine}`;
      throw new InvalidArgumentError(
        '--at',
        `line ${at} is beyond the end of the rollout (${lines} lines, ${last})`,
      );
    }
  }
  return windowAround(documents, at, context);
}

/**
 * The documents of a conversation (in rollout order) around line `at`: the one at `at` (or the
 * last one starting before it; the first one when none does) and up to `context` on each side.
 * For a thread of a shared store, whose rollout is on another machine, its stored search
 * documents are the conversation.
 */
export function windowAround(
  documents: readonly SearchDocument[],
  at: number,
  context: number,
): ConversationWindow {
  if (documents.length === 0) return { at, documents: [], match: null };
  let target = 0;
  for (const [index, doc] of documents.entries()) {
    if (doc.line > at) break;
    target = index;
  }
  const start = Math.max(0, target - context);
  return {
    at,
    documents: documents
      .slice(start, target + context + 1)
      .map((doc) => ({ ...doc, role: roleOfKind(doc.kind) })),
    match: target - start,
  };
}

/** The number of lines of a rollout (blank and damaged ones included). */
async function countRolloutLines(path: string): Promise<number> {
  const reader = readRollout(path);
  for await (const _ of reader); // read to the end
  return reader.lines;
}

/** How far each document's text is indented below its header line. */
const TEXT_INDENT = '      ';

/**
 * The conversation window for people: a title line, then each document as `line N · role (kind)
 * · local time` and its full text indented below; the document at `--at` marked with `>` (bold
 * on a terminal).
 */
export function renderConversationWindow(window: ConversationWindow, colors: Colors): string[] {
  const lines = [`${colors.bold('conversation around line')} ${colors.bold(String(window.at))}`];
  if (window.documents.length === 0) {
    lines.push(colors.dim('  no messages in this rollout'));
    return lines;
  }
  for (const [index, doc] of window.documents.entries()) {
    const isMatch = index === window.match;
    const time = formatLocalTime(doc.timeMs / 1000, { seconds: true });
    const header = `line ${doc.line} · ${doc.role} ${colors.dim(`(${doc.kind})`)} · ${colors.dim(time)}`;
    lines.push(isMatch ? `${colors.yellow('>')} ${colors.bold(header)}` : `  ${header}`);
    const text = doc.text.split(/\r?\n/).map((line) => singleLine(line).trimEnd());
    if (text.every((line) => line === '')) lines.push(`${TEXT_INDENT}${colors.dim('(empty)')}`);
    else lines.push(...text.map((line) => (line === '' ? '' : `${TEXT_INDENT}${line}`)));
  }
  return lines;
}
