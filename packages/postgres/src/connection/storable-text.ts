/**
 * Text as PostgreSQL can store it: its `text` holds no NUL character, which a rollout may carry
 * (in a tool's output, a title, a model name): each becomes U+FFFD, the replacement character.
 * Anything else passes through unchanged.
 */
export function storableText<T>(value: T): T {
  return typeof value === 'string' && value.includes('\u0000')
    ? (value.replaceAll('\u0000', '\uFFFD') as T)
    : value;
}

/** Every string field of a row through {@link storableText}. */
export function storableRow<Row extends object>(row: Row): Row {
  let copy: Row | undefined;
  for (const [key, value] of Object.entries(row)) {
    const stored = storableText(value as unknown);
    if (stored !== value) (copy ??= { ...row })[key as keyof Row] = stored as Row[keyof Row];
  }
  return copy ?? row;
}
