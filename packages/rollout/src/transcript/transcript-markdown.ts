import { formatCount } from '../format/format-count.js';
import { formatDuration } from '../format/format-duration.js';
import type {
  ClippedText,
  Transcript,
  TranscriptItem,
  TranscriptTokens,
  TranscriptTurn,
} from './transcript-schema.js';

/**
 * A transcript as Markdown that reads well in a code review (GitHub's flavour): a table of the
 * thread's facts, then one section per turn with its time, duration, model and tokens; the
 * person's and the agent's words as they wrote them, commands and patches in code blocks, tool
 * outputs and reasoning folded in `<details>`, a long output's left-out middle said. Inherited
 * turns of a fork are marked as such.
 *
 * @example
 * ```ts
 * const transcript = await loadTranscript({ home, store, id });
 * await writeFile(`${id}.md`, renderTranscriptMarkdown(transcript));
 * ```
 */
export function renderTranscriptMarkdown(transcript: Transcript): string {
  const { thread } = transcript;
  const out: string[] = [];
  out.push(`# ${oneLine(thread.title ?? `Thread ${thread.id}`)}`, '');
  const facts: [string, string | null][] = [
    ['Thread', code(thread.id)],
    ['Created', timeText(thread.createdAt)],
    ['Updated', timeText(thread.updatedAt)],
    ['Directory', thread.cwd === null ? null : code(thread.cwd)],
    ['Branch', thread.gitBranch === null ? null : code(thread.gitBranch)],
    ['Source', thread.source],
    ['Provider', thread.modelProvider],
    ['Codex', thread.cliVersion],
    ['Archived', thread.archived ? 'yes' : null],
    ['Spawned by', thread.parentThreadId === null ? null : code(thread.parentThreadId)],
    ['Forked from', forkText(transcript)],
    ['Tokens', tokensText(transcript.usage)],
    ['Redacted', transcript.redacted ? 'secrets replaced with [REDACTED]' : null],
  ];
  out.push('| | |', '|---|---|');
  for (const [name, value] of facts) {
    if (value !== null) out.push(`| ${name} | ${value.replaceAll('|', '\\|')} |`);
  }
  out.push('');
  for (const turn of transcript.turns) out.push(...turnLines(turn));
  if (transcript.skippedLines.length > 0) {
    out.push('---', '', `${transcript.skippedLines.length} unreadable line(s) left out:`, '');
    for (const skipped of transcript.skippedLines) {
      out.push(`- ${code(`${skipped.file}:${skipped.line}`)}: ${oneLine(skipped.reason)}`);
    }
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function turnLines(turn: TranscriptTurn): string[] {
  const facts = [
    timeText(turn.startedAt),
    turn.durationMs === null ? null : formatDuration(turn.durationMs),
    turn.model,
    turn.usage === null ? null : `${formatCount(turn.usage.totalTokens)} tokens`,
    turn.status === 'completed' ? null : turn.status,
  ].filter((fact): fact is string => fact !== null);
  const title = `Turn ${turn.index}${turn.inherited ? ` (inherited from ${code(turn.fromThreadId)})` : ''}`;
  const out = [`## ${title}`, ''];
  if (facts.length > 0) out.push(`<sub>${facts.map(escapeHtml).join(' · ')}</sub>`, '');
  for (const item of turn.items) out.push(...itemLines(item), '');
  return out;
}

function itemLines(item: TranscriptItem): string[] {
  switch (item.type) {
    case 'user_message':
      return [
        '**User**',
        '',
        ...quote(item.text),
        ...item.images.map((image) => `> 🖼 ${image.kind}: ${code(image.ref)}`),
      ];
    case 'agent_message':
      return [item.phase === 'commentary' ? '**Agent** (commentary)' : '**Agent**', '', item.text];
    case 'reasoning':
      return details('Reasoning', [item.text]);
    case 'tool_call': {
      const status = item.exitCode === null ? '' : ` · exit ${item.exitCode}`;
      const out = [`**Tool** ${code(item.name)}${status}`, ''];
      if (item.command !== null) out.push(...fence(item.command, 'sh'));
      if (item.arguments !== null) out.push(...fence(clippedText(item.arguments), 'json'));
      if (item.output !== null) {
        out.push(
          '',
          ...details(outputSummary('Output', item.output), fence(clippedText(item.output))),
        );
      }
      return out;
    }
    case 'patch': {
      const files = item.files.length === 0 ? '' : ` ${item.files.map(code).join(', ')}`;
      const out = [`**Patch**${files}`, '', ...fence(clippedText(item.patch), 'diff')];
      if (item.output !== null) {
        out.push(
          '',
          ...details(outputSummary('Result', item.output), fence(clippedText(item.output))),
        );
      }
      return out;
    }
    case 'error':
      return [`> [!WARNING]`, ...quote(item.message)];
    case 'compaction':
      return details('Compacted history (summary)', [item.text]);
  }
}

function forkText(transcript: Transcript): string | null {
  const fork = transcript.thread.forkedFrom;
  if (fork === null) return null;
  const inherited = transcript.turns.filter((turn) => turn.inherited).length;
  const how = fork.byReference ? 'by reference' : 'copied';
  if (!fork.resolved) return `${code(fork.threadId)} (${how}; its history could not be read)`;
  return `${code(fork.threadId)} (${how}; ${inherited} inherited turn${inherited === 1 ? '' : 's'})`;
}

function tokensText(usage: TranscriptTokens): string | null {
  if (usage.totalTokens === 0) return null;
  const n = formatCount;
  return `${n(usage.totalTokens)} (${n(usage.inputTokens)} input, ${n(usage.cachedInputTokens)} cached, ${n(usage.outputTokens)} output)`;
}

function outputSummary(label: string, text: ClippedText): string {
  const lines = (text.head.match(/\n/g)?.length ?? 0) + (text.tail.match(/\n/g)?.length ?? 0) + 1;
  const size = text.omittedChars > 0 ? ', clipped' : `, ${lines} line${lines === 1 ? '' : 's'}`;
  return `${label}${size}`;
}

/** A clipped text with its left-out middle said. */
function clippedText(text: ClippedText): string {
  if (text.omittedChars === 0) return text.head;
  return `${text.head}\n… ${formatCount(text.omittedChars)} characters left out …\n${text.tail}`;
}

function details(summary: string, body: string[]): string[] {
  return ['<details>', `<summary>${escapeHtml(summary)}</summary>`, '', ...body, '', '</details>'];
}

/** A fenced code block whose fence is longer than any run of backticks in `text`. */
function fence(text: string, language = ''): string[] {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((run) => run[0].length));
  const marks = '`'.repeat(longest + 1);
  return [`${marks}${language}`, text, marks];
}

function quote(text: string): string[] {
  return text.split('\n').map((line) => (line === '' ? '>' : `> ${line}`));
}

/** Inline code that holds any text: a backtick run in it gets a longer delimiter. */
function code(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((run) => run[0].length));
  const marks = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${marks}${pad}${text}${pad}${marks}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** An ISO time as people read it in a review: `2026-11-21 05:44:17 UTC`. */
function timeText(iso: string | null): string | null {
  if (iso === null) return null;
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
