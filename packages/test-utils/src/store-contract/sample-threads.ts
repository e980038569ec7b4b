import { type ThreadMetadata, buildThreadMetadata } from '@agent-state/state';

/** The id of sample thread `n` (a valid UUID v7 whose last 12 hex digits are `n`). */
export function sampleThreadId(n: number): string {
  return `01a1fca2-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** Sample thread `n`: listable (it has a first user message), created at `1_700_000_000 + n`. */
export function sampleThread(n: number, overrides: Partial<ThreadMetadata> = {}): ThreadMetadata {
  return {
    ...buildThreadMetadata(
      {
        id: sampleThreadId(n),
        rolloutPath: `/home/user/.codex/sessions/rollout-${n}.jsonl`,
        createdAt: 1_700_000_000 + n,
        source: 'cli',
      },
      { defaultProvider: 'openai' },
    ),
    title: `thread ${n}`,
    firstUserMessage: `thread ${n}`,
    ...overrides,
  };
}
