import { AgentStateError } from '@agent-state/state';

import { Stage1OutputErrorCode } from '../errors/error-codes.js';
import { redactSecrets } from './redact-secrets.js';
import { truncateMiddleUtf8 } from './truncate-utf8.js';

/**
 * Largest `raw_memory` kept, in UTF-8 bytes; longer ones keep their head and tail.
 *
 * @example
 * ```ts
 * Buffer.byteLength(parsed.rawMemory) <= MAX_RAW_MEMORY_BYTES; // always
 * ```
 */
export const MAX_RAW_MEMORY_BYTES = 300_000;

/**
 * Largest `rollout_summary` kept, in UTF-8 bytes; longer ones keep their head and tail.
 *
 * @example
 * ```ts
 * Buffer.byteLength(parsed.rolloutSummary) <= MAX_ROLLOUT_SUMMARY_BYTES; // always
 * ```
 */
export const MAX_ROLLOUT_SUMMARY_BYTES = 1_200;

/**
 * Longest normalized rollout slug, in characters.
 *
 * @example
 * ```ts
 * normalizeRolloutSlug('x'.repeat(100))?.length; // 60
 * ```
 */
export const MAX_ROLLOUT_SLUG_CHARS = 60;

const RAW_MEMORY_MARKER = '\n\n[... raw memory truncated ...]\n\n';
const SUMMARY_MARKER = ' [... summary truncated ...] ';
const EXCERPT_CHARS = 200;

/**
 * A stage-one answer with content: both texts trimmed, redacted and capped; the slug normalized
 * (`null` when there is none). It has no `empty` key: tell the two results apart with
 * `'empty' in result`.
 *
 * @example
 * ```ts
 * const memory: Stage1Memory = { rolloutSummary: 'Fixed the flaky login test…', rawMemory: '# …', rolloutSlug: 'fix_flaky_login_test' };
 * ```
 */
export interface Stage1Memory {
  rolloutSummary: string;
  rawMemory: string;
  rolloutSlug: string | null;
}

/**
 * A stage-one answer saying the session holds nothing worth remembering (both texts empty).
 *
 * @example
 * ```ts
 * const parsed = parseStage1Output('{"rollout_summary":"","raw_memory":"","rollout_slug":""}');
 * if ('empty' in parsed) console.log('nothing worth remembering');
 * ```
 */
export interface Stage1NoMemory {
  empty: true;
}

/**
 * What {@link parseStage1Output} returns.
 *
 * @example
 * ```ts
 * const parsed: Stage1ParseResult = parseStage1Output(response.output_text);
 * if (!('empty' in parsed)) console.log(parsed.rolloutSlug);
 * ```
 */
export type Stage1ParseResult = Stage1Memory | Stage1NoMemory;

/**
 * A stage-one answer that cannot be used. Carries a {@link Stage1OutputErrorCode} and a short,
 * redacted excerpt of the answer, fit for a job's `last_error` and for logs.
 *
 * @example
 * ```ts
 * try {
 *   parseStage1Output(text);
 * } catch (error) {
 *   if (error instanceof Stage1OutputError) await markFailed(error.message);
 * }
 * ```
 */
export class Stage1OutputError extends AgentStateError<Stage1OutputErrorCode> {
  /** The start of the answer (at most 200 characters, secrets redacted, whitespace folded). */
  readonly excerpt: string;

  /**
   * The message reads `invalid stage-1 output: <problem> (got: "<excerpt>")`.
   *
   * @example
   * ```ts
   * new Stage1OutputError(Stage1OutputErrorCode.Unparsable, 'no JSON object found', 'Sorry, I cannot').message;
   * // 'invalid stage-1 output: no JSON object found (got: "Sorry, I cannot")'
   * ```
   */
  constructor(code: Stage1OutputErrorCode, problem: string, excerpt: string) {
    super(code, `invalid stage-1 output: ${problem} (got: ${JSON.stringify(excerpt)})`);
    this.name = 'Stage1OutputError';
    this.excerpt = excerpt;
  }
}

/** The answer's fields and the legacy aliases each one accepts. */
const FIELDS = {
  rolloutSummary: ['rollout_summary', 'summary'],
  rawMemory: ['raw_memory', 'rawMemory', 'traceMemory'],
  rolloutSlug: ['rollout_slug'],
} as const;

/**
 * Parses and normalizes a stage-one model answer.
 *
 * Accepted: the JSON object alone, inside a ```` ``` ```` / ```` ```json ```` fence, or surrounded
 * by prose (the text from the first `{` to the last `}`). Keys: `rollout_summary` (legacy alias
 * `summary`), `raw_memory` (legacy `rawMemory`, `traceMemory`), `rollout_slug` (optional, string
 * or `null`); other keys are ignored. Both texts are trimmed, their secrets (API keys, tokens,
 * passwords, private keys) redacted, and capped (raw memory 300,000 bytes, summary 1,200 bytes;
 * head and tail kept, UTF-8 safe); the slug goes through
 * {@link normalizeRolloutSlug}. Both texts empty → `{ empty: true }` ("nothing worth
 * remembering", not an error). Anything else throws {@link Stage1OutputError}.
 *
 * @example
 * ```ts
 * parseStage1Output('```json\n{"rollout_summary":"Fixed CI","raw_memory":"# CI fix","rollout_slug":"Fix CI!"}\n```');
 * // { rolloutSummary: 'Fixed CI', rawMemory: '# CI fix', rolloutSlug: 'fix_ci' }
 * ```
 */
