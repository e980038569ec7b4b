import { formatCount } from '@agent-state/rollout';

/** `1 thread`, `3 threads`, `1,204 threads` (`many` when the plural is not `one` + s). */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}
