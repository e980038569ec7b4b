import { redactSecrets } from '../phase1/redact-secrets.js';
import { ConsolidationAgentError } from '../phase2/consolidation-errors.js';

/**
 * Longest failure reason {@link failureReason} returns, in characters: enough for an HTTP error
 * and its causes, short enough for `jobs.last_error`, a log line and a terminal.
 *
 * @example
 * ```ts
 * failureReason(error).length <= MAX_FAILURE_REASON_CHARS; // true
 * ```
 */
export const MAX_FAILURE_REASON_CHARS = 1_000;

/** Each message is cut to this many characters before it is redacted (server bodies can be huge). */
const MAX_PART_CHARS = 16 * 1024;

/** Causes followed at most (a chain is usually 2–3 long; a cycle ends earlier). */
const MAX_DEPTH = 8;

/** Members of an `AggregateError` described at most (Node's connect errors carry one per address). */
const MAX_AGGREGATED = 3;

/** Joins an error to its cause. */
const CAUSE_SEPARATOR = '; cause: ';

/**
 * One line that says why something failed, for `jobs.last_error`, the run's `failures[].reason`,
 * `phase2.reason` and the logs. It follows the error's `cause` chain (and the members of an
 * `AggregateError`), so a connection failure reads `Connection error.; cause: TypeError: fetch
 * failed; cause: connect ECONNREFUSED 127.0.0.1:8080` instead of only `Connection error.`: each
 * link gives its message, its class name unless it is plain `Error`, `HTTP <status>` when it has
 * one, and its `code` (`ECONNREFUSED`, `rate_limit_exceeded`, …) when the message does not say it
 * already (the consolidation agent's own errors give only their message); a link that repeats
 * what is already said is left out. Whitespace is folded, secrets are redacted
 * ({@link redactSecrets}: error bodies can echo headers or keys) and the result is cut to
 * `maxChars` (default {@link MAX_FAILURE_REASON_CHARS}). Never throws.
 *
 * @example
 * ```ts
 * try {
 *   await client.responses.create(request);
 * } catch (error) {
 *   await store.stage1Jobs.markFailed({
 *     threadId, ownershipToken, reason: failureReason(error), retryDelaySeconds: 3600,
 *   });
 * }
 * ```
 */
export function failureReason(error: unknown, options: { maxChars?: number } = {}): string {
  const maxChars = Math.max(1, options.maxChars ?? MAX_FAILURE_REASON_CHARS);
  try {
    const parts: string[] = [];
    const said = () => parts.join(' ');
    const seen = new Set<unknown>();
    let current: unknown = error;
    for (let depth = 0; depth < MAX_DEPTH && current !== undefined && current !== null; depth++) {
      if (seen.has(current)) break;
      seen.add(current);
      const part = describeLink(current, said());
      if (part !== '') parts.push(part);
      for (const member of aggregatedErrors(current)) {
        const inner = describeLink(member, said());
        if (inner !== '') parts.push(inner);
      }
      current = typeof current === 'object' ? (current as { cause?: unknown }).cause : undefined;
    }
    const text = parts.join(CAUSE_SEPARATOR) || 'unknown error';
    return clip(redactSecrets(text), maxChars);
  } catch {
    return 'unknown error (it could not be described)';
  }
}

/** One link of a cause chain; `''` when it adds nothing to `said`. */
function describeLink(value: unknown, said: string): string {
  if (typeof value !== 'object' || value === null) return oneLine(String(value));
  const fields = value as { message?: unknown; name?: unknown; code?: unknown; status?: unknown };
  let message = typeof fields.message === 'string' ? oneLine(fields.message) : '';
  if (message === '' && !(value instanceof Error)) message = oneLine(plainObjectText(value));
  // Compared with what is said already, which is redacted (a wrapper quotes its cause redacted).
  message = redactSecrets(message);
  const status = typeof fields.status === 'number' ? fields.status : undefined;
  // The consolidation agent's errors speak for themselves; their class and code are for programs.
  const own = value instanceof ConsolidationAgentError;
  const code =
    !own && (typeof fields.code === 'string' || typeof fields.code === 'number')
      ? String(fields.code)
      : '';
  const name =
    !own && typeof fields.name === 'string' && fields.name !== 'Error' ? fields.name : '';

  // The `openai` package starts HTTP errors with the bare status: `500 upstream failed`.
  if (status !== undefined && message.startsWith(`${status} `)) {
    message = message.slice(String(status).length + 1);
  }
  let text = '';
  if (message !== '' && !said.includes(message)) {
    const http =
      status !== undefined && !message.includes(`HTTP ${status}`) ? `HTTP ${status}: ` : '';
    const prefix = name !== '' && !message.startsWith(name) ? `${name}: ` : '';
    text = `${http}${prefix}${message}`;
  } else if (message === '' && name !== '' && !said.includes(name)) {
    text = name;
  }
  if (code !== '' && !said.includes(code) && !text.includes(code)) {
    text = text === '' ? code : `${text} (${code})`;
  }
  return text;
}

/** The members of an `AggregateError` (or anything with an `errors` array), a few at most. */
function aggregatedErrors(value: unknown): unknown[] {
  if (typeof value !== 'object' || value === null) return [];
  const errors = (value as { errors?: unknown }).errors;
  return Array.isArray(errors) ? errors.slice(0, MAX_AGGREGATED) : [];
}

/** A thrown non-`Error` object: what its own `toString` says, else its JSON. */
function plainObjectText(value: object): string {
  const toString = (value as { toString?: unknown }).toString;
  if (typeof toString === 'function' && toString !== Object.prototype.toString) {
    const text: unknown = toString.call(value);
    if (typeof text === 'string') return text;
  }
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

/** Whitespace folded to single spaces, and at most {@link MAX_PART_CHARS} characters. */
function oneLine(text: string): string {
  return text.slice(0, MAX_PART_CHARS).replace(/\s+/g, ' ').trim();
}

/** `text` cut to `maxChars` characters (an ellipsis included), never inside a surrogate pair. */
function clip(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let end = maxChars - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}
