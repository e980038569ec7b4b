/** The page of a thread's transcript; with `line`, the page holding that rollout line, there. */
export function threadHref(id: string, line?: number): string {
  const path = `/threads/${encodeURIComponent(id)}`;
  return line === undefined ? path : `${path}?line=${line}#line-${line}`;
}

/**
 * `path` with the query `params`, changed by `changes` (a `null` value removes the parameter):
 * the links of a page to its next page, keeping the filters.
 */
export function hrefWith(
  path: string,
  params: URLSearchParams,
  changes: Readonly<Record<string, string | null>>,
): string {
  const next = new URLSearchParams(params);
  for (const [name, value] of Object.entries(changes)) {
    if (value === null) next.delete(name);
    else next.set(name, value);
  }
  const query = next.toString();
  return query === '' ? path : `${path}?${query}`;
}