export function parseStage1Output(text: string): Stage1ParseResult {
  const object = findJsonObject(text);
  if (!object) {
    throw new Stage1OutputError(
      Stage1OutputErrorCode.Unparsable,
      'no JSON object found',
      excerptOf(text),
    );
  }
  const rolloutSummary = readField(object, FIELDS.rolloutSummary, text, { required: true });
  const rawMemory = readField(object, FIELDS.rawMemory, text, { required: true });
  const slug = readField(object, FIELDS.rolloutSlug, text, { required: false });

  const summaryText = (rolloutSummary ?? '').trim();
  const rawText = (rawMemory ?? '').trim();
  if (summaryText === '' && rawText === '') return { empty: true };
  if (summaryText === '' || rawText === '') {
    const missing = summaryText === '' ? 'rollout_summary' : 'raw_memory';
    throw new Stage1OutputError(
      Stage1OutputErrorCode.Incomplete,
      `${missing} is empty while the other field is not (both or neither must be empty)`,
      excerptOf(text),
    );
  }
  return {
    rolloutSummary: truncateMiddleUtf8(redactSecrets(summaryText), {
      maxBytes: MAX_ROLLOUT_SUMMARY_BYTES,
      marker: SUMMARY_MARKER,
    }).text,
    rawMemory: truncateMiddleUtf8(redactSecrets(rawText), {
      maxBytes: MAX_RAW_MEMORY_BYTES,
      marker: RAW_MEMORY_MARKER,
    }).text,
    rolloutSlug: normalizeRolloutSlug(slug === undefined ? null : redactSecrets(slug)),
  };
}

/**
 * Normalizes a rollout slug: accents dropped, lowercase; ASCII letters and digits kept, every other run of
 * characters becomes one `_`; no leading or trailing `_`; at most 60 characters. `null` when nothing is left.
 *
 * @example
 * ```ts
 * normalizeRolloutSlug('Unsafe Slug/With Spaces & Symbols'); // 'unsafe_slug_with_spaces_symbols'
 * normalizeRolloutSlug('  ---  '); // null
 * ```
 */
export function normalizeRolloutSlug(slug: string | null | undefined): string | null {
  if (slug === null || slug === undefined) return null;
  const normalized = slug
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // accents go, their letters stay: 'Ü' → 'U'
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, MAX_ROLLOUT_SLUG_CHARS)
    .replace(/^_+|_+$/g, '');
  return normalized === '' ? null : normalized;
}

/**
 * The JSON object in a model answer: the whole text, the inside of a fence, or the span from the
 * first `{` to the last `}`. `undefined` when none of them is a JSON object.
 */
function findJsonObject(text: string): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  const candidates = [trimmed];
  const fenced = /^```[A-Za-z0-9_-]*[ \t]*\r?\n?([\s\S]*?)\r?\n?```$/.exec(trimmed);
  if (fenced?.[1] !== undefined) candidates.push(fenced[1].trim());
  const first = trimmed.indexOf('{');
  const last = trimmed.lastIndexOf('}');
  if (first !== -1 && last > first) candidates.push(trimmed.slice(first, last + 1));
  for (const candidate of candidates) {
    const value = tryParseJson(candidate);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  }
  return undefined;
}

function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The string under one of `names` (at most one may be present); `null` is read as absent. */
function readField(
  object: Record<string, unknown>,
  names: readonly string[],
  text: string,
  options: { required: boolean },
): string | undefined {
  const present = names.filter((name) => Object.hasOwn(object, name) && object[name] !== null);
  if (present.length > 1) {
    throw new Stage1OutputError(
      Stage1OutputErrorCode.Invalid,
      `${present.map((name) => `"${name}"`).join(' and ')} both given; use "${names[0]}" only`,
      excerptOf(text),
    );
  }
  const name = present[0];
  if (name === undefined) {
    if (!options.required) return undefined;
    throw new Stage1OutputError(
      Stage1OutputErrorCode.Invalid,
      `missing "${names[0]}"${
        names.length > 1
          ? ` (or ${names
              .slice(1)
              .map((n) => `"${n}"`)
              .join(', ')})`
          : ''
      }`,
      excerptOf(text),
    );
  }
  const value = object[name];
  if (typeof value !== 'string') {
    throw new Stage1OutputError(
      Stage1OutputErrorCode.Invalid,
      `"${name}" must be a string, got ${Array.isArray(value) ? 'an array' : typeof value}`,
      excerptOf(text),
    );
  }
  return value;
}

/** The start of the answer for error messages: whitespace folded, redacted, ≤ 200 characters. */
function excerptOf(text: string): string {
  // Redact a generous prefix, so a secret straddling the cut is still caught whole.
  const folded = redactSecrets(text.slice(0, EXCERPT_CHARS * 5))
    .replace(/\s+/g, ' ')
    .trim();
  const chars = Array.from(folded);
  return chars.length <= EXCERPT_CHARS ? folded : `${chars.slice(0, EXCERPT_CHARS - 1).join('')}…`;
}
