/**
 * The categories of agent-state's error codes, each with what it means. Every registered code
 * belongs to one; programs decide what to do from the category (the CLI maps each one to an exit
 * code, `doctor` reports the `store` ones) and look at the code only for details.
 *
 * @example
 * ```ts
 * import { ERROR_CATEGORIES, errorCodeInfo } from '@agent-state/errors';
 *
 * const info = errorCodeInfo('INTERNAL');
 * if (info) console.log(`${info.category}: ${ERROR_CATEGORIES[info.category]}`);
 * ```
 */
export const ERROR_CATEGORIES = {
  'invalid-argument':
    'a value the caller passed (an argument, a flag, a sandbox policy) cannot be used',
  'not-found': 'what was asked for (a thread, a file, the home) does not exist',
  store:
    'the state store cannot be opened or used (damaged, too new, not ours, locked, unwritable); the rollouts are still there',
  lease: 'the work is leased to another live owner: try again once it is done',
  aborted: 'the work was stopped before it finished: its lease was lost, or it was cancelled',
  'input-data': 'a file agent-state reads (a rollout) is unreadable or holds nothing usable',
  unsupported: 'this platform cannot do what was asked; it is refused, never done more loosely',
  'external-service':
    'a remote service (the model) failed, took too long, or answered with something unusable',
  internal: "not one of agent-state's errors: a bug, or a failure nobody foresaw",
} as const;

/**
 * One of the keys of {@link ERROR_CATEGORIES}.
 *
 * @example
 * ```ts
 * const category: ErrorCategory = errorCategory(error);
 * if (category === 'lease') console.error('another process is at it; try again later');
 * ```
 */
export type ErrorCategory = keyof typeof ERROR_CATEGORIES;

/**
 * What a package declares about one of its error codes: the code's string (stable: it appears in
 * JSON output and in logs), its {@link ErrorCategory} and a one-line description.
 *
 * @example
 * ```ts
 * const definition: ErrorCodeDefinition = {
 *   code: 'STORE_BUSY',
 *   category: 'store',
 *   description: 'The database stayed locked by another process beyond the busy timeout.',
 * };
 * ```
 */
export interface ErrorCodeDefinition {
  /** The code, `UPPER_SNAKE_CASE`. */
  code: string;
  /** What kind of failure it is. */
  category: ErrorCategory;
  /** One line saying when the code is raised. */
  description: string;
}

/**
 * A registered error code: its {@link ErrorCodeDefinition} and the package that registered it.
 *
 * @example
 * ```ts
 * for (const info of registeredErrorCodes()) console.log(info.code, info.owner, info.category);
 * ```
 */
export interface ErrorCodeInfo extends ErrorCodeDefinition {
  /** The package that registered the code (`@agent-state/errors`, `@agent-state/state`, …). */
  owner: string;
}

/**
 * The table lives on `globalThis` under a registered symbol, so that every copy of this package in
 * a process (its ESM and CJS builds, or two installed versions) reads and fills the same table.
 */
const TABLE_KEY = Symbol.for('@agent-state/errors:error-codes');

function table(): Map<string, ErrorCodeInfo> {
  const holder = globalThis as { [TABLE_KEY]?: Map<string, ErrorCodeInfo> };
  holder[TABLE_KEY] ??= new Map();
  return holder[TABLE_KEY];
}

const CODE_PATTERN = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/;

/**
 * Registers a package's error codes in the one error table and returns its code constants
 * (`{ Name: 'CODE' }`), with the codes' literal types. A package calls it once, at the load of
 * its `errors.ts`, for the codes it raises. Throws when a code is malformed, has an unknown
 * category or an empty description, or is registered already by another package; registering
 * again from the same package (a second copy of it in the process) keeps the first registration.
 *
 * @example
 * ```ts
 * import { registerErrorCodes } from '@agent-state/errors';
 *
 * export const WidgetErrorCode = registerErrorCodes('@acme/widgets', {
 *   Jammed: { code: 'WIDGET_JAMMED', category: 'external-service', description: 'The widget jammed.' },
 * });
 * WidgetErrorCode.Jammed; // 'WIDGET_JAMMED'
 * ```
 */
export function registerErrorCodes<const Table extends Record<string, ErrorCodeDefinition>>(
  owner: string,
  definitions: Table,
): { readonly [Name in keyof Table]: Table[Name]['code'] } {
  const codes: Record<string, string> = {};
  const registered = table();
  for (const [name, definition] of Object.entries(definitions)) {
    const { code, category, description } = definition;
    if (!CODE_PATTERN.test(code)) {
      throw new Error(`${owner}: error code ${JSON.stringify(code)} is not UPPER_SNAKE_CASE`);
    }
    if (!Object.hasOwn(ERROR_CATEGORIES, category)) {
      throw new Error(`${owner}: error code ${code} has an unknown category ${String(category)}`);
    }
    if (description.trim() === '') {
      throw new Error(`${owner}: error code ${code} has no description`);
    }
    const existing = registered.get(code);
    if (existing !== undefined && existing.owner !== owner) {
      throw new Error(
        `${owner}: error code ${code} is registered already by ${existing.owner}; codes are unique`,
      );
    }
    if (existing === undefined) registered.set(code, { code, category, description, owner });
    codes[name] = code;
  }
  return Object.freeze(codes) as { readonly [Name in keyof Table]: Table[Name]['code'] };
}

/**
 * The registration of `code`, or `undefined` when no loaded package registered it.
 *
 * @example
 * ```ts
 * errorCodeInfo('INTERNAL')?.category; // 'internal'
 * errorCodeInfo('ENOENT'); // undefined
 * ```
 */
export function errorCodeInfo(code: string): ErrorCodeInfo | undefined {
  const info = table().get(code);
  return info === undefined ? undefined : { ...info };
}

/**
 * Every registered code, sorted by code: `INTERNAL` of this package and those of every package
 * loaded in this process that registered its own (`@agent-state/state`, `@agent-state/rollout`, …).
 *
 * @example
 * ```ts
 * import '@agent-state/sandbox-policy'; // registers INVALID_SANDBOX_POLICY, …
 *
 * const codes = registeredErrorCodes().map((info) => info.code);
 * ```
 */
export function registeredErrorCodes(): ErrorCodeInfo[] {
  return [...table().values()]
    .map((info) => ({ ...info }))
    .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}
