const COUNT = new Intl.NumberFormat('en-US');

/** `12,345`: a count with thousands separators. */
export function formatCount(value: number): string {
  return COUNT.format(value);
}

/** `1 thread`, `3 threads`, `1,204 threads` (`many` when the plural is not `one` + s). */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}
